%% Skynet: a tree of processes with 10 children per node and L leaves (default 1,000,000)
%% numbered 0..L-1; every node sums its children's numbers. The root's total must be L(L-1)/2.
%% n = the number of processes in the tree, (10L - 1) / 9.
-module(skynet).
-export([main/0, main/1]).

%% `-run <module> main` without arguments calls main/0.
main() -> main([]).

main(Args) ->
    bench_util:run("skynet", fun() ->
        Leaves = bench_util:int_arg(Args, 1, 1000000),
        T0 = bench_util:now_ms(),
        Self = self(),
        spawn_link(fun() -> skynet(Self, 0, Leaves) end),
        Expected = Leaves * (Leaves - 1) div 2,
        receive Expected -> ok end,
        bench_util:report("skynet", (Leaves * 10 - 1) div 9, T0)
    end).

skynet(Parent, Num, 1) ->
    Parent ! Num;
skynet(Parent, Num, Size) ->
    ChildSize = Size div 10,
    Self = self(),
    [spawn_link(fun() -> skynet(Self, Num + I * ChildSize, ChildSize) end) || I <- lists:seq(0, 9)],
    Parent ! collect(10, 0).

collect(0, Sum) -> Sum;
collect(Left, Sum) ->
    receive Part -> collect(Left - 1, Sum + Part) end.
