/**
 * Remote ping-pong between two nodes on this machine: ttvm↔ttvm, ttvm↔erl (both directions)
 * and erl↔erl, measured the same way for all of them.
 *
 * Each pairing runs a `pong` server node and a `ping` client node as child processes (ttvm:
 * bench/programs/dist/{pong,ping_driver}.ttvm; Erlang: bench/erlang/dist_pingpong.erl). This
 * process is a third node (a DistNode of src/dist, which also serves EPMD on a free port, so
 * the system's EPMD is not touched): it tells the client `{go, ServerNode, N, Self}` and times
 * until `{done, N}` comes back — N round trips of one small message each way, over the
 * distribution protocol on loopback.
 *
 *   deno bench -A bench/dist_bench.ts                 every pairing, 1,000 round trips per
 *                                                     iteration (iter/s × 1,000 = round trips/s)
 *   deno run -A bench/dist_bench.ts ttvm [--smp=2] N  one timed run of N round trips, printed as
 *   deno run -A bench/dist_bench.ts erl [+S 2] N      `bench=dist_pingpong n=N ms=… rate=…`
 *   (also ttvm-erl and erl-ttvm: client-server)       (rate: round trips/s; tools/bench_compare)
 *
 * Every child is killed when the run ends.
 */
import { DistNode, type ErlTerm, isAtom, isTuple, tuple } from "../src/dist/mod.ts";
import { atom } from "../src/dist/term.ts";

type Engine = "ttvm" | "erl";
const ROOT = new URL("../", import.meta.url).pathname;
const COOKIE = "ttvm_dist_bench";
const READY_TIMEOUT_MS = 20_000;
const RUN_TIMEOUT_MS = 120_000;

function freePort(): number {
  const l = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = l.addr.port;
  l.close();
  return port;
}

let erlCode: Promise<string> | undefined;
function compileErlang(): Promise<string> {
  erlCode ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "ttvm_dist_bench_" });
    const out = await new Deno.Command("erlc", {
      args: ["-o", dir, `${ROOT}bench/erlang/dist_pingpong.erl`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`erlc: ${new TextDecoder().decode(out.stdout)}`);
    return dir;
  })();
  return erlCode;
}

/** A node as a child process, ready once it printed "ready". */
class Child {
  private out = "";
  private constructor(readonly process: Deno.ChildProcess, readonly node: string) {}

  static async start(
    engine: Engine,
    role: "pong" | "ping",
    alive: string,
    epmdPort: number,
    flags: string[],
  ): Promise<Child> {
    const host = Deno.hostname().split(".")[0];
    const env = { ERL_EPMD_PORT: String(epmdPort) };
    let cmd: Deno.Command;
    if (engine === "ttvm") {
      const program = role === "pong" ? "pong.ttvm" : "ping_driver.ttvm";
      cmd = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${ROOT}main.ts`,
          ...flags,
          "--sname",
          alive,
          "--cookie",
          COOKIE,
          `${ROOT}bench/programs/dist/${program}`,
        ],
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      });
    } else {
      cmd = new Deno.Command("erl", {
        args: [
          ...flags,
          "-noshell",
          "-sname",
          alive,
          "-setcookie",
          COOKIE,
          "-pa",
          await compileErlang(),
          "-eval",
          `dist_pingpong:${role === "pong" ? "pong" : "driver"}().`,
        ],
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      });
    }
    const child = new Child(cmd.spawn(), `${alive}@${host}`);
    children.add(child);
    await child.ready();
    return child;
  }

  private async ready(): Promise<void> {
    const reader = this.process.stdout.getReader();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const dec = new TextDecoder();
    while (!/^ready$/m.test(this.out)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        reader.read(),
        new Promise<null>((res) => timer = setTimeout(() => res(null), deadline - Date.now())),
      ]);
      clearTimeout(timer);
      if (r === null || r.done) throw new Error(`${this.node} did not start: ${this.out}`);
      this.out += dec.decode(r.value, { stream: true });
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    (async () => {
      while (!(await reader.read()).done);
    })().catch(() => {});
  }

  kill(): void {
    try {
      this.process.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

const children = new Set<Child>();
globalThis.addEventListener("unload", () => {
  for (const c of children) c.kill();
});

/** A client node, a server node and this process's control node. */
class Pairing {
  private readonly inbox: ErlTerm[] = [];
  private waiter: (() => void) | null = null;

  private constructor(
    private readonly control: DistNode,
    private readonly client: Child,
    private readonly server: Child,
  ) {
    control.onControl = (_from, msg) => {
      if (msg.op !== "SEND") return;
      this.inbox.push(msg.message);
      this.waiter?.();
    };
  }

  static async start(client: Engine, server: Engine, flags: string[]): Promise<Pairing> {
    const epmdPort = freePort();
    const tag = `${Deno.pid}_${crypto.getRandomValues(new Uint32Array(1))[0].toString(36)}`;
    const control = await DistNode.start({
      name: `bench_ctl_${tag}`,
      cookie: COOKIE,
      epmdPort,
      startEpmd: { epmdCommand: null }, // this process serves EPMD on the free port
    });
    const forEngine = (e: Engine) => flags.filter((f) => (e === "ttvm") === f.startsWith("--"));
    const ttvmFlags = forEngine("ttvm"), erlFlags = flags.filter((f) => !f.startsWith("--"));
    const s = await Child.start(
      server,
      "pong",
      `bench_pong_${tag}`,
      epmdPort,
      server === "ttvm" ? ttvmFlags : erlFlags,
    );
    const c = await Child.start(
      client,
      "ping",
      `bench_ping_${tag}`,
      epmdPort,
      client === "ttvm" ? ttvmFlags : erlFlags,
    );
    const pairing = new Pairing(control, c, s);
    await pairing.roundTrips(200); // connects client → server, warms up both
    return pairing;
  }

  /** Milliseconds for n round trips between client and server. */
  async roundTrips(n: number): Promise<number> {
    const me = this.control.pidOf(1);
    const started = performance.now();
    this.control.regSend(
      me,
      this.client.node,
      "ping",
      tuple(atom("go"), atom(this.server.node), BigInt(n), me),
    );
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const i = this.inbox.findIndex((m) => isTuple(m, 2) && isAtom(m.items[0], "done"));
      if (i >= 0) {
        this.inbox.splice(i, 1);
        return performance.now() - started;
      }
      if (Date.now() > deadline) throw new Error(`no {done, ${n}} within ${RUN_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 1000);
      });
      this.waiter = null;
    }
  }

  async stop(): Promise<void> {
    this.client.kill();
    this.server.kill();
    await Promise.all([this.client.process.status, this.server.process.status]);
    children.delete(this.client);
    children.delete(this.server);
    await this.control.stop();
  }
}

/** The floor for any node written in JavaScript on Deno: a 60-byte ping-pong between this
 *  process and an echo server in another Deno process, with a read always pending on both
 *  sockets (as on a node connection), and no protocol or VM at all. */
class BareTcp {
  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly conn: Deno.TcpConn,
  ) {}

  static async start(): Promise<BareTcp> {
    const port = freePort();
    const server = `
      const l = Deno.listen({ port: ${port}, hostname: "127.0.0.1" });
      console.log("ready");
      const c = await l.accept(); c.setNoDelay(true);
      const buf = new Uint8Array(65536);
      for (;;) { const n = await c.read(buf); if (n === null) break; await c.write(buf.slice(0, n)); }`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", server],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // "ready"
    reader.releaseLock();
    const conn = await Deno.connect({ port, hostname: "127.0.0.1" });
    conn.setNoDelay(true);
    return new BareTcp(child, conn);
  }

  async roundTrips(n: number): Promise<void> {
    const msg = new Uint8Array(60), buf = new Uint8Array(65536);
    for (let i = 0; i < n; i++) {
      await this.conn.write(msg);
      for (let got = 0; got < msg.length;) got += (await this.conn.read(buf)) ?? 0;
    }
  }

  stop(): void {
    this.conn.close();
    try {
      this.child.kill("SIGKILL");
    } catch {
      // gone
    }
  }
}

const PAIRINGS: Array<[client: Engine, server: Engine]> = [
  ["erl", "erl"],
  ["ttvm", "ttvm"],
  ["ttvm", "erl"],
  ["erl", "ttvm"],
];
const PER_ITERATION = 1000;

if (import.meta.main) {
  // One timed run: deno run -A bench/dist_bench.ts <ttvm|erl|ttvm-erl|erl-ttvm> [flags…] N
  const [which, ...rest] = Deno.args;
  const n = Number(rest.pop());
  const [client, server = client] = (which ?? "").split("-") as Engine[];
  if (!["ttvm", "erl"].includes(client) || !["ttvm", "erl"].includes(server) || !(n > 0)) {
    console.error("usage: deno run -A bench/dist_bench.ts <ttvm|erl|ttvm-erl|erl-ttvm> [flags…] N");
    Deno.exit(2);
  }
  const pairing = await Pairing.start(client, server, rest);
  try {
    const ms = await pairing.roundTrips(n);
    console.log(
      `bench=dist_pingpong n=${n} ms=${Math.round(ms)} rate=${Math.round(n / (ms / 1000))}`,
    );
  } finally {
    await pairing.stop();
  }
} else {
  let bare: Promise<BareTcp> | undefined, bareStarted: BareTcp | undefined;
  globalThis.addEventListener("unload", () => bareStarted?.stop());
  Deno.bench({
    name: `bare Deno TCP, no VM (the floor): ${PER_ITERATION} round trips`,
    group: "remote ping-pong",
    async fn(b) {
      bare ??= BareTcp.start();
      const tcp = bareStarted = await bare;
      b.start();
      await tcp.roundTrips(PER_ITERATION);
      b.end();
    },
  });
  const started = new Map<string, Promise<Pairing>>();
  for (const [client, server] of PAIRINGS) {
    const name = client === server ? `${client}↔${server}` : `${client} client → ${server} server`;
    Deno.bench({
      name: `${name}: ${PER_ITERATION} remote round trips`,
      group: "remote ping-pong",
      baseline: client === "erl" && server === "erl",
      async fn(b) {
        const key = `${client}-${server}`;
        if (!started.has(key)) started.set(key, Pairing.start(client, server, []));
        const pairing = await started.get(key)!;
        b.start();
        await pairing.roundTrips(PER_ITERATION);
        b.end();
      },
    });
  }
}
