/**
 * The measurements of the network benchmarks, shared by bench/ports_bench.ts and
 * tools/bench_compare.ts (its Network part), so both measure the same way:
 * - echoRate: line echo round trips per second, driven by bench/ports/echo_client.ts in its own
 *   OS process (the same client for every server);
 * - wrkRate: HTTP requests per second from wrk (a run with socket errors or non-2xx answers is
 *   an error, not a figure);
 * - idleCpu: the server's CPU time per second of wall time while N connections sit idle, each
 *   after one round trip, so the server has a process (or task) waiting in a line read.
 * Every function throws on a failed measurement; none returns a made-up figure.
 */
import { cpuSeconds } from "./servers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

export interface EchoResult {
  roundTrips: number;
  ms: number;
  /** Round trips per second. */
  rate: number;
}

/** Run the echo client against 127.0.0.1:`port` with `connections` connections for
 *  `durationMs`; its stderr is captured into the error when it fails. */
export async function echoRate(
  port: number,
  connections: number,
  durationMs: number,
): Promise<EchoResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "bench/ports/echo_client.ts",
      String(port),
      String(connections),
      String(durationMs),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(durationMs + 120_000),
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`echo client exit ${out.code}: ${dec.decode(out.stderr).trim().slice(0, 300)}`);
  }
  const r = JSON.parse(dec.decode(out.stdout)) as EchoResult;
  if (!(r.roundTrips > 0)) throw new Error("echo client completed no round trip");
  return r;
}

/** Whether `wrk` is on the PATH. */
export function haveWrk(): boolean {
  try {
    return new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().code !== 127;
  } catch {
    return false;
  }
}

export interface WrkOptions {
  threads: number;
  connections: number;
  durationS: number;
}

/** wrk's arguments for one run against 127.0.0.1:`port`. */
export function wrkArgs(port: number, o: WrkOptions): string[] {
  return [`-t${o.threads}`, `-c${o.connections}`, `-d${o.durationS}s`, `http://127.0.0.1:${port}/`];
}

/** Requests/sec from wrk's report; throws when it is missing or the run saw errors. */
export function parseWrk(text: string): number {
  if (/Non-2xx|Socket errors/.test(text)) {
    throw new Error(`wrk saw errors: ${text.trim().replace(/\s+/g, " ").slice(0, 300)}`);
  }
  const m = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!m) throw new Error(`no Requests/sec in wrk output: ${text.trim().slice(0, 300)}`);
  return Number(m[1]);
}

/** One wrk run; requests per second. */
export async function wrkRate(port: number, o: WrkOptions): Promise<number> {
  const out = await new Deno.Command("wrk", {
    args: wrkArgs(port, o),
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(o.durationS * 1000 + 60_000),
  }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`wrk exit ${out.code}: ${dec.decode(out.stderr).trim()}`);
  return parseWrk(dec.decode(out.stdout));
}

export interface IdleResult {
  connections: number;
  cpuMs: number;
  wallMs: number;
  /** Server CPU milliseconds per second of wall time while idle. */
  cpuMsPerS: number;
}

/** Open `connections` connections to the server, do one line round trip on each (so each has
 *  its handler waiting in a line read), then measure the server's CPU use over `idleMs`. */
export async function idleCpu(
  port: number,
  pid: number,
  connections: number,
  idleMs: number,
): Promise<IdleResult> {
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < connections; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    const enc = new TextEncoder(), dec = new TextDecoder();
    await Promise.all(conns.map(async (c, id) => {
      await c.write(enc.encode(`ready ${id}\n`));
      const buf = new Uint8Array(64);
      let got = "";
      while (!got.includes("\n")) {
        const n = await c.read(buf);
        if (n === null) throw new Error(`idle connection ${id} closed before its echo`);
        got += dec.decode(buf.subarray(0, n), { stream: true });
      }
      if (got !== `ready ${id}\n`) throw new Error(`wrong echo on idle connection ${id}: ${got}`);
    }));
    // Let the last replies' bookkeeping settle before the window opens.
    await new Promise((r) => setTimeout(r, 200));
    const cpu0 = cpuSeconds(pid), t0 = performance.now();
    await new Promise((r) => setTimeout(r, idleMs));
    const cpuMs = 1000 * (cpuSeconds(pid) - cpu0), wallMs = performance.now() - t0;
    return { connections, cpuMs, wallMs, cpuMsPerS: cpuMs / (wallMs / 1000) };
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // closed already
      }
    }
  }
}
