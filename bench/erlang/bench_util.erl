%% Shared harness for the Erlang benchmarks (the BEAM side of tools/bench_compare.ts).
%% Each benchmark module exports main/1, called by `erl -noshell -run <module> main [Args…]`.
%% Invariants: the benchmark body runs in its own monitored process, so a crash anywhere in it
%% (or in a process linked to it) ends the run with a message on stderr and exit status 1; a
%% successful run prints exactly one line `bench=<name> n=<N> ms=<wall> rate=<ops/s>`.
-module(bench_util).
-export([run/2, int_arg/3, now_ms/0, report/3, report/4]).

%% Run Body() in a fresh process; halt(0) when it ends normally, halt(1) otherwise.
run(Name, Body) ->
    {_Pid, Ref} = spawn_monitor(Body),
    receive
        {'DOWN', Ref, process, _, normal} ->
            halt(0);
        {'DOWN', Ref, process, _, Reason} ->
            io:format(standard_error, "Error: ~s failed: ~p~n", [Name, Reason]),
            halt(1)
    end.

%% The Index-th (1-based) command-line argument as an integer, or Default when absent.
int_arg(Args, Index, _Default) when length(Args) >= Index ->
    list_to_integer(lists:nth(Index, Args));
int_arg(_Args, _Index, Default) ->
    Default.

now_ms() ->
    erlang:monotonic_time(millisecond).

%% Print the result line for N operations started at T0 (a now_ms/0 reading).
report(Name, N, T0) ->
    report(Name, N, T0, "").

%% As report/3, with Extra (e.g. " bytes_per_process=2704") appended to the line.
report(Name, N, T0, Extra) ->
    Ms = now_ms() - T0,
    io:format("bench=~s n=~b ms=~b rate=~b~s~n", [Name, N, Ms, N * 1000 div max(Ms, 1), Extra]).
