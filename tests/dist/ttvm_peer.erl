%% The Erlang side of the tests in tests/dist: compiled with erlc into a temporary directory by
%% erl_harness.ts, then run with `erl -noshell -pa Dir -eval ...`.
%%
%% ETF checks (files of records framed as <<Len:32, Bytes:Len/binary>>):
%%   etf_echo(In, Out)         binary_to_term each record and term_to_binary it back
%%                             (minor_version 2: UTF-8 atoms); a record Erlang refuses comes
%%                             back empty.
%%   etf_gen(Seed, Count, Out) Count random terms of every kind, term_to_binary'd.
%%   etf_verify(Gen, Back)     prints "verified N" when every Back record decodes to a term
%%                             =:= the Gen record at the same index, else "mismatch I ...".
%%
%% Distribution peer: serve() registers `peer` and evaluates requests
%%   {eval, From, Ref, CodeBinary, [{VarName, Value}]}  →  From ! {Ref, {ok, V} | {error, E}}
%% in a fresh process each, so tests can make the Erlang side link, monitor, trap exits, send...
-module(ttvm_peer).
-export([etf_echo/2, etf_gen/3, etf_verify/2, serve/0, serve/1, eval/2, wait_for_file/1]).

read_records(File) ->
    {ok, Bin} = file:read_file(File),
    split(Bin, []).

split(<<Len:32, B:Len/binary, Rest/binary>>, Acc) -> split(Rest, [B | Acc]);
split(<<>>, Acc) -> lists:reverse(Acc).

write_records(File, Bins) ->
    ok = file:write_file(File, [[<<(byte_size(B)):32>>, B] || B <- Bins]).

etf_echo(In, Out) ->
    write_records(Out, [echo_one(B) || B <- read_records(In)]).

echo_one(B) ->
    try term_to_binary(binary_to_term(B), [{minor_version, 2}])
    catch _:_ -> <<>>
    end.

etf_verify(GenFile, BackFile) ->
    Gen = read_records(GenFile),
    Back = read_records(BackFile),
    case length(Gen) =:= length(Back) of
        false -> io:format("mismatch count ~p ~p~n", [length(Gen), length(Back)]);
        true ->
            Bad = [I || {I, G, B} <- lists:zip3(lists:seq(1, length(Gen)), Gen, Back),
                        not same(G, B)],
            case Bad of
                [] -> io:format("verified ~p~n", [length(Gen)]);
                _ -> io:format("mismatch ~w~n", [Bad])
            end
    end.

same(G, B) ->
    try binary_to_term(G) =:= binary_to_term(B)
    catch _:_ -> false
    end.

etf_gen(Seed, Count, Out) ->
    rand:seed(exsss, Seed),
    write_records(Out, [term_to_binary(gen(3), [{minor_version, 2}])
                        || _ <- lists:seq(1, Count)]).

gen(0) -> leaf();
gen(Depth) ->
    case rand:uniform(10) of
        1 -> list_to_tuple([gen(Depth - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        2 -> [gen(Depth - 1) || _ <- lists:seq(1, rand:uniform(5))];
        3 -> [gen(Depth - 1) | gen(Depth - 1)];
        4 -> maps:from_list([{gen(Depth - 1), gen(Depth - 1)} || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        5 -> maps:from_list([{K, gen(0)} || K <- lists:seq(1, 40)]);
        6 -> list_to_tuple([leaf() || _ <- lists:seq(1, 300)]);
        _ -> leaf()
    end.

leaf() ->
    case rand:uniform(24) of
        1 -> rand:uniform(256) - 1;
        2 -> rand:uniform(1 bsl 32) - (1 bsl 31);
        3 -> (rand:uniform(1 bsl 64) - (1 bsl 63)) * (1 bsl rand:uniform(40));
        4 -> -(1 bsl (rand:uniform(3000)));
        5 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(600) - 300);
        6 -> lists:nth(rand:uniform(6), [0.0, 1.0, -2.5, 1.0e21, 5.0e-324, 1.7976931348623157e308]);
        7 -> lists:nth(rand:uniform(7), [ok, 'hello world', '', 'héllo', '日本語', list_to_atom(lists:duplicate(255, $x)), list_to_atom(lists:duplicate(255, 16#1F600))]);
        8 -> crypto_bytes(rand:uniform(40) - 1);
        9 -> B = crypto_bytes(rand:uniform(5)), N = rand:uniform(7), <<B/binary, (rand:uniform(1 bsl N) - 1):N>>;
        10 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(20))];
        11 -> [rand:uniform(5000) || _ <- lists:seq(1, rand:uniform(5))];
        12 -> self();
        13 -> list_to_pid("<0." ++ integer_to_list(rand:uniform(1000)) ++ ".7>");
        14 -> binary_to_term(<<131, 88, 119, 5, "x@far", (rand:uniform(1 bsl 32) - 1):32, (rand:uniform(1 bsl 32) - 1):32, 7:32>>);
        15 -> make_ref();
        16 -> binary_to_term(<<131, 90, 5:16, 119, 5, "x@far", 9:32, 1:32, 2:32, 3:32, 4:32, 5:32>>);
        17 -> hd(erlang:ports());
        18 -> binary_to_term(<<131, 120, 119, 5, "x@far", (1 bsl 40 + 3):64, 9:32>>);
        19 -> X = rand:uniform(100), fun() -> X end;
        20 -> fun lists:map/2;
        21 -> fun() -> ok end;
        22 -> [];
        23 -> {};
        _ -> #{}
    end.

crypto_bytes(N) -> list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, N)]).

%% Polls (bounded: 20 s) until File exists: lets a test start two connects at the same moment.
wait_for_file(File) -> wait_for_file(File, 2000).
wait_for_file(_, 0) -> erlang:halt(3);
wait_for_file(File, N) ->
    case filelib:is_file(File) of
        true -> ok;
        false -> timer:sleep(10), wait_for_file(File, N - 1)
    end.

serve() -> serve([]).
serve(_) ->
    register(peer, self()),
    io:format("peer ready ~p~n", [node()]),
    loop().

loop() ->
    receive
        {eval, From, Ref, Code, Bindings} ->
            spawn(fun() -> From ! {Ref, eval(Code, Bindings)} end),
            loop();
        stop ->
            erlang:halt(0);
        _ ->
            loop()
    end.

eval(Code, Bindings) ->
    try
        Text = unicode:characters_to_list(Code),
        {ok, Toks, _} = erl_scan:string(Text),
        {ok, Exprs} = erl_parse:parse_exprs(Toks),
        B = lists:foldl(fun({K, V}, Acc) -> erl_eval:add_binding(K, V, Acc) end,
                        erl_eval:new_bindings(), Bindings),
        {value, V, _} = erl_eval:exprs(Exprs, B),
        {ok, V}
    catch C:R -> {error, {C, R}}
    end.
