/**
 * The dashboard's HTTP side without a browser: the snapshot's fields and sort orders, the
 * details of a live and of a dead process, the refusal of a foreign Host header (loopback
 * only, no DNS rebinding), unknown paths, and a port already in use as a clear error before
 * the program runs.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, runTtvm } from "../golden_lib.ts";

const PROGRAM = "tests/observe/programs/dashboard_demo.ttvm";

async function withDashboard(fn: (base: string) => Promise<void>): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--observe=0", PROGRAM],
    cwd: REPO_ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const stdout = new Response(child.stdout).text();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  let base = "";
  while (!base) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`no dashboard: ${stderr}`);
    stderr += value;
    base = /dashboard at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr)?.[1] ?? "";
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stderr += value;
    }
  })();
  try {
    await fn(base);
  } finally {
    await stdin.write(new TextEncoder().encode("\n\n")).catch(() => {});
    await stdin.close().catch(() => {});
  }
  const status = await child.status;
  await rest;
  assert.equal(status.code, 0, stderr);
  assert.equal(await stdout, "");
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
}

Deno.test({
  name: "--observe serves snapshots, sorted views and details; refuses foreign hosts",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withDashboard(async (base) => {
      // Wait until the demo's processes are all up (the hog fills its list first).
      let snap: Record<string, unknown> = {};
      for (let i = 0; i < 100; i++) {
        snap = (await getJson(`${base}/api/snapshot?sort=memory&n=3`)).body;
        const procs = snap.processes as Array<{ name: string | null; memory: number }>;
        if (procs[0]?.name === "hog" && procs[0].memory > 1_000_000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (
        const k of [
          "node",
          "uptime_ms",
          "schedulers",
          "process_count",
          "process_limit",
          "memory_bytes",
          "messages",
          "reductions",
          "run_queue",
          "history",
          "supervision",
        ]
      ) assert.ok(k in snap, `snapshot lacks ${k}`);
      assert.equal(snap.node, "nonode@nohost");
      assert.equal(snap.schedulers, 1);
      assert.equal(snap.sort, "memory");
      const procs = snap.processes as Array<Record<string, number | string | null>>;
      assert.equal(procs.length, 3);
      assert.equal(procs[0].name, "hog");
      assert.ok(procs.every((p, i) => i === 0 || procs[i - 1].memory! >= p.memory!));
      const byPid = (await getJson(`${base}/api/snapshot?sort=pid&n=500`)).body;
      const pids = (byPid.processes as Array<{ pid: number }>).map((p) => p.pid);
      assert.deepEqual(pids, [...pids].sort((a, b) => a - b));
      assert.ok(pids.length >= 9);
      const bad = (await getJson(`${base}/api/snapshot?sort=nonsense`)).body;
      assert.equal(bad.sort, "reductions_rate", "an unknown sort key falls back to the default");
      // Details of a live process, and of one that does not exist.
      const hog = procs[0].pid as number;
      const d = await getJson(`${base}/api/process?pid=${hog}`);
      assert.equal(d.status, 200);
      assert.deepEqual(d.body.names, ["hog"]);
      assert.equal(d.body.pid, hog);
      const gone = await getJson(`${base}/api/process?pid=99999`);
      assert.equal(gone.status, 404);
      // The page itself.
      const page = await fetch(`${base}/`);
      assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
      assert.match(await page.text(), /<table id="proc-table">/);
      assert.equal(await (await fetch(`${base}/nope`)).text(), "not found\n");
      // A request naming another host (DNS rebinding) is refused.
      const port = new URL(base).port;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
      await conn.write(
        new TextEncoder().encode(
          "GET /api/snapshot HTTP/1.1\r\nHost: evil.example:" + port +
            "\r\nConnection: close\r\n\r\n",
        ),
      );
      const reply = await new Response(conn.readable).text();
      assert.match(reply, /^HTTP\/1\.1 403/);
    });
  },
});

Deno.test("--observe on a port in use is an error before the program runs", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const r = await runTtvm([`--observe=${port}`, "examples/hello.ttvm"], "");
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      new RegExp(`^Error: --observe: cannot listen on 127\\.0\\.0\\.1:${port}: `),
    );
  } finally {
    listener.close();
  }
});
