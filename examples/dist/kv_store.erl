%% The Erlang store worker of examples/dist/kv.ttvm: the coordinator (a ttvm node) starts it
%% on an Erlang node with SPAWN_AT {kv_store, start, []} and talks to it with the same tuples
%% as to its ttvm stores. Keys and values are whatever the clients send (a ttvm Str arrives as
%% a binary, a ttvm Null is `undefined`).
-module(kv_store).
-export([start/0]).

start() -> loop(#{}).

loop(Data) ->
    receive
        {put, Key, Value} -> loop(Data#{Key => Value});
        {get, Key, From} -> From ! {value, Key, maps:get(Key, Data, undefined)}, loop(Data);
        {dump, From} -> From ! {pairs, maps:to_list(Data)}, loop(Data);
        {load, Pairs} -> loop(maps:merge(maps:from_list(Pairs), Data));
        stop -> ok
    end.
