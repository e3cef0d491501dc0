%% Spawn: start N processes (default 1,000,000) that exit at once, in batches of 1,000, each
%% monitored; every batch's DOWN messages (reason `normal`) are collected before the next batch.
-module(spawn).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("spawn", fun() ->
        N = bench_util:int_arg(Args, 1, 1000000),
        true = N >= 0,
        T0 = bench_util:now_ms(),
        N = batches(N, 0),
        bench_util:report("spawn", N, T0)
    end).

batches(Left, Downs) when Left =< 0 -> Downs;
batches(Left, Downs) ->
    Batch = min(1000, Left),
    start(Batch),
    collect(Batch),
    batches(Left - Batch, Downs + Batch).

start(0) -> ok;
start(K) ->
    spawn_monitor(fun() -> ok end),
    start(K - 1).

collect(0) -> ok;
collect(K) ->
    receive {'DOWN', _Ref, process, _Pid, normal} -> collect(K - 1) end.
