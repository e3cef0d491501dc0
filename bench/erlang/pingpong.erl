%% Ping-pong: two processes, N round trips (default 1,000,000). The pinger adopts each reply
%% (its counter + 1, computed by the ponger) as its new counter; ending at exactly N verifies it.
-module(pingpong).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("pingpong", fun() ->
        N = bench_util:int_arg(Args, 1, 1000000),
        true = N >= 1,
        T0 = bench_util:now_ms(),
        Self = self(),
        Pong = spawn_link(fun() -> ponger(Self) end),
        N = ping(Pong, 0, N),
        unlink(Pong),
        exit(Pong, kill),
        bench_util:report("pingpong", N, T0)
    end).

ping(_Pong, I, N) when I >= N -> I;
ping(Pong, I, N) ->
    Pong ! I,
    receive J -> ping(Pong, J, N) end.

ponger(Parent) ->
    receive I -> Parent ! I + 1 end,
    ponger(Parent).
