/**
 * Three ttvm nodes and no Erlang at all: the first node serves EPMD itself (on a free port given
 * with ERL_EPMD_PORT; TTVM_EPMD_EMBEDDED=1 keeps it from starting the installed `epmd`), the
 * others register with it. Between them: SENDNAMED_AT, SPAWN_AT of a Function with an argument,
 * of a Closure and of a label, NODE / NODE_OF / NODES, a monitor across nodes, a link broken by
 * DISCONNECT_NODE (noconnection), reconnecting on demand, MONITOR_NODE. Single scheduler and
 * SMP pool. Every node is a child process killed in `finally`.
 */
import assert from "node:assert/strict";
import { SHORT_HOST, uniqueName } from "../dist/erl_harness.ts";
import { freePort, PROGRAMS, TtvmNode } from "./harness.ts";

const COOKIE = "ttvm_trio_cookie";

for (const smp of [undefined, 2, 4]) {
  Deno.test(`three ttvm nodes on an embedded EPMD spawn, send, monitor and link${smp ? ` (--smp=${smp})` : ""}`, async () => {
    const epmdPort = freePort();
    const hub = uniqueName("hub"), idle = uniqueName("idle"), driver = uniqueName("drv");
    const full = (n: string) => `${n}@${SHORT_HOST}`;
    const nodes: TtvmNode[] = [];
    const start = (role: string, name: string) => {
      const node = TtvmNode.start({
        program: `${PROGRAMS}trio.ttvm`,
        args: [role, full(hub), full(idle)],
        name,
        cookie: COOKIE,
        epmdPort,
        embeddedEpmd: true,
        smp,
      });
      nodes.push(node);
      return node;
    };
    try {
      const h = start("hub", hub);
      await h.waitForLine(/^ready$/);
      const i = start("idle", idle);
      await i.waitForLine(/^ready$/);
      const d = start("driver", driver);
      assert.equal(await d.finish(), 0, d.describe());
      assert.equal(await i.finish(), 0, i.describe());
      assert.equal(await h.finish(), 0, h.describe());
      assert.deepEqual(d.out.lines, [
        `node ${full(driver)}`,
        `worker on ${full(idle)}`,
        "worker down: finished",
        "nodes: 1",
        "disconnected: true",
        "link: noconnection",
        "waiter alive: false",
        `nodedown ${full(idle)}`,
        "driver done",
      ], d.describe());
      assert.deepEqual(i.out.lines, ["ready", "idle stopped"], i.describe());
      assert.deepEqual(h.out.lines.sort(), [
        "closure says captured text",
        "hub done",
        "ready",
        `worker runs on ${full(idle)}`,
      ], h.describe());
      for (const n of nodes) assert.equal(n.err.text, "", n.describe());
    } finally {
      for (const n of nodes.reverse()) await n.stop();
    }
  });
}

Deno.test("a node alone: bad node names are errors, nodes nobody runs are nodedowns", async () => {
  const nobody = `${uniqueName("nobody")}@${SHORT_HOST}`;
  const node = TtvmNode.start({
    program: `${PROGRAMS}edges.ttvm`,
    args: [nobody],
    name: uniqueName("edge"),
    cookie: COOKIE,
    epmdPort: freePort(),
    embeddedEpmd: true,
  });
  try {
    assert.equal(await node.finish(), 0, node.describe());
    const lines = node.out.lines;
    assert.deepEqual(lines.slice(0, 4), [
      "Exception: Bad node name: bogus (expected name@host)",
      "Exception: Bad node name: no-at-sign (expected name@host)",
      "false",
      "false",
    ]);
    assert.deepEqual(lines.slice(4, 6).sort(), [
      "{type: nodedown, node: bogus}",
      `{type: nodedown, node: ${nobody}}`,
    ]);
    assert.deepEqual(lines.slice(6), [
      "to me, by name, through this node",
      "1",
      "spawned on this node",
      "[]",
    ]);
  } finally {
    await node.stop();
  }
});
