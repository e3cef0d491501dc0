/**
 * ttvm nodes in a cluster with a real Erlang node (OTP 25+; tests/dist/README.md says how to get
 * one): messages of every mapped type both ways, a property test of random values through the VM
 * (ttvm encodes, Erlang decodes and re-encodes, ttvm decodes, the values are EQ), links and
 * monitors both ways, the Erlang node killed with SIGKILL (noconnection EXIT and DOWN, nodedown),
 * a wrong cookie, an Elixir-style struct, `net_adm:ping`. The main scenarios run on the single
 * scheduler and on `--smp=2`.
 *
 * Each test has its own epmd (a free port, ERL_EPMD_PORT) and unique node names; every child
 * (erl, epmd, ttvm) is killed and reaped in `finally`; every wait is bounded. The Erlang side is
 * tests/cluster/ttvm_cluster.erl, the ttvm side tests/cluster/programs/*.ttvm; each prints what
 * it observes and the test checks both.
 */
import assert from "node:assert/strict";
import { ErlNode, RealEpmd, requireErlang, SHORT_HOST, uniqueName } from "../dist/erl_harness.ts";
import { compileClusterPeer, PROGRAMS, TtvmNode } from "./harness.ts";
import { randomProgram } from "./random_program.ts";

const COOKIE = "ttvm_cluster_test_cookie";

interface Pair {
  erl: ErlNode;
  ttvm: TtvmNode;
  erlNode: string;
  ttvmNode: string;
}

/** An erl node running `scenario` and a ttvm node running `program` (argument: the erl node),
 *  on a fresh epmd; both cleaned up afterwards. */
async function withPair(
  opts: { scenario: string; program: string; smp?: number; ttvmCookie?: string },
  body: (p: Pair) => Promise<void>,
): Promise<void> {
  requireErlang();
  const dir = await compileClusterPeer();
  const epmd = await RealEpmd.start();
  let erl: ErlNode | undefined, ttvm: TtvmNode | undefined;
  try {
    erl = await ErlNode.start({
      alive: uniqueName("erl"),
      cookie: COOKIE,
      epmdPort: epmd.port,
      extraArgs: ["-pa", dir],
      eval: `ttvm_cluster:${opts.scenario}().`,
    });
    await erl.waitForLine(/^ready/);
    const alive = uniqueName("tt");
    ttvm = TtvmNode.start({
      program: opts.program.startsWith("/") ? opts.program : `${PROGRAMS}${opts.program}`,
      args: [erl.nodeName],
      name: alive,
      cookie: opts.ttvmCookie ?? COOKIE,
      epmdPort: epmd.port,
      smp: opts.smp,
    });
    await body({ erl, ttvm, erlNode: erl.nodeName, ttvmNode: `${alive}@${SHORT_HOST}` });
  } finally {
    await ttvm?.stop();
    await erl?.stop();
    await epmd.stop();
  }
}

function utf8List(s: string): string {
  return `<<${[...new TextEncoder().encode(s)].join(",")}>>`;
}

for (const smp of [undefined, 2]) {
  const mode = smp ? ` (--smp=${smp})` : "";

  Deno.test(`values of every mapped type go both ways between ttvm and Erlang${mode}`, async () => {
    await withPair({ scenario: "values", program: "values.ttvm", smp }, async ({ erl, ttvm }) => {
      assert.equal(await ttvm.finish(), 0, ttvm.describe());
      await erl.finish();
      const saw = erl.lines.filter((l) => l.startsWith("saw ")).map((l) => l.slice(4));
      assert.deepEqual(saw.slice(0, 11), [
        "42",
        "-9223372036854775808",
        "3.5",
        utf8List("héllo 😀"),
        "<<>>",
        "true",
        "undefined",
        "ok",
        "{a,1}",
        `[1,${utf8List("two")},[3]]`,
        `#{${utf8List("n")} => 1,${utf8List("name")} => ${utf8List("x")}}`,
      ], erl.lines.join("\n"));
      assert.match(saw[11], /^<<31,139,/); // Bytes (gzip data) as a binary
      assert.match(saw[12], new RegExp(`^pid of '?tt_`)); // SELF as a real pid of the ttvm node
      assert.match(saw[13], /^\{'\$ttvm',function,\d+,\d+,\d+,\[<<101,114,108>>,<<118>>\]\}$/);
      const same = ttvm.out.lines.filter((l) => l.startsWith("same ") || l.startsWith("DIFF"));
      assert.deepEqual(same, [
        "same int",
        "same int",
        "same float",
        "same str",
        "same str",
        "same bool",
        "same null",
        "same atom",
        "same tuple",
        "same list",
        "same object",
        "same bytes",
        "same int",
        "same function",
      ], ttvm.describe());
      // Erlang → ttvm: how ttvm sees each Erlang term, and whether it came back =:=
      const seen = new Map(
        ttvm.out.lines.filter((l) => !l.startsWith("same ")).map((l) => {
          const [name, type, ...rest] = l.split(" ");
          return [name, `${type} ${rest.join(" ")}`];
        }),
      );
      assert.match(seen.get("bin_nonutf8")!, /^bytes /);
      // A reference of another node prints with that node's name (Erlang shows a node index).
      assert.match(seen.get("ref")!, /^term #Ref<erl_\w+@[\w.-]+\.\d+\.\d+\.\d+>$/);
      assert.match(seen.get("fn")!, /^term #Fun</);
      assert.equal(seen.get("improper"), "term #Term<[1|2]>");
      assert.equal(seen.get("big"), `term #Term<${1n << 70n}>`);
      assert.equal(seen.get("intmap"), "term #{1 => a}");
      assert.match(seen.get("struct")!, /^object /);
      assert.equal(seen.get("charlist"), "list [104, 105]");
      assert.match(seen.get("pid")!, /^int \d+$/);
      assert.equal(seen.get("tuple"), "tuple {a, 1.5, s}");
      assert.match(seen.get("port")!, /^term #Port</);
      assert.equal(seen.get("atoms"), "list [true, false, null, ok]");
      assert.equal(seen.get("nested"), "list [[[]], {}]");
      assert.equal(seen.get("float"), "float -0");
      const verdicts = erl.lines.filter((l) => /^(exact|changed|lost) /.test(l));
      for (
        const name of [
          "bin_nonutf8",
          "ref",
          "fn",
          "improper",
          "big",
          "intmap",
          "charlist",
          "pid",
          "tuple",
          "port",
          "atoms",
          "nested",
          "float",
        ]
      ) {
        assert.ok(verdicts.includes(`exact ${name}`), `${name}: ${verdicts.join("\n")}`);
      }
      // An Elixir struct's atom keys arrive as Str keys, so it goes back with binary keys.
      assert.ok(
        verdicts.includes(
          `changed struct #{${utf8List("__struct__")} => 'Elixir.User',${utf8List("age")} => 42,${
            utf8List("name")
          } => ${utf8List("José")}}`,
        ),
        verdicts.join("\n"),
      );
    });
  });

  Deno.test(`property: 300 random values round-trip through Erlang, encoded and decoded by the VM${mode}`, async () => {
    const seed = 20240 + (smp ?? 0);
    const file = await Deno.makeTempFile({ suffix: ".ttvm" });
    try {
      await Deno.writeTextFile(file, randomProgram(seed, 300));
      await withPair({ scenario: "echo", program: file, smp }, async ({ erl, ttvm }) => {
        assert.equal(await ttvm.finish(60_000), 0, ttvm.describe());
        await erl.finish();
        const bad = ttvm.out.lines.filter((l) => !l.startsWith("ok "));
        assert.deepEqual(bad, [], `seed ${seed}:\n${bad.join("\n")}`);
        assert.equal(ttvm.out.lines.length, 300, ttvm.describe());
        assert.ok(erl.lines.includes("echoed 300"), erl.lines.join("\n"));
      });
    } finally {
      await Deno.remove(file);
    }
  });

  Deno.test(`links and monitors work both ways between ttvm and Erlang processes${mode}`, async () => {
    await withPair({ scenario: "links", program: "links.ttvm", smp }, async ({ erl, ttvm }) => {
      assert.equal(await ttvm.finish(), 0, ttvm.describe());
      await erl.finish();
      assert.deepEqual(ttvm.out.lines, [
        "node_of erl",
        "exit boom",
        "exit from victim",
        "down boom",
        "down ref matches",
        "victim alive: false",
        "done",
      ], ttvm.describe());
      assert.equal(ttvm.err.text, "", ttvm.describe());
      const seen = erl.lines.filter((l) => l !== "ready");
      assert.deepEqual(seen.slice(0, 4), [
        "exit bye",
        "down bye",
        "killed killed",
        `trapped stop_now pid of ${ttvm.label.split(" ")[1]}@${SHORT_HOST}`,
      ], erl.lines.join("\n"));
      assert.deepEqual(seen.slice(4), [
        "unlink held",
        "by name noproc",
        "named down bye true",
        "demonitor held",
      ], erl.lines.join("\n"));
    });
  });

  Deno.test(`an Erlang node killed with SIGKILL: noconnection EXIT and DOWN, nodedown${mode}`, async () => {
    await withPair({ scenario: "hold", program: "nodedown.ttvm", smp }, async (p) => {
      await p.ttvm.waitForLine(/^ready, nodes: 1$/);
      await p.erl.stop("SIGKILL");
      assert.equal(await p.ttvm.finish(), 0, p.ttvm.describe());
      const notes = p.ttvm.out.lines.slice(1, 4).sort();
      assert.deepEqual(notes, [
        "DOWN noconnection",
        "EXIT noconnection",
        `nodedown ${p.erlNode}`,
      ], p.ttvm.describe());
      assert.deepEqual(p.ttvm.out.lines.slice(4), ["held alive: false", "nodes: []"]);
    });
  });

  Deno.test(`5000 messages each way keep their order${mode}`, async () => {
    await withPair({ scenario: "order", program: "order.ttvm", smp }, async ({ erl, ttvm }) => {
      assert.equal(await ttvm.finish(), 0, ttvm.describe());
      await erl.finish();
      assert.deepEqual(ttvm.out.lines, ["in order 5000"]);
      assert.ok(erl.lines.includes("in order 5000"), erl.lines.join("\n"));
    });
  });

  Deno.test(`SPAWN_AT starts Erlang code on the Erlang node; Erlang code cannot run on ttvm${mode}`, async () => {
    await withPair({ scenario: "spawns", program: "spawn.ttvm", smp }, async (p) => {
      assert.equal(await p.ttvm.finish(), 0, p.ttvm.describe());
      await p.erl.finish();
      assert.deepEqual(
        p.ttvm.out.lines.slice().sort(),
        [
          "Exception: Cannot spawn on nosuch@nowhere: noconnection",
          "answer from the spawned pid: 1",
          `hello from ${p.erlNode}, 42`, // printed here: the ttvm node is its group leader
          `spawned on ${p.erlNode}`,
        ].sort(),
        p.ttvm.describe(),
      );
      assert.deepEqual(p.erl.lines.slice(1), [
        "rpc {badrpc,notsup}",
        "spawn_request error notsup",
      ], p.erl.lines.join("\n"));
    });
  });
}

Deno.test("a wrong cookie is refused both ways; net_adm:ping answers with the right one", async () => {
  requireErlang();
  const dir = await compileClusterPeer();
  const epmd = await RealEpmd.start();
  const children: { stop(): Promise<unknown> }[] = [];
  try {
    // ttvm → Erlang with the wrong cookie
    const erl = await ErlNode.start({
      alive: uniqueName("erl"),
      cookie: COOKIE,
      epmdPort: epmd.port,
      extraArgs: ["-pa", dir],
      eval: "ttvm_cluster:echo().",
    });
    children.push(erl);
    await erl.waitForLine(/^ready/);
    const wrong = TtvmNode.start({
      program: `${PROGRAMS}cookie.ttvm`,
      args: [erl.nodeName],
      name: uniqueName("tt"),
      cookie: "not_the_cookie",
      epmdPort: epmd.port,
    });
    children.push(wrong);
    assert.equal(await wrong.finish(), 0, wrong.describe());
    assert.deepEqual(wrong.out.lines, [
      "connect: false",
      `nodedown ${erl.nodeName}`,
      "nodes: []",
    ]);
    // Erlang → ttvm: pang with another cookie, pong with the same one
    const alive = uniqueName("tt");
    const server = TtvmNode.start({
      program: new URL("../../bench/programs/dist/pong.ttvm", import.meta.url).pathname,
      name: alive,
      cookie: COOKIE,
      epmdPort: epmd.port,
    });
    children.push(server);
    await server.waitForLine(/^ready$/);
    for (const [cookie, answer] of [["other_cookie", "pang"], [COOKIE, "pong"]]) {
      const pinger = await ErlNode.start({
        alive: uniqueName("erl"),
        cookie,
        epmdPort: epmd.port,
        eval: `io:format("~w~n", [net_adm:ping('${alive}@${SHORT_HOST}')]), halt().`,
      });
      children.push(pinger);
      await pinger.finish();
      assert.equal(pinger.lines.at(-1), answer, pinger.lines.join("\n") + pinger.stderr);
    }
  } finally {
    for (const c of children.reverse()) await c.stop();
    await epmd.stop();
  }
});

Deno.test("the README's example: a ttvm node and an Erlang shell say hello", async () => {
  requireErlang();
  const epmd = await RealEpmd.start();
  let erl: ErlNode | undefined, ttvm: TtvmNode | undefined;
  try {
    // What the README has the reader type into `erl -sname a`.
    erl = await ErlNode.start({
      alive: uniqueName("a"),
      cookie: COOKIE,
      epmdPort: epmd.port,
      eval: [
        "register(shell, self()),",
        'io:format("ready~n"),',
        'receive {hello, Ttvm, Text} -> io:format("~s~n", [Text]) end,',
        'Ttvm ! {greeting, <<"hello from Erlang">>, [1, 2.5, #{name => <<"erl">>}]},',
        "Ttvm ! bye,",
        "monitor_node(node(Ttvm), true),",
        "receive {nodedown, _} -> halt() after 30000 -> halt(1) end.",
      ].join(" "),
    });
    await erl.waitForLine(/^ready$/);
    const alive = uniqueName("b");
    ttvm = TtvmNode.start({
      program: new URL("../../examples/dist/hello.ttvm", import.meta.url).pathname,
      args: [erl.nodeName],
      name: alive,
      cookie: COOKIE,
      epmdPort: epmd.port,
    });
    assert.equal(await ttvm.finish(), 0, ttvm.describe());
    assert.deepEqual(ttvm.out.lines, [
      `connected to ${erl.nodeName}`,
      "{greeting, hello from Erlang, [1, 2.5, {name: erl}]}",
      "bye",
    ]);
    assert.equal((await erl.finish()).code, 0);
    assert.ok(
      erl.lines.includes(`hello from ttvm node ${alive}@${SHORT_HOST}`),
      erl.lines.join("\n"),
    );
  } finally {
    await ttvm?.stop();
    await erl?.stop();
    await epmd.stop();
  }
});
