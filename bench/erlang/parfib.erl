%% Parfib: P processes (default 8) each compute naive fib(N) (default 27) and send it to main,
%% which checks the sum against P * fib(N). n = P, rate = fibs per second.
-module(parfib).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("parfib", fun() ->
        Procs = bench_util:int_arg(Args, 1, 8),
        N = bench_util:int_arg(Args, 2, 27),
        T0 = bench_util:now_ms(),
        Self = self(),
        [spawn_link(fun() -> Self ! {fib, fib(N)} end) || _ <- lists:seq(1, Procs)],
        Sum = lists:sum([receive {fib, F} -> F end || _ <- lists:seq(1, Procs)]),
        Ms = bench_util:now_ms() - T0,
        Sum = Procs * fib(N),
        io:format("bench=parfib n=~b ms=~b rate=~b~n", [Procs, Ms, Procs * 1000 div (Ms + 1)])
    end).

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).
