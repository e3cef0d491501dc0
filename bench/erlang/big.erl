%% Big: W workers (default 200) each send P pings (default 2,000) to random other workers, one
%% at a time, answering the pings of others while they wait for their pong. After its P pongs a
%% worker reports `done` and keeps serving pings until `stop`. n = 2*W*P messages.
-module(big).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("big", fun() ->
        Pings = bench_util:int_arg(Args, 1, 2000),
        Workers = bench_util:int_arg(Args, 2, 200),
        true = Pings >= 0 andalso Workers >= 2,
        T0 = bench_util:now_ms(),
        Main = self(),
        Pids = [begin
                    {Pid, _Ref} = spawn_monitor(fun() -> worker(Main, I, Pings, Workers) end),
                    Pid
                end || I <- lists:seq(1, Workers)],
        Peers = list_to_tuple(Pids),
        [Pid ! {peers, Peers} || Pid <- Pids],
        [receive {ready, Pid} -> ok end || Pid <- Pids],
        [Pid ! go || Pid <- Pids],
        [receive {done, Pid} -> ok end || Pid <- Pids],
        [Pid ! stop || Pid <- Pids],
        [receive {'DOWN', _, process, Pid, normal} -> ok end || Pid <- Pids],
        bench_util:report("big", 2 * Workers * Pings, T0)
    end).

worker(Main, Index, Pings, Workers) ->
    Peers = receive {peers, P} -> P end,
    Main ! {ready, self()},
    receive go -> ok end,
    rand:seed(exsss, {Index, 7919, 104729}),
    ping_loop(Peers, Index, Pings, Workers),
    Main ! {done, self()},
    serve().

ping_loop(_Peers, _Index, 0, _Workers) -> ok;
ping_loop(Peers, Index, Left, Workers) ->
    Target = case rand:uniform(Workers) of
                 Index -> Index rem Workers + 1;
                 Other -> Other
             end,
    element(Target, Peers) ! {ping, self()},
    await_pong(),
    ping_loop(Peers, Index, Left - 1, Workers).

await_pong() ->
    receive
        pong -> ok;
        {ping, From} -> From ! pong, await_pong()
    end.

serve() ->
    receive
        {ping, From} -> From ! pong, serve();
        stop -> ok
    end.
