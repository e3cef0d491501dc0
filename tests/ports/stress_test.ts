/**
 * Port stress on the single scheduler and on 2 and 4 workers (LANGUAGE.md §7):
 * - 1,000 concurrent TCP connections × 100 round trips: every line comes back, in order;
 * - clients vanishing mid-line, and handlers crashing with their socket open and the client
 *   still sending: the runtime closes those sockets, the server goes on, nothing leaks (the
 *   run's --stats counts the handles still open at the end);
 * - 2,000 HTTP requests whose handler processes crash at random: every request is answered
 *   exactly once — 200 by its handler, or 503 by the runtime when its holder died.
 * Every wait is bounded; the server program reports its own port.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const PROGRAMS = "tests/ports/programs/";
const BOUND_MS = 120_000;

/** A ttvm run with piped stdout; `port()` waits for its `listening <port>` line. */
class Server {
  readonly proc: Deno.ChildProcess;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly dec = new TextDecoder();
  out = "";

  constructor(args: string[]) {
    this.proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "--stats", ...args],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.reader = this.proc.stdout.getReader();
  }

  async port(): Promise<number> {
    const deadline = Date.now() + BOUND_MS;
    for (;;) {
      const m = /listening (\d+)\n/.exec(this.out);
      if (m) return Number(m[1]);
      assert.ok(Date.now() < deadline, `no listening line: ${this.out}`);
      const r = await this.reader.read();
      if (r.done) assert.fail(`server ended early: ${this.out}`);
      this.out += this.dec.decode(r.value, { stream: true });
    }
  }

  /** Wait for the end of the run: exit status and stderr (the stats). */
  async finish(): Promise<{ code: number; stderr: string }> {
    for (;;) {
      const r = await this.reader.read();
      if (r.done) break;
      this.out += this.dec.decode(r.value, { stream: true });
    }
    const [status, stderr] = await Promise.all([
      this.proc.status,
      new Response(this.proc.stderr).text(),
    ]);
    return { code: status.code, stderr };
  }

  async kill(): Promise<void> {
    try {
      this.proc.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.proc.status;
    await this.reader.cancel().catch(() => {});
    await this.proc.stderr.cancel().catch(() => {});
  }
}

const enc = new TextEncoder(), dec = new TextDecoder();

/** Read lines from a connection until `count` lines arrived or the stream ended. */
async function readLines(conn: Deno.Conn, count: number): Promise<string[]> {
  const lines: string[] = [];
  let pending = "";
  const buf = new Uint8Array(64 * 1024);
  while (lines.length < count) {
    const n = await conn.read(buf);
    if (n === null) break;
    pending += dec.decode(buf.subarray(0, n), { stream: true });
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      lines.push(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  }
  return lines;
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = enc.encode(text);
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** One client: `trips` round trips of a numbered line, each answer checked at once. */
async function echoClient(port: number, id: number, trips: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    let pending = "";
    const buf = new Uint8Array(4096);
    for (let i = 0; i < trips; i++) {
      const line = `client ${id} line ${i} ${"é".repeat(i % 5)}`;
      await writeAll(conn, line + "\n");
      while (!pending.includes("\n")) {
        const n = await conn.read(buf);
        if (n === null) throw new Error(`client ${id}: stream ended after ${i} trips`);
        pending += dec.decode(buf.subarray(0, n), { stream: true });
      }
      const nl = pending.indexOf("\n");
      assert.equal(pending.slice(0, nl), line, `client ${id} trip ${i}`);
      pending = pending.slice(nl + 1);
    }
  } finally {
    conn.close();
  }
}

function portsOpen(stderr: string): number {
  const m = /ports open at end:\s+(\d+)/.exec(stderr);
  assert.ok(m, `no ports line in stats:\n${stderr}`);
  return Number(m[1]);
}

async function pool<T>(items: T[], width: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await f(items[next++]);
  }));
}

for (const mode of [[], ["--smp=2"], ["--smp=4"]]) {
  const name = mode.length ? mode[0] : "single";

  Deno.test(`${name}: 1,000 connections × 100 round trips lose and reorder nothing`, async () => {
    const clients = 1000, trips = 100;
    const server = new Server([...mode, PROGRAMS + "echo_server.ttvm", String(clients)]);
    try {
      const port = await server.port();
      const ids = Array.from({ length: clients }, (_, i) => i);
      await Promise.all(ids.map((id) => echoClient(port, id, trips)));
      const { code, stderr } = await server.finish();
      assert.equal(code, 0, stderr);
      assert.match(server.out, new RegExp(`served ${clients}\n$`));
      assert.equal(portsOpen(stderr), 0);
      assert.match(stderr, /processes alive:\s+0/);
    } finally {
      await server.kill();
    }
  });

  Deno.test(`${name}: vanishing clients and crashing handlers leave no socket behind`, async () => {
    const good = 40, vanishing = 40, crashing = 40;
    const server = new Server([
      ...mode,
      PROGRAMS + "echo_server.ttvm",
      String(good + vanishing + crashing),
    ]);
    try {
      const port = await server.port();
      const jobs: Array<() => Promise<void>> = [];
      for (let i = 0; i < good; i++) jobs.push(() => echoClient(port, i, 20));
      for (let i = 0; i < vanishing; i++) {
        jobs.push(async () => {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          await writeAll(conn, "a complete line\nhalf a li");
          assert.deepEqual(await readLines(conn, 1), ["a complete line"]);
          conn.close(); // gone mid-line
        });
      }
      for (let i = 0; i < crashing; i++) {
        jobs.push(async () => {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          // The handler crashes on "/crash" while more data is in flight behind it.
          await writeAll(conn, "before\n/crash\n" + "after the crash\n".repeat(200));
          const lines = await readLines(conn, 1000); // until the runtime closes the socket
          assert.deepEqual(lines, ["before"]);
          conn.close();
        });
      }
      await Promise.all(jobs.map((j) => j()));
      const { code, stderr } = await server.finish();
      assert.equal(code, 0, stderr);
      assert.match(server.out, /served 120\n$/);
      assert.equal(portsOpen(stderr), 0);
      assert.equal((stderr.match(/crashed: crash requested/g) ?? []).length, crashing);
    } finally {
      await server.kill();
    }
  });

  Deno.test(`${name}: 2,000 HTTP requests with crashing handlers are each answered once`, async () => {
    const total = 2000;
    const server = new Server([...mode, PROGRAMS + "http_server.ttvm", String(total)]);
    try {
      const port = await server.port();
      const statuses = new Map<number, number>();
      const ids = Array.from({ length: total }, (_, i) => i);
      // Every 5th request asks its handler to crash before answering.
      await pool(ids, 50, async (i) => {
        const path = i % 5 === 0 ? `/crash/${i}` : `/ok/${i}`;
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        const body = await res.text();
        if (res.status === 200) assert.equal(body, `handled ${path}`);
        assert.ok(!statuses.has(i), `request ${i} answered twice`);
        statuses.set(i, res.status);
      });
      const { code, stderr } = await server.finish();
      assert.equal(code, 0, stderr);
      assert.equal(statuses.size, total);
      for (const [i, status] of statuses) {
        assert.equal(status, i % 5 === 0 ? 503 : 200, `request ${i}`);
      }
      assert.match(server.out, new RegExp(`requests ${total}\n$`));
      assert.equal(portsOpen(stderr), 0);
    } finally {
      await server.kill();
    }
  });
}
