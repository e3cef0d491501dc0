/**
 * DistNodes among themselves, with no Erlang involved: three nodes find each other through the
 * embedded EPMD and exchange messages, links and monitors; per-connection order holds for
 * signals sent before and after a connection is up; two nodes connecting to each other at the
 * same moment end with one connection; disconnects and failed connects are reported; a node
 * with no VM attached still answers links, monitors and spawn requests.
 */
import assert from "node:assert/strict";
import { epmdAnswers, epmdNames, epmdPortPlease } from "../../src/dist/epmd.ts";
import { EpmdServer } from "../../src/dist/epmd_server.ts";
import { formatErlTerm } from "../../src/dist/format.ts";
import { DistNode, type DistNodeOptions } from "../../src/dist/node.ts";
import { atom, type ErlTerm, isAtom, isTuple, pid, tuple } from "../../src/dist/term.ts";
import { freePort, uniqueName } from "./erl_harness.ts";
import { MiniVm } from "./mini_vm.ts";

const COOKIE = "embedded_cookie";

/** Starts VMs on one embedded EPMD (no epmd binary is tried), runs body, stops everything. */
async function withVms(
  names: string[],
  body: (vms: MiniVm[], epmdPort: number) => Promise<void>,
  extra: (i: number) => Partial<DistNodeOptions> = () => ({}),
): Promise<void> {
  const epmdPort = freePort();
  const vms: MiniVm[] = [];
  try {
    for (const [i, name] of names.entries()) {
      vms.push(
        await MiniVm.start({
          name,
          cookie: COOKIE,
          epmdPort,
          startEpmd: { epmdCommand: null, listenHostname: "127.0.0.1" },
          listenHostname: "127.0.0.1",
          ...extra(i),
        }),
      );
    }
    await body(vms, epmdPort);
  } finally {
    for (const vm of vms) await vm.stop();
  }
  assert.equal(await epmdAnswers({ port: epmdPort }), false, "the last node released the EPMD");
}

const tagged = (tag: string) => (m: ErlTerm) =>
  isTuple(m) && isAtom(m.items[0], tag) ? m.items.slice(1) : undefined;

Deno.test("three DistNodes talk through the embedded EPMD: messages, links, monitors", async () => {
  const names = ["one", "two", "three"].map((n) => uniqueName(n));
  await withVms(names, async ([a, b, c], epmdPort) => {
    const listed = (await epmdNames({ port: epmdPort })).names.map((n) => n.name).sort();
    assert.deepEqual(listed, [...names].sort());
    const [pa, pb, pc] = [a.spawn("inbox"), b.spawn("inbox"), c.spawn("inbox")];
    // A ring of named sends, each connecting on demand.
    a.node.regSend(pa.pid, b.node.name, "inbox", tuple(atom("hop"), 1n, pa.pid));
    const [, from] = await pb.message(tagged("hop"));
    b.node.regSend(pb.pid, c.node.name, "inbox", tuple(atom("hop"), 2n, from));
    const [n2, origin] = await pc.message(tagged("hop"));
    assert.equal(n2, 2n);
    c.node.send(pc.pid, origin as never, tuple(atom("home"), atom("again")));
    assert.equal(formatErlTerm((await pa.message(tagged("home")))[0]), "again");
    assert.deepEqual(a.node.nodes().sort(), [b.node.name, c.node.name].sort());

    // a monitors c's process; c's process ends: a gets the DOWN.
    const ref = a.node.makeRef();
    a.node.monitor(pa.pid, pc.pid, ref);
    const mon = await pc.signal("MONITOR_P");
    c.node.monitorExit(pc.pid, mon.from, mon.ref, atom("finished"));
    const down = await pa.signal("MONITOR_P_EXIT");
    assert.equal(formatErlTerm(down.reason), "finished");
    assert.equal(formatErlTerm(down.ref), formatErlTerm(ref));

    // b links to a; a's process dies; b gets the EXIT.
    b.node.link(pb.pid, pa.pid);
    await pa.signal("LINK");
    a.node.exit(pa.pid, pb.pid, atom("crash"));
    assert.equal(formatErlTerm((await pb.signal("EXIT")).reason), "crash");
    // Sending to this node itself is the VM's job, not the network's.
    assert.throws(() => a.node.send(pa.pid, pa.pid, atom("x")), /local/);
  });
});

Deno.test("signals to one node keep their order, including those queued while connecting", async () => {
  await withVms([uniqueName("src"), uniqueName("dst")], async ([a, b]) => {
    const sink = b.spawn("sink");
    const from = a.spawn();
    // The first send starts the connection; the next 2,999 wait for it, then 2,000 more follow.
    for (let i = 0; i < 3000; i++) a.node.regSend(from.pid, b.node.name, "sink", BigInt(i));
    assert.equal(a.node.isConnected(b.node.name), false);
    await sink.message((m) => m === 2999n ? m : undefined, 10_000);
    for (let i = 3000; i < 5000; i++) a.node.send(from.pid, sink.pid, BigInt(i));
    await sink.message((m) => m === 4999n ? m : undefined, 10_000);
    // Everything else is still in the mailbox, in order.
    const rest = sink.entries.map((e) => e.kind === "message" ? e.message : -1n);
    assert.equal(rest.length, 4998);
    rest.forEach((v, i) => assert.equal(v, BigInt(i < 2999 ? i : i + 1)));
  });
});

Deno.test("two DistNodes connecting to each other at once end with one connection", async () => {
  let arrived = 0;
  let release: () => void = () => {};
  const barrier = new Promise<void>((r) => release = r);
  // Both attempts are held after their TCP connect until both are there: the names cross.
  const beforeSendName = async () => {
    if (++arrived === 2) release();
    await barrier;
  };
  const [small, big] = [uniqueName("aaa"), uniqueName("zzz")];
  await withVms([small, big], async ([a, b]) => {
    const [ab, ba] = await Promise.all([a.node.connect(b.node.name), b.node.connect(a.node.name)]);
    assert.deepEqual([ab, ba], [true, true]);
    assert.equal(b.node.counters.nokSent, 1, "the greater name keeps its own attempt");
    assert.equal(a.node.counters.okSimultaneousSent, 1, "the smaller gives its up");
    assert.deepEqual(a.node.nodes(), [b.node.name]);
    assert.deepEqual(b.node.nodes(), [a.node.name]);
    assert.deepEqual([a.ups, b.ups], [[b.node.name], [a.node.name]]);
    const [pa, pb] = [a.spawn("x"), b.spawn("x")];
    a.node.regSend(pa.pid, b.node.name, "x", atom("ping"));
    b.node.regSend(pb.pid, a.node.name, "x", atom("pong"));
    assert.equal(formatErlTerm(await pb.message((m) => m)), "ping");
    assert.equal(formatErlTerm(await pa.message((m) => m)), "pong");
    assert.deepEqual([a.downs, b.downs], [[], []]);
  }, () => ({ beforeSendName }));
});

Deno.test("disconnect reports nodedown on both sides; a later send reconnects", async () => {
  await withVms([uniqueName("l"), uniqueName("r")], async ([a, b]) => {
    assert.equal(await a.node.connect(b.node.name), true);
    assert.equal(a.node.disconnect(b.node.name), true);
    assert.equal(await a.nodeDown(b.node.name), "disconnected");
    assert.match(await b.nodeDown(a.node.name), /closed by peer/);
    assert.equal(a.node.disconnect(b.node.name), false, "nothing left to disconnect");
    const inbox = b.spawn("inbox");
    a.node.regSend(a.spawn().pid, b.node.name, "inbox", atom("back"));
    assert.equal(formatErlTerm(await inbox.message((m) => m)), "back");
    assert.deepEqual(a.ups, [b.node.name, b.node.name]);
  });
});

Deno.test("a node that cannot be reached: connect is false, queued signals give nodedown", async () => {
  await withVms([uniqueName("lonely")], async ([a]) => {
    const ghost = `${uniqueName("ghost")}@127.0.0.1`;
    assert.equal(await a.node.connect(ghost), false);
    assert.match(await a.nodeDown(ghost), /not registered with the EPMD/);
    assert.equal(await a.node.connect("no-at-sign"), false);
    const other = `${uniqueName("ghost2")}@127.0.0.1`;
    a.node.send(a.spawn().pid, pid(other, 1, 0, 1), atom("lost"));
    assert.match(await a.nodeDown(other), /cannot connect/);
  });
});

Deno.test("different cookies between DistNodes: refused, with the reason", async () => {
  await withVms(
    [uniqueName("c1"), uniqueName("c2")],
    async ([a, b]) => {
      assert.equal(await a.node.connect(b.node.name), false);
      assert.match(await a.nodeDown(b.node.name), /refused our cookie/);
      assert.deepEqual(b.node.nodes(), []);
      assert.deepEqual(b.ups, []);
    },
    (i) => ({ cookie: i === 0 ? "cookie_one" : "cookie_two" }),
  );
});

Deno.test("with no VM attached a node answers links, monitors and spawns as having no processes", async () => {
  const epmdPort = freePort();
  const bare = await DistNode.start({
    name: uniqueName("bare"),
    cookie: COOKIE,
    epmdPort,
    startEpmd: { epmdCommand: null, listenHostname: "127.0.0.1" },
  });
  const vm = await MiniVm.start({
    name: uniqueName("vm"),
    cookie: COOKIE,
    epmdPort,
    startEpmd: { epmdCommand: null },
  });
  try {
    const p = vm.spawn();
    const nobody = bare.pidOf(99);
    vm.node.link(p.pid, nobody);
    assert.equal(formatErlTerm((await p.signal("EXIT")).reason), "noproc");
    vm.node.monitor(p.pid, { name: "net_kernel", node: bare.name }, vm.node.makeRef());
    vm.node.monitor(p.pid, nobody, vm.node.makeRef());
    assert.equal(formatErlTerm((await p.signal("MONITOR_P_EXIT")).reason), "noproc");
    vm.node.spawnRequest(bare.name, {
      reqId: vm.node.makeRef(),
      from: p.pid,
      groupLeader: p.pid,
      module: "m",
      function: "f",
      args: [1n],
    });
    assert.equal(formatErlTerm((await p.signal("SPAWN_REPLY")).result), "notsup");
    // net_kernel answers is_auth (what net_adm:ping asks).
    const tag = vm.node.makeRef();
    vm.node.regSend(
      p.pid,
      bare.name,
      "net_kernel",
      tuple(atom("$gen_call"), tuple(p.pid, tag), tuple(atom("is_auth"), atom(vm.node.name))),
    );
    const reply = await p.message((m) => m);
    assert.equal(formatErlTerm(reply), formatErlTerm(tuple(tag, atom("yes"))));
    // The monitor on net_kernel never fired.
    assert.equal(p.entries.length, 0);
  } finally {
    await vm.stop();
    await bare.stop();
  }
});

Deno.test("pids and references of a node carry its name and creation", async () => {
  await withVms([uniqueName("ids")], ([a]) => {
    const node = a.node;
    assert.ok(node.creation > 0);
    for (const n of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
      const p = node.pidOf(n);
      assert.equal(p.node, node.name);
      assert.equal(p.creation, node.creation);
      assert.equal(node.localNumberOf(p), n);
    }
    assert.equal(node.localNumberOf(pid(node.name, 1, 0, node.creation + 1)), undefined);
    assert.throws(() => node.pidOf(-1), RangeError);
    const refs = new Set(Array.from({ length: 1000 }, () => formatErlTerm(node.makeRef())));
    assert.equal(refs.size, 1000);
    const r = node.makeRef();
    assert.ok(node.isLocal(r) && r.ids.length === 3 && r.creation === node.creation);
    return Promise.resolve();
  });
});

Deno.test("a term that has no encoding is refused to the sender, connected or not", async () => {
  await withVms([uniqueName("p"), uniqueName("q")], async ([a, b]) => {
    const from = a.spawn().pid;
    const tooLong = atom("x".repeat(256));
    assert.throws(() => a.node.regSend(from, b.node.name, "any", tooLong), /longer than 255/);
    assert.equal(await a.node.connect(b.node.name), true);
    assert.throws(() => a.node.regSend(from, b.node.name, "any", tooLong), /longer than 255/);
    assert.throws(() => a.node.send(from, b.node.pidOf(1), { t: "float", value: NaN }), /NaN/);
  });
});

Deno.test("a node registers again when its EPMD comes back", async () => {
  const port = freePort();
  let server = EpmdServer.start({ port, hostname: "127.0.0.1" });
  const node = await DistNode.start({
    name: uniqueName("phoenix"),
    cookie: COOKIE,
    epmdPort: port,
    startEpmd: false,
  });
  try {
    const alive = node.name.split("@")[0];
    assert.ok(server.names().some((n) => n.name === alive));
    await server.close();
    server = EpmdServer.start({ port, hostname: "127.0.0.1" });
    const deadline = Date.now() + 8000;
    while (!server.names().some((n) => n.name === alive)) {
      assert.ok(Date.now() < deadline, "registered again within 8 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await epmdPortPlease(alive, { port }))?.port, node.port);
  } finally {
    await node.stop();
    await server.close();
  }
});
