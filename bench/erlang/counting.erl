%% Counting: main sends the integers 1..N (default 1,000,000) to one counter process, which sums
%% exactly N messages and sends the total back; main checks it against N(N+1)/2.
-module(counting).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("counting", fun() ->
        N = bench_util:int_arg(Args, 1, 1000000),
        true = N >= 1,
        T0 = bench_util:now_ms(),
        Self = self(),
        Counter = spawn_link(fun() -> count(Self, N, 0) end),
        send_all(Counter, 1, N),
        Expected = N * (N + 1) div 2,
        receive {total, Expected} -> ok end,
        bench_util:report("counting", N, T0)
    end).

send_all(_To, I, N) when I > N -> ok;
send_all(To, I, N) ->
    To ! I,
    send_all(To, I + 1, N).

count(Parent, 0, Sum) -> Parent ! {total, Sum};
count(Parent, Left, Sum) ->
    receive I -> count(Parent, Left - 1, Sum + I) end.
