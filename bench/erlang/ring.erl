%% Ring: P processes (default 1,000) pass a token H hops in total (default 1,000,000). The token
%% counts the hops made; the node that receives H reports it to main and sends `stop` around.
-module(ring).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("ring", fun() ->
        Hops = bench_util:int_arg(Args, 1, 1000000),
        Procs = bench_util:int_arg(Args, 2, 1000),
        true = Hops >= 0 andalso Procs >= 1,
        T0 = bench_util:now_ms(),
        Main = self(),
        First = spawn_link(fun() -> receive Next -> node(Next, Hops, Main) end end),
        Last = lists:foldl(fun(_, Prev) -> spawn_link(fun() -> node(Prev, Hops, Main) end) end,
                           First, lists:seq(2, Procs)),
        First ! Last,
        First ! 0,
        receive {count, Count} -> Hops = Count end,
        bench_util:report("ring", Hops, T0)
    end).

node(Next, Hops, Main) ->
    receive
        stop ->
            Next ! stop;
        T when T < Hops ->
            Next ! T + 1,
            node(Next, Hops, Main);
        T ->
            Main ! {count, T},
            Next ! stop
    end.
