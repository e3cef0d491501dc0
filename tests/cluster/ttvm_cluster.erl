%% The Erlang side of the tests in tests/cluster: each scenario runs in `erl -noshell -eval`,
%% next to a ttvm node running the matching program in tests/cluster/programs/, and prints what
%% Erlang itself observes, one line each, for the test to check. Every wait is bounded.
%%
%% A scenario registers `t`, prints "ready", and waits for {hello, TtvmPid} from the ttvm
%% program before it starts.
-module(ttvm_cluster).
-export([values/0, echo/0, links/0, hold/0, spawns/0, spawned/1, order/0, ping/1,
         ping_server/0]).

-define(WAIT, 30000).

hello() ->
    register(t, self()),
    io:format("ready~n"),
    receive {hello, P} -> P after ?WAIT -> io:format("no hello~n"), halt(2) end.

%% How Erlang sees a term, unambiguously (~w never guesses at strings).
show(V) when is_pid(V) -> io_lib:format("pid of ~w", [node(V)]);
show(V) -> io_lib:format("~w", [V]).

%% ttvm → Erlang → ttvm: every {value, V} is printed and echoed back; then Erlang → ttvm →
%% Erlang: terms of every Erlang kind are sent as {erl, Name, T} and must come back as
%% {back, Name, T2}; Erlang says whether T2 =:= T.
values() ->
    P = hello(),
    echo_values(P),
    Me = self(),
    Terms = [{bin_nonutf8, <<255, 0, 1>>},
             {ref, make_ref()},
             {fn, fun() -> Me end},
             {improper, [1 | 2]},
             {big, 1 bsl 70},
             {intmap, #{1 => a}},
             {struct, #{'__struct__' => 'Elixir.User', name => <<"José"/utf8>>, age => 42}},
             {charlist, "hi"},
             {pid, Me},
             {tuple, {a, 1.5, <<"s">>}},
             {port, hd(erlang:ports())},
             {atoms, [true, false, undefined, ok]},
             {nested, [[[]], #{}]},
             {float, -0.0}],
    lists:foreach(
      fun({Name, T}) ->
              P ! {erl, Name, T},
              receive
                  {back, Name, T2} when T2 =:= T -> io:format("exact ~w~n", [Name]);
                  {back, Name, T2} -> io:format("changed ~w ~w~n", [Name, T2])
              after ?WAIT -> io:format("lost ~w~n", [Name])
              end
      end, Terms),
    stop(P).

%% Tells the ttvm program to end and waits until its node is gone (halt/0 right after a send
%% could drop the message with the connection).
stop(P) ->
    monitor_node(node(P), true),
    P ! stop,
    receive {nodedown, _} -> ok after ?WAIT -> io:format("ttvm node still up~n") end,
    halt(0).

echo_values(P) ->
    receive
        {value, V} ->
            io:format("saw ~s~n", [show(V)]),
            P ! {echo, V},
            echo_values(P);
        done -> ok
    after ?WAIT -> io:format("no values~n"), halt(2)
    end.

%% The property test: echo {From, Ref, V} as {Ref, binary_to_term(term_to_binary(V))} until stop.
echo() ->
    register(echo, self()),
    io:format("ready~n"),
    echo_loop(0).

echo_loop(N) ->
    receive
        {From, Ref, V} ->
            From ! {Ref, binary_to_term(term_to_binary(V))},
            echo_loop(N + 1);
        stop -> io:format("echoed ~w~n", [N]), halt(0)
    after 30000 -> io:format("echo idle~n"), halt(2)
    end.

%% Links and monitors both ways with a ttvm process P (the ttvm program's script, step by step).
links() ->
    P = hello(),
    process_flag(trap_exit, true),
    %% 1. ttvm links to and monitors an Erlang process that ends with `boom`.
    Victim = spawn(fun() -> receive go -> exit(boom) end end),
    P ! {victim, Victim},
    receive linked -> ok after ?WAIT -> io:format("no linked~n"), halt(2) end,
    Victim ! go,
    %% 2. Erlang links to and monitors a ttvm process that ends with reason "bye".
    C = receive {child, C0} -> C0 after ?WAIT -> io:format("no child~n"), halt(2) end,
    link(C),
    Ref = erlang:monitor(process, C),
    P ! watching,
    receive {'EXIT', C, R1} -> io:format("exit ~w~n", [R1]) after ?WAIT -> io:format("no exit~n") end,
    receive {'DOWN', Ref, process, C, R2} -> io:format("down ~w~n", [R2]) after ?WAIT -> io:format("no down~n") end,
    %% 3. exit(Pid, kill) from Erlang to a ttvm process it monitors.
    K = receive {child, K0} -> K0 after ?WAIT -> io:format("no child 2~n"), halt(2) end,
    KRef = erlang:monitor(process, K),
    exit(K, kill),
    receive {'DOWN', KRef, process, K, R3} -> io:format("killed ~w~n", [R3]) after ?WAIT -> io:format("no down 2~n") end,
    %% 4. an EXIT_SIGNAL from ttvm to a trapping Erlang process. It is handed to ttvm only once
    %% it traps exits: a signal arriving before process_flag would kill it silently.
    Self = self(),
    Trapper = spawn(fun() ->
                            process_flag(trap_exit, true),
                            Self ! {trapping, self()},
                            receive {'EXIT', From, Why} -> io:format("trapped ~w ~s~n", [Why, show(From)]) end
                    end),
    receive {trapping, Trapper} -> ok after ?WAIT -> io:format("no trapper~n"), halt(2) end,
    P ! {trapper, Trapper},
    %% 5. unlink: a ttvm process linked then unlinked ends abnormally; Erlang must not see it.
    U = receive {child, U0} -> U0 after ?WAIT -> io:format("no child 3~n"), halt(2) end,
    link(U),
    unlink(U),
    P ! unlinked,
    receive {'EXIT', U, R4} -> io:format("unexpected exit ~w~n", [R4]) after 500 -> io:format("unlink held~n") end,
    %% 6. a monitor on a registered ttvm name that does not exist: noproc at once.
    NRef = erlang:monitor(process, {nobody, node(P)}),
    receive {'DOWN', NRef, process, _, R5} -> io:format("by name ~w~n", [R5]) after ?WAIT -> io:format("no name down~n") end,
    %% 7. a monitor by name on a live ttvm process, and a monitor taken back (demonitor).
    D = receive {child, D0} -> D0 after ?WAIT -> io:format("no child 4~n"), halt(2) end,
    DRef = erlang:monitor(process, D),
    true = erlang:demonitor(DRef),
    NamedRef = erlang:monitor(process, {named_child, node(P)}),
    P ! monitored,
    receive
        {'DOWN', NamedRef, process, Who, R6} -> io:format("named down ~w ~w~n", [R6, Who =:= {named_child, node(P)}])
    after ?WAIT -> io:format("no named down~n")
    end,
    receive {'DOWN', DRef, process, _, R7} -> io:format("unexpected down ~w~n", [R7]) after 500 -> io:format("demonitor held~n") end,
    stop(P).

%% For the SIGKILL test: a process the ttvm program links to and monitors, then wait forever.
hold() ->
    P = hello(),
    Held = spawn(fun() -> receive never -> ok end end),
    P ! {held, Held},
    receive never -> ok end.

%% Benchmark: N round trips with the process registered as `pong` on Node.
ping(Args) ->
    [Node, NText] = Args,
    N = list_to_integer(atom_to_list(NText)),
    pong = net_adm:ping(Node),
    Me = self(),
    {pong, Node} ! {Me, 0},
    receive _ -> ok after ?WAIT -> halt(2) end,
    T0 = erlang:monotonic_time(microsecond),
    ping_loop(Node, Me, N),
    T1 = erlang:monotonic_time(microsecond),
    io:format("roundtrips ~w us ~w~n", [N, T1 - T0]),
    halt(0).

ping_loop(_, _, 0) -> ok;
ping_loop(Node, Me, N) ->
    {pong, Node} ! {Me, N},
    receive _ -> ping_loop(Node, Me, N - 1) after ?WAIT -> io:format("lost~n"), halt(2) end.

%% Benchmark: the `pong` server (replies to {From, N} with N).
ping_server() ->
    register(pong, self()),
    io:format("ready~n"),
    pong_loop().

pong_loop() ->
    receive
        {From, N} -> From ! N, pong_loop();
        stop -> halt(0)
    end.

%% Spawning across: the ttvm program spawns spawned/1 here with SPAWN_AT; then Erlang tries to
%% run Erlang code on the ttvm node, which answers that it cannot.
spawns() ->
    P = hello(),
    receive your_turn -> ok after ?WAIT -> io:format("no turn~n"), halt(2) end,
    io:format("rpc ~w~n", [rpc:call(node(P), erlang, node, [])]),
    ReqId = erlang:spawn_request(node(P), erlang, node, [], []),
    receive
        {spawn_reply, ReqId, error, Why} -> io:format("spawn_request error ~w~n", [Why])
    after ?WAIT -> io:format("no spawn reply~n")
    end,
    stop(P).

%% Started on this node by a ttvm process (SPAWN_AT with {ttvm_cluster, spawned, [Pid]}): prints
%% through its group leader (the ttvm node) and answers.
spawned(P) ->
    io:format("hello from ~s, ~w~n", [node(), 42]),
    P ! {spawned, self(), node()}.

%% Message order per pair of processes, both ways: 5000 numbered messages each way.
order() ->
    P = hello(),
    lists:foreach(fun(I) -> P ! {n, I} end, lists:seq(1, 5000)),
    io:format("~s~n", [check_order(1, 5000)]),
    stop(P).

check_order(I, N) when I > N -> io_lib:format("in order ~w", [N]);
check_order(I, N) ->
    receive
        {n, I} -> check_order(I + 1, N);
        {n, J} -> io_lib:format("out of order: ~w where ~w was due", [J, I])
    after ?WAIT -> io_lib:format("lost at ~w", [I])
    end.
