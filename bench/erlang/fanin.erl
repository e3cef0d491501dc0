%% Fan-in: P producers (default 8) each send the integers 1..M (default 250,000) to main, which
%% receives exactly P*M messages and checks that they sum to P*M(M+1)/2.
-module(fanin).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("fanin", fun() ->
        M = bench_util:int_arg(Args, 1, 250000),
        Producers = bench_util:int_arg(Args, 2, 8),
        true = M >= 1 andalso Producers >= 1,
        N = M * Producers,
        T0 = bench_util:now_ms(),
        Self = self(),
        [spawn_link(fun() -> produce(Self, 1, M) end) || _ <- lists:seq(1, Producers)],
        Expected = Producers * (M * (M + 1) div 2),
        Expected = consume(N, 0),
        bench_util:report("fanin", N, T0)
    end).

produce(_To, I, M) when I > M -> ok;
produce(To, I, M) ->
    To ! I,
    produce(To, I + 1, M).

consume(0, Sum) -> Sum;
consume(Left, Sum) ->
    receive I -> consume(Left - 1, Sum + I) end.
