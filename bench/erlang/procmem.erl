%% Procmem: start N processes (default 100,000) that block in receive, and report the memory
%% they take: the growth of erlang:memory(processes) divided by N, appended to the line as
%% ` bytes_per_process=<B>`. ms/rate time the spawning until every process has reported in.
-module(procmem).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("procmem", fun() ->
        N = bench_util:int_arg(Args, 1, 100000),
        true = N >= 0,
        garbage_collect(),
        Before = erlang:memory(processes),
        T0 = bench_util:now_ms(),
        Self = self(),
        Sleepers = [spawn(fun() -> Self ! ready, sleep() end) || _ <- lists:seq(1, N)],
        [receive ready -> ok end || _ <- Sleepers],
        Ms = bench_util:now_ms() - T0,
        garbage_collect(),
        Grown = erlang:memory(processes) - Before,
        PerProcess = Grown div max(N, 1),
        io:format("bench=procmem n=~b ms=~b rate=~b bytes_per_process=~b~n",
                  [N, Ms, N * 1000 div max(Ms, 1), PerProcess])
    end).

sleep() ->
    receive Unexpected -> exit({woken, Unexpected}) end.
