%% The Erlang side of the remote ping-pong benchmark (bench/dist_bench.ts, and the
%% dist_pingpong row of tools/bench_compare.ts): unlike the other modules here it is not run
%% with `-run … main` but started on two nodes by bench/dist_bench.ts, which drives them from a
%% control node of its own — the same driver and the same measurement as for ttvm nodes.
%%   pong()    registers `pong`; answers every {From, N} with N.
%%   driver()  registers `ping`; on {go, Node, N, From} makes N round trips with {pong, Node},
%%             then sends From {done, N}.
-module(dist_pingpong).
-export([pong/0, driver/0]).

pong() ->
    register(pong, self()),
    io:format("ready~n"),
    pong_loop().

pong_loop() ->
    receive
        {From, N} -> From ! N, pong_loop();
        stop -> halt(0)
    end.

driver() ->
    register(ping, self()),
    io:format("ready~n"),
    driver_loop().

driver_loop() ->
    receive
        {go, Node, N, From} ->
            ping(Node, N),
            From ! {done, N},
            driver_loop();
        stop -> halt(0)
    end.

ping(_, 0) -> ok;
ping(Node, N) ->
    {pong, Node} ! {self(), N},
    receive N -> ping(Node, N - 1) end.
