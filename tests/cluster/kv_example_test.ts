/**
 * The example of examples/dist (a replicated key-value store): a ttvm coordinator supervising
 * store workers on a ttvm member node and on an Erlang node, driven by a client node of the
 * test (a DistNode, tests/dist/mini_vm.ts). Puts reach every store; when the member node is
 * killed the coordinator sees its store go down (noconnection) and reads are still served; when
 * a node of the same name comes back, the coordinator starts a new store there and copies the
 * data into it, including what was written while it was away.
 */
import assert from "node:assert/strict";
import { atom, binary, type ErlTerm, isTuple, map, termEquals, tuple } from "../../src/dist/mod.ts";
import { ErlNode, RealEpmd, requireErlang, SHORT_HOST, uniqueName } from "../dist/erl_harness.ts";
import { MiniVm, type Proc } from "../dist/mini_vm.ts";
import { TtvmNode } from "./harness.ts";

const COOKIE = "ttvm_kv_example";
const EXAMPLE = new URL("../../examples/dist/", import.meta.url).pathname;

async function compileStore(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ttvm_kv_" });
  const out = await new Deno.Command("erlc", {
    args: ["-o", dir, `${EXAMPLE}kv_store.erl`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`erlc: ${new TextDecoder().decode(out.stdout)}`);
  return dir;
}

for (const smp of [undefined, 2]) {
  Deno.test(`examples/dist: the kv coordinator restarts a store when its node returns${smp ? ` (--smp=${smp})` : ""}`, async () => {
    requireErlang();
    const dir = await compileStore();
    const epmd = await RealEpmd.start();
    const memberName = uniqueName("member"), coordName = uniqueName("kv");
    const member = `${memberName}@${SHORT_HOST}`, coordinator = `${coordName}@${SHORT_HOST}`;
    const ttvm = (name: string, args: string[]) =>
      TtvmNode.start({
        program: `${EXAMPLE}kv.ttvm`,
        args,
        name,
        cookie: COOKIE,
        epmdPort: epmd.port,
        smp,
      });
    const nodes: { stop(): Promise<unknown> }[] = [];
    let client: MiniVm | undefined;
    try {
      const erl = await ErlNode.start({
        alive: uniqueName("store"),
        cookie: COOKIE,
        epmdPort: epmd.port,
        extraArgs: ["-pa", dir],
        eval: 'io:format("ready~n"), receive stop -> ok end.',
      });
      nodes.push(erl);
      await erl.waitForLine(/^ready/);
      let m = ttvm(memberName, ["member"]);
      nodes.push(m);
      await m.waitForLine(/ ready$/);
      const c = ttvm(coordName, ["coordinator", `ttvm:${member}`, `erl:${erl.nodeName}`]);
      nodes.push(c);
      await c.waitForLine(new RegExp(`^store started on ${erl.nodeName} `));

      client = await MiniVm.start({
        name: uniqueName("client"),
        cookie: COOKIE,
        epmdPort: epmd.port,
        startEpmd: false,
      });
      const me = client.spawn();
      const call = (request: ErlTerm[]): Promise<ErlTerm> => {
        client!.node.regSend(me.pid, coordinator, "kv", tuple(...request, me.pid));
        return next(me);
      };
      const put = async (key: string, value: ErlTerm) =>
        assert.ok(
          termEquals(await call([atom("put"), binary(key), value]), tuple(atom("ok"), binary(key))),
        );
      const valueOf = async (request: ErlTerm[]) => {
        const reply = await call(request);
        assert.ok(isTuple(reply, 3), `reply ${JSON.stringify(reply, (_k, v) => String(v))}`);
        return reply.items[2];
      };

      await put("a", 1n);
      await put("b", map([[binary("x"), tuple(atom("nested"), 2n)]]));
      assert.ok(termEquals(await valueOf([atom("get"), binary("a")]), 1n));
      for (const node of [member, erl.nodeName]) {
        assert.ok(termEquals(await valueOf([atom("get_at"), atom(node), binary("a")]), 1n));
      }

      // The member node dies: its store goes down, the other store still answers.
      await m.stop("SIGKILL");
      await c.waitForLine(new RegExp(`^store on ${member} down: noconnection$`));
      await put("c", binary("written while the member was away"));
      assert.ok(
        termEquals(
          await valueOf([atom("get"), binary("c")]),
          binary("written while the member was away"),
        ),
      );

      // A node of the same name returns: a new store, with every key copied into it.
      m = ttvm(memberName, ["member"]);
      nodes.push(m);
      await c.waitForLine(new RegExp(`^store restarted on ${member} \\(3 keys copied\\)$`));
      assert.ok(
        termEquals(
          await valueOf([atom("get_at"), atom(member), binary("c")]),
          binary("written while the member was away"),
        ),
      );
      assert.ok(
        termEquals(
          await valueOf([atom("get_at"), atom(member), binary("b")]),
          map([[binary("x"), tuple(atom("nested"), 2n)]]),
        ),
      );
      assert.ok(termEquals(await call([atom("stop")]), tuple(atom("ok"), atom("stop"))));
      assert.equal(await c.finish(), 0, c.describe());
      assert.deepEqual(c.out.lines, [
        `kv coordinator ${coordinator}`,
        `store started on ${member} (0 keys copied)`,
        `store started on ${erl.nodeName} (0 keys copied)`,
        `store on ${member} down: noconnection`,
        `store restarted on ${member} (3 keys copied)`,
        "kv stopped",
      ]);
    } finally {
      await client?.stop();
      for (const n of nodes.reverse()) await n.stop();
      await epmd.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

function next(p: Proc): Promise<ErlTerm> {
  return p.message((msg) => msg, 30_000);
}
