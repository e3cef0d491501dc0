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
}
