%% Line echo server for the ports benchmark: gen_tcp with {packet, line} and {active, once},
%% a process per connection — the idiomatic Erlang server the ttvm one is compared with.
%% Prints `listening <port>`; runs until killed. Args: [Port] (default 0: any free port).
-module(echo_server).
-export([main/0, main/1]).

main() -> main([]).

main(Args) ->
    Port = case Args of [P | _] -> list_to_integer(P); [] -> 0 end,
    {ok, L} = gen_tcp:listen(Port, [binary, {packet, line}, {active, false}, {reuseaddr, true},
                                    {ip, {127, 0, 0, 1}}, {backlog, 4096}, {nodelay, true}]),
    {ok, Real} = inet:port(L),
    io:format("listening ~B~n", [Real]),
    accept(L).

accept(L) ->
    {ok, S} = gen_tcp:accept(L),
    Pid = spawn(fun() -> receive go -> ok end, inet:setopts(S, [{active, once}]), loop(S) end),
    ok = gen_tcp:controlling_process(S, Pid),
    Pid ! go,
    accept(L).

loop(S) ->
    receive
        {tcp, S, Line} ->
            ok = gen_tcp:send(S, Line),
            inet:setopts(S, [{active, once}]),
            loop(S);
        {tcp_closed, S} -> ok;
        {tcp_error, S, _} -> ok
    end.
