/**
 * DistNode against a real Erlang node (`erl -sname`, OTP 25+), each test on its own epmd and
 * with unique node names: connections both ways, net_adm:ping, ticks keeping the connection
 * alive, messages of every value kind both ways, links, unlinks, monitors, exit signals,
 * aliases and spawn requests in both directions, SIGKILL of the Erlang node, a wrong cookie
 * either way, a simultaneous connect from both ends, and long node names.
 *
 * The Erlang side runs tests/dist/ttvm_peer.erl; the test drives it by sending it Erlang code to
 * evaluate (MiniVm.eval), so every assertion about the Erlang side is made by Erlang itself.
 */
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { formatAtom, formatErlTerm } from "../../src/dist/format.ts";
import {
  atom,
  binary,
  charList,
  type ErlPid,
  type ErlTerm,
  float,
  isAtom,
  isPid,
  isRef,
  isTuple,
  list,
  map,
  termEquals,
  tuple,
} from "../../src/dist/term.ts";
import { SPAWN_REPLY_LINKED, SPAWN_REPLY_MONITORED } from "../../src/dist/control.ts";
import { epmdPortPlease } from "../../src/dist/epmd.ts";
import {
  DFLAG,
  DFLAGS_OFFERED,
  HandshakeError,
  initiateHandshake,
} from "../../src/dist/handshake.ts";
import { connectTcp } from "../../src/dist/socket.ts";
import { ErlNode, RealEpmd, requireErlang, SHORT_HOST, uniqueName } from "./erl_harness.ts";
import { MiniVm } from "./mini_vm.ts";

const COOKIE = "ttvm_dist_test_cookie";

interface Cluster {
  vm: MiniVm;
  erl: ErlNode;
  erlNode: string;
  epmd: RealEpmd;
}

async function withErl(
  opts: {
    vmAlive?: string;
    erlAlive?: string;
    erlCookie?: string;
    erlEval?: (vmNode: string) => string;
    netTickTimeS?: number;
    longNames?: boolean;
    beforeSendName?: (peer: string) => Promise<void>;
    hidden?: boolean;
  },
  body: (c: Cluster) => Promise<void>,
): Promise<void> {
  requireErlang();
  const epmd = await RealEpmd.start();
  let vm: MiniVm | undefined, erl: ErlNode | undefined;
  try {
    const vmAlive = opts.vmAlive ?? uniqueName("tt");
    vm = await MiniVm.start({
      name: opts.longNames ? `${vmAlive}@127.0.0.1` : vmAlive,
      cookie: COOKIE,
      epmdPort: epmd.port,
      startEpmd: false,
      netTickTimeS: opts.netTickTimeS ?? 60,
      beforeSendName: opts.beforeSendName,
      hidden: opts.hidden,
    });
    erl = await ErlNode.start({
      alive: opts.erlAlive ?? uniqueName("erl"),
      longName: opts.longNames,
      cookie: opts.erlCookie ?? COOKIE,
      epmdPort: epmd.port,
      netTickTimeS: opts.netTickTimeS,
      eval: opts.erlEval?.(vm.node.name),
    });
    if (!opts.erlEval) await erl.waitForLine(/^peer ready/);
    await body({ vm, erl, erlNode: erl.nodeName, epmd });
  } finally {
    await erl?.stop();
    await vm?.stop();
    await epmd.stop();
  }
}

const pidItem = (m: ErlTerm, tag: string): ErlPid | undefined =>
  isTuple(m, 2) && isAtom(m.items[0], tag) && isPid(m.items[1]) ? m.items[1] : undefined;

Deno.test("erl pings the node (pong) and stays connected over several tick periods", async () => {
  await withErl({
    // 4 s: a loaded CI machine can stall either side for a second or two, and a silence of
    // the whole tick time drops the connection; 12 s of sleep still spans three periods.
    netTickTimeS: 4,
    erlEval: (vmNode) =>
      `io:format("ping ~p~n", [net_adm:ping('${vmNode}')]), timer:sleep(12000), ` +
      `io:format("nodes ~p~n", [nodes()]), ttvm_peer:serve().`,
  }, async ({ vm, erl, erlNode }) => {
    assert.equal(await erl.waitForLine(/^ping /), "ping pong");
    assert.equal(await erl.waitForLine(/^nodes /, 30_000), `nodes [${formatAtom(vm.node.name)}]`);
    assert.deepEqual(vm.node.nodes(), [erlNode]);
    assert.deepEqual(vm.downs, []);
    const stats = vm.node.connectionStats(erlNode)!;
    assert.ok(stats.ticksIn >= 4 && stats.ticksOut >= 4, JSON.stringify(stats));
    // The connection is healthy for real work too.
    await erl.waitForLine(/^peer ready/);
    assert.equal(formatErlTerm(await vm.eval(erlNode, "lists:sum([1,2,3]).")), "6");
  });
});

Deno.test("the node connects to erl, and values of every kind travel both ways intact", async () => {
  await withErl({}, async ({ vm, erlNode }) => {
    assert.equal(await vm.node.connect(erlNode), true);
    assert.deepEqual(vm.node.nodes(), [erlNode]);
    const me = vm.spawn();
    const ours = tuple(
      0n,
      255n,
      -1n,
      1n << 31n,
      -(1n << 100n),
      3n ** 200n,
      float(1.5),
      float(-0),
      float(1e300),
      atom("héllo wörld"),
      atom(""),
      binary("bytes"),
      binary(new Uint8Array([0, 255, 128])),
      charList("a string"),
      list([1n, atom("two")], float(3)),
      map([[atom("a"), 1n], [binary("k"), list([me.pid])], [tuple(), map([])]]),
      me.pid,
      vm.node.makeRef(),
      tuple(...Array.from({ length: 300 }, (_, i) => BigInt(i))),
    );
    // Erlang receives it, checks it against the same term written in Erlang, and sends it back.
    const verdict = await vm.eval(
      erlNode,
      `Expected = {0, 255, -1, 1 bsl 31, -(1 bsl 100), lists:foldl(fun(_, A) -> 3 * A end, 1, lists:seq(1, 200)),
         1.5, -0.0, 1.0e300, 'héllo wörld', '', <<"bytes">>, <<0,255,128>>, "a string",
         [1, two | 3.0], #{a => 1, <<"k">> => [Me], {} => #{}}, Me, Ref,
         list_to_tuple(lists:seq(0, 299))},
       Me ! {back, T},
       Differ = [I || I <- lists:seq(1, tuple_size(T)), element(I, T) =/= element(I, Expected)],
       %% Our pids and refs carry our creation in their OTP 23+ forms.
       <<131, 88, _/binary>> = PidBytes = term_to_binary(Me),
       <<131, 90, _/binary>> = RefBytes = term_to_binary(Ref),
       <<PidCreation:32>> = binary:part(PidBytes, byte_size(PidBytes), -4),
       <<RefCreation:32, _:12/binary>> = binary:part(RefBytes, byte_size(RefBytes), -16),
       {Differ, node(Me), node(Ref), PidCreation, RefCreation}.`,
      { T: ours, Me: me.pid, Ref: ours.items[17] },
    );
    const self = formatAtom(vm.node.name), creation = vm.node.creation;
    assert.equal(formatErlTerm(verdict), `{[],${self},${self},${creation},${creation}}`);
    const back = await me.message((m) =>
      isTuple(m, 2) && isAtom(m.items[0], "back") ? m.items[1] : undefined
    );
    assert.ok(termEquals(back, ours), formatErlTerm(back));

    // Erlang-made values, including funs, ports and bitstrings, come to us and go back
    // byte-identical: Erlang still calls the fun and compares everything with =:=.
    const echoer = vm.spawn();
    const echo = (async () => {
      const [from, t] = await echoer.message((m) =>
        isTuple(m, 3) && isAtom(m.items[0], "echo_me") && isPid(m.items[1])
          ? [m.items[1], m.items[2]] as const
          : undefined
      );
      vm.node.send(echoer.pid, from, tuple(atom("echoed"), t));
      return t;
    })();
    const result = await vm.eval(
      erlNode,
      `X = 42, F = fun() -> X + 1 end,
       T = {F, fun lists:map/2, hd(erlang:ports()), <<1, 2:3>>, self(), make_ref(), 1 bsl 70,
            'ünïcode', #{[1,2] => {x}}, [$a, 1000 | <<"tail">>]},
       Echoer ! {echo_me, self(), T},
       receive {echoed, T2} -> {T2 =:= T, (element(1, T2))()} after 5000 -> timeout end.`,
      { Echoer: echoer.pid },
    );
    assert.equal(formatErlTerm(result), "{true,43}");
    // A 4 MiB binary each way arrives whole (no fragments are negotiated).
    const big = new Uint8Array(4 << 20).map((_, i) => i % 251);
    const sizes = await vm.eval(
      erlNode,
      `Me ! {big, binary:copy(<<7>>, 3 bsl 20)}, {byte_size(B), erlang:crc32(B)}.`,
      { B: binary(big), Me: me.pid },
    );
    assert.equal(formatErlTerm(sizes), `{${4 << 20},${crc32(big)}}`);
    const fromErl = await me.message((m) =>
      isTuple(m, 2) && isAtom(m.items[0], "big") ? m.items[1] : undefined
    );
    assert.ok(
      typeof fromErl === "object" && fromErl.t === "binary" && fromErl.bytes.length === 3 << 20,
    );
    const seen = formatErlTerm(await echo);
    assert.match(seen, /^\{#Fun<erl_eval\.\d+\.\d+>,fun lists:map\/2,#Port<.+>,<<1,2:3>>,<erl_/);
  });
});

Deno.test("links: EXIT reaches Erlang, Erlang's EXIT reaches us, UNLINK_ID is acknowledged", async () => {
  await withErl({}, async ({ vm, erlNode }) => {
    const p = vm.spawn();
    // We link to a trapping Erlang process, then "die": it gets {'EXIT', P, boom}.
    const trapped = vm.eval(
      erlNode,
      `process_flag(trap_exit, true), P ! {ready, self()},
       receive {'EXIT', From, Why} -> {From =:= P, Why} after 5000 -> timeout end.`,
      { P: p.pid },
    );
    const e1 = await p.message((m) => pidItem(m, "ready"));
    vm.node.link(p.pid, e1);
    vm.node.exit(p.pid, e1, atom("boom"));
    assert.equal(formatErlTerm(await trapped), "{true,boom}");

    // An Erlang process links to us and exits: LINK then EXIT arrive, in that order.
    const linker = await vm.eval(erlNode, `spawn(fun() -> link(P), exit(bye) end).`, { P: p.pid });
    const link = await p.signal("LINK");
    assert.ok(termEquals(link.from, linker));
    const exit = await p.signal("EXIT");
    assert.ok(termEquals(exit.from, linker));
    assert.equal(formatErlTerm(exit.reason), "bye");

    // Unlink with the new protocol: Erlang acknowledges, and a later exit is then ignored.
    const quiet = vm.eval(
      erlNode,
      `process_flag(trap_exit, true), P ! {ready, self()},
       receive {'EXIT', _, Why} -> {exit, Why} after 1500 -> no_exit end.`,
      { P: p.pid },
    );
    const e2 = await p.message((m) => pidItem(m, "ready"));
    vm.node.link(p.pid, e2);
    vm.node.unlinkId(7n, p.pid, e2);
    const ack = await p.signal("UNLINK_ID_ACK");
    assert.equal(ack.id, 7n);
    assert.ok(termEquals(ack.from, e2));
    vm.node.exit(p.pid, e2, atom("late"));
    assert.equal(formatErlTerm(await quiet), "no_exit");

    // Erlang unlinks from us: we get UNLINK_ID and answer with the ack.
    const unlinker = vm.eval(
      erlNode,
      `process_flag(trap_exit, true), link(P), unlink(P), P ! {done, self()},
       receive {'EXIT', _, Why} -> {exit, Why} after 1500 -> still_alive end.`,
      { P: p.pid },
    );
    await p.signal("LINK");
    const unlink = await p.signal("UNLINK_ID");
    vm.node.unlinkIdAck(unlink.id, p.pid, unlink.from);
    vm.node.exit(p.pid, unlink.from, atom("ignored_after_unlink"));
    assert.equal(formatErlTerm(await unlinker), "still_alive");
  });
});

Deno.test("monitors: DOWN reaches Erlang and comes from it; names; demonitor", async () => {
  await withErl({}, async ({ vm, erlNode }) => {
    const p = vm.spawn("watched");
    // Erlang monitors our process, which then ends with `gone`.
    const down = vm.eval(
      erlNode,
      `R = erlang:monitor(process, P), P ! {monitored, self()},
       receive {'DOWN', R, process, P, Why} -> Why after 5000 -> timeout end.`,
      { P: p.pid },
    );
    const mon = await p.signal("MONITOR_P");
    assert.ok(isPid(mon.to) && termEquals(mon.to, p.pid));
    vm.node.monitorExit(p.pid, mon.from, mon.ref, atom("gone"));
    assert.equal(formatErlTerm(await down), "gone");

    // By registered name: the DOWN names the process as {Name, Node}.
    const byName = vm.eval(
      erlNode,
      `R = erlang:monitor(process, {watched, N}),
       receive {'DOWN', R, process, Who, Why} -> {Who, Why} after 5000 -> timeout end.`,
      { N: atom(vm.node.name) },
    );
    const named = await p.signal("MONITOR_P");
    assert.ok(isAtom(named.to, "watched"));
    vm.node.monitorExit("watched", named.from, named.ref, atom("shutdown"));
    assert.equal(formatErlTerm(await byName), `{{watched,${formatAtom(vm.node.name)}},shutdown}`);

    // A name nobody has: noproc at once.
    assert.equal(
      formatErlTerm(
        await vm.eval(
          erlNode,
          `R = erlang:monitor(process, {nobody_here, N}),
           receive {'DOWN', R, process, _, Why} -> Why after 5000 -> timeout end.`,
          { N: atom(vm.node.name) },
        ),
      ),
      "noproc",
    );

    // We monitor an Erlang process; it exits; the DOWN carries its reason.
    const e = await vm.eval(erlNode, `spawn(fun() -> receive stop -> exit(normal_stop) end end).`);
    assert.ok(isPid(e));
    const ref = vm.node.makeRef();
    vm.node.monitor(p.pid, e, ref);
    vm.node.send(p.pid, e, atom("stop"));
    const exit = await p.signal("MONITOR_P_EXIT");
    assert.ok(termEquals(exit.ref, ref) && termEquals(exit.from, e));
    assert.equal(formatErlTerm(exit.reason), "normal_stop");

    // Monitoring a name on the Erlang node that does not exist: noproc; a demonitor is silent.
    const ref2 = vm.node.makeRef();
    vm.node.monitor(p.pid, { name: "no_such_name", node: erlNode }, ref2);
    const noproc = await p.signal("MONITOR_P_EXIT");
    assert.ok(isAtom(noproc.from, "no_such_name"));
    assert.equal(formatErlTerm(noproc.reason), "noproc");
    const e2 = await vm.eval(erlNode, `spawn(fun() -> receive stop -> exit(x) end end).`) as ErlPid;
    const ref3 = vm.node.makeRef();
    vm.node.monitor(p.pid, e2, ref3);
    vm.node.demonitor(p.pid, e2, ref3);
    vm.node.send(p.pid, e2, atom("stop"));
    await assert.rejects(p.signal("MONITOR_P_EXIT", 1000), /no MONITOR_P_EXIT/);
  });
});

Deno.test("exit/2 both ways, messages to aliases, spawn requests both ways", async () => {
  await withErl({}, async ({ vm, erlNode }) => {
    const p = vm.spawn();
    // exit(Pid, Reason) from us to a trapping Erlang process.
    const trapped = vm.eval(
      erlNode,
      `process_flag(trap_exit, true), P ! {ready, self()},
       receive {'EXIT', From, Why} -> {From =:= P, Why} after 5000 -> timeout end.`,
      { P: p.pid },
    );
    vm.node.exit2(p.pid, await p.message((m) => pidItem(m, "ready")), tuple(atom("shutdown"), 1n));
    assert.equal(formatErlTerm(await trapped), "{true,{shutdown,1}}");
    // exit(P, die) from Erlang arrives as EXIT2.
    await vm.eval(erlNode, `exit(P, die), ok.`, { P: p.pid });
    assert.equal(formatErlTerm((await p.signal("EXIT2")).reason), "die");

    // An Erlang alias: we send to the reference.
    const viaAlias = vm.eval(
      erlNode,
      `A = alias(), P ! {alias, A}, receive M -> M after 5000 -> timeout end.`,
      { P: p.pid },
    );
    const alias = await p.message((m) =>
      isTuple(m, 2) && isAtom(m.items[0], "alias") && isRef(m.items[1]) ? m.items[1] : undefined
    );
    vm.node.aliasSend(p.pid, alias, atom("through_the_alias"));
    assert.equal(formatErlTerm(await viaAlias), "through_the_alias");
    // And Erlang sends to an alias of ours.
    const ours = vm.alias(p);
    await vm.eval(erlNode, `A ! hello_alias, ok.`, { A: ours });
    assert.equal(formatErlTerm(await p.message((m) => m)), "hello_alias");

    // Erlang asks us to spawn (monitor): the reply carries our new pid and the flags.
    const spawned = await vm.eval(
      erlNode,
      `R = erlang:spawn_request(N, ttvm, worker, [1, two], [monitor]),
       receive {spawn_reply, R, ok, Pid} -> {node(Pid), is_pid(Pid)} after 5000 -> timeout end.`,
      { N: atom(vm.node.name) },
    );
    assert.equal(formatErlTerm(spawned), `{${formatAtom(vm.node.name)},true}`);

    // We ask Erlang to spawn erlang:send(P, hi) with a link.
    const req = vm.node.makeRef();
    vm.node.spawnRequest(erlNode, {
      reqId: req,
      from: p.pid,
      groupLeader: p.pid,
      module: "erlang",
      function: "send",
      args: [p.pid, atom("hi_from_spawned")],
      options: [atom("link")],
    });
    const reply = await p.signal("SPAWN_REPLY");
    assert.ok(termEquals(reply.reqId, req) && isPid(reply.result));
    assert.equal(reply.flags & SPAWN_REPLY_LINKED, SPAWN_REPLY_LINKED);
    assert.equal(reply.flags & SPAWN_REPLY_MONITORED, 0);
    assert.equal(formatErlTerm(await p.message((m) => m)), "hi_from_spawned");
    // It ends normally, and being linked we are told.
    assert.equal(formatErlTerm((await p.signal("EXIT")).reason), "normal");
  });
});

Deno.test("the Erlang node killed with SIGKILL: onNodeDown fires", async () => {
  await withErl({}, async ({ vm, erl, erlNode }) => {
    assert.equal(await vm.node.connect(erlNode), true);
    assert.deepEqual(vm.ups, [erlNode]);
    await erl.stop("SIGKILL");
    const reason = await vm.nodeDown(erlNode, 5000);
    assert.match(reason, /closed/);
    assert.deepEqual(vm.node.nodes(), []);
  });
});

Deno.test("a wrong cookie is refused both ways", async () => {
  await withErl({
    erlCookie: "not_the_same_cookie",
    erlEval: (vmNode) => `io:format("ping ~p~n", [net_adm:ping('${vmNode}')]), ttvm_peer:serve().`,
  }, async ({ vm, erl, erlNode }) => {
    // Erlang connecting to us: we refuse its digest, it gets pang.
    assert.equal(await erl.waitForLine(/^ping /), "ping pang");
    assert.deepEqual(vm.node.nodes(), []);
    assert.deepEqual(vm.ups, []);
    // Us connecting to Erlang: it refuses ours; the reason says so.
    assert.equal(await vm.node.connect(erlNode), false);
    assert.match(await vm.nodeDown(erlNode), /refused our cookie/);
    assert.deepEqual(vm.node.nodes(), []);
  });
});

for (const ourNameIsGreater of [true, false]) {
  Deno.test(`a simultaneous connect resolves to one connection (our name ${ourNameIsGreater ? "greater" : "smaller"})`, async () => {
    const trigger = await Deno.makeTempFile({ prefix: "ttvm_sim_" });
    await Deno.remove(trigger);
    let vmRef: MiniVm | undefined;
    try {
      await withErl({
        vmAlive: uniqueName(ourNameIsGreater ? "z" : "a"),
        erlAlive: uniqueName("m"),
        // Erlang waits for the trigger file, then connects to us.
        erlEval: (vmNode) =>
          `io:format("waiting~n"), ttvm_peer:wait_for_file("${trigger}"), ` +
          `io:format("connect ~p~n", [net_kernel:connect_node('${vmNode}')]), ttvm_peer:serve().`,
        // Our attempt pauses after its TCP connect until Erlang's attempt has reached us.
        beforeSendName: async () => {
          await Deno.writeTextFile(trigger, "go");
          const deadline = Date.now() + 30_000;
          while (vmRef!.node.counters.namesReceived === 0 && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 10));
          }
        },
      }, async ({ vm, erl, erlNode }) => {
        vmRef = vm;
        await erl.waitForLine(/^waiting$/);
        assert.equal(await vm.node.connect(erlNode), true);
        const c = vm.node.counters;
        if (ourNameIsGreater) assert.equal(c.nokSent, 1, JSON.stringify(c));
        else assert.equal(c.okSimultaneousSent, 1, JSON.stringify(c));
        assert.match(await erl.waitForLine(/^connect /), /^connect true$/);
        await erl.waitForLine(/^peer ready/);
        assert.deepEqual(vm.node.nodes(), [erlNode]);
        // Exactly one connection, on both sides, and it carries traffic both ways.
        assert.equal(
          formatErlTerm(await vm.eval(erlNode, `{nodes(), length(erlang:ports())>0}.`)),
          `{[${formatAtom(vm.node.name)}],true}`,
        );
        assert.deepEqual(vm.ups, [erlNode]);
        assert.deepEqual(vm.downs, []);
      });
    } finally {
      await Deno.remove(trigger).catch(() => {});
    }
  });
}

Deno.test("long node names (-name alive@127.0.0.1) work too", async () => {
  await withErl({
    longNames: true,
    erlEval: (vmNode) => `io:format("ping ~p~n", [net_adm:ping('${vmNode}')]), ttvm_peer:serve().`,
  }, async ({ vm, erl, erlNode }) => {
    assert.equal(await erl.waitForLine(/^ping /), "ping pong");
    await erl.waitForLine(/^peer ready/);
    assert.ok(vm.node.name.endsWith("@127.0.0.1") && erlNode.endsWith("@127.0.0.1"));
    assert.equal(formatErlTerm(await vm.eval(erlNode, "node().")), formatAtom(erlNode));
  });
  assert.ok(SHORT_HOST.length > 0);
});

Deno.test("a hidden node is connected but not listed by nodes()", async () => {
  await withErl({ hidden: true }, async ({ vm, erlNode }) => {
    assert.equal(await vm.node.connect(erlNode), true);
    const self = formatAtom(vm.node.name);
    assert.equal(
      formatErlTerm(await vm.eval(erlNode, "{nodes(), nodes(hidden)}.")),
      `{[],[${self}]}`,
    );
  });
});

Deno.test("OTP refuses a peer that lacks a flag it makes mandatory (why all are offered)", async () => {
  await withErl({}, async ({ erlNode, epmd }) => {
    const info = await epmdPortPlease(erlNode.split("@")[0], { port: epmd.port });
    assert.ok(info);
    for (const [missing, expectRefusal] of [[DFLAG.MAP_TAG, true], [DFLAG.ALIAS, false]] as const) {
      const sock = await connectTcp(SHORT_HOST, info.port, 2000);
      try {
        const attempt = initiateHandshake(sock, {
          name: `${uniqueName("raw")}@${SHORT_HOST}`,
          cookie: COOKIE,
          creation: 1,
          flags: (DFLAGS_OFFERED | DFLAG.PUBLISHED) & ~missing,
        }, { peer: erlNode });
        if (expectRefusal) {
          await assert.rejects(
            attempt,
            (e) => e instanceof HandshakeError && e.reason === "not_allowed",
          );
        } else assert.equal((await attempt).name, erlNode);
      } finally {
        sock.close();
      }
    }
  });
});
