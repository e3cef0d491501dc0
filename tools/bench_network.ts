/**
 * The Network part of `deno task bench:compare` (tools/bench_compare.ts): what is measured, the
 * measuring loop and the report section.
 * - echo: line echo round trips/s with 1, 10, 100 and 1,000 connections on ttvm (1 scheduler),
 *   ttvm --smp=2, BEAM (gen_tcp, {active, once}; when erl is present) and a bare Deno echo
 *   server, all driven by bench/ports/echo_client.ts;
 * - http: requests/s from wrk (when present) on ttvm, ttvm --smp=2 and bare Deno.serve;
 * - idle: server CPU ms per second of wall time with many idle connections, each with its
 *   handler waiting in a line read (ttvm: a process in TCP_RECV_LINE).
 * Invariants: each (part, server, connections) is one cell holding one figure per run, the
 * median is what the tables show; a failed run marks its cell failed (shown as "failed", never
 * replaced by a guess) and ends that cell's runs. The servers and measurements come from
 * bench/ports/ (servers.ts, measure.ts), the same code bench/ports_bench.ts uses.
 */
import type { ServerKind } from "../bench/ports/servers.ts";
import type { EchoResult, IdleResult, WrkOptions } from "../bench/ports/measure.ts";
import { denoRunMain } from "../src/cli/launch.ts";

export type NetPart = "echo" | "http" | "idle";
export const NET_PARTS: NetPart[] = ["echo", "http", "idle"];

export const SERVER_LABELS: Record<ServerKind, string> = {
  "ttvm": "ttvm (1 scheduler)",
  "ttvm-smp2": "ttvm --smp=2",
  "erlang": "BEAM gen_tcp",
  "deno": "bare Deno",
};

/** Sizes of one Network run. */
export interface NetPlan {
  parts: NetPart[];
  runs: number;
  /** Connection counts of the echo table. */
  echoConnections: number[];
  /** Measuring time of each echo run. */
  echoMs: number;
  wrk: WrkOptions;
  idleConnections: number;
  idleMs: number;
  /** Whether erl is present (adds BEAM to echo and idle). */
  beam: boolean;
  /** Whether wrk is present (else the HTTP part is reported as skipped). */
  wrkPresent: boolean;
}

/** The plan for a full run, for --quick (tiny durations and counts), or with --net-ms=N (the
 *  measuring time of each echo run, wrk run and idle window). */
export function netPlan(
  parts: NetPart[],
  runs: number,
  quick: boolean,
  netMs: number | null,
  beam: boolean,
  wrkPresent: boolean,
): NetPlan {
  const ms = netMs ?? (quick ? 300 : 3000);
  return {
    parts,
    runs,
    echoConnections: [1, 10, 100, 1000],
    echoMs: ms,
    wrk: { threads: 1, connections: 50, durationS: Math.max(1, Math.round(ms / 1000)) },
    idleConnections: quick ? 1000 : 10_000,
    idleMs: netMs ?? (quick ? 1000 : 5000),
    beam,
    wrkPresent,
  };
}

export interface NetCell {
  part: NetPart;
  server: ServerKind;
  /** Client connections (echo: the column; http: wrk's -c; idle: the idle connections). */
  connections: number;
  /** One figure per successful run: round trips/s, requests/s or CPU ms per wall second. */
  values: number[];
  error?: string;
}

export interface NetResult {
  plan: NetPlan;
  cells: NetCell[];
}

/** What the measuring loop needs from the outside (real servers and clients in the tool, stand-
 *  ins in the tests). */
export interface NetDeps {
  startServer(kind: ServerKind, program: "echo" | "http"): Promise<NetServer>;
  echo(port: number, connections: number, ms: number): Promise<EchoResult>;
  wrk(port: number, o: WrkOptions): Promise<number>;
  idle(port: number, pid: number, connections: number, ms: number): Promise<IdleResult>;
}

export interface NetServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** The servers of one part, in table order. */
export function serversOf(part: NetPart, beam: boolean): ServerKind[] {
  if (part === "http") return ["ttvm", "ttvm-smp2", "deno"];
  return ["ttvm", "ttvm-smp2", ...(beam ? ["erlang" as const] : []), "deno"];
}

/** The discarded echo warm-up before a cell's runs: a quarter of a run, at least 100 ms. */
export function warmUpMs(plan: NetPlan): number {
  return Math.max(100, Math.round(plan.echoMs / 4));
}

const errText = (e: unknown) => e instanceof Error ? e.message : String(e);

/** One cell: a fresh server, `runs` measurements against it, the server stopped. */
async function measureNetCell(
  deps: NetDeps,
  plan: NetPlan,
  part: NetPart,
  server: ServerKind,
  connections: number,
  progress: (m: string) => void,
): Promise<NetCell> {
  const cell: NetCell = { part, server, connections, values: [] };
  const label = `${part} ${SERVER_LABELS[server]}, ${connections} connections`;
  let s: NetServer;
  try {
    s = await deps.startServer(server, part === "http" ? "http" : "echo");
  } catch (e) {
    cell.error = `server did not start: ${errText(e)}`;
    progress(`  ${label} FAILED: ${cell.error}`);
    return cell;
  }
  try {
    if (part === "echo") {
      // A discarded warm-up, the same for every server, so a run does not time ttvm's (or V8's)
      // compilation of the hot paths.
      try {
        await deps.echo(s.port, connections, warmUpMs(plan));
      } catch (e) {
        cell.error = `warm-up: ${errText(e)}`;
        progress(`  ${label} FAILED: ${cell.error}`);
        return cell;
      }
    }
    for (let i = 1; i <= plan.runs; i++) {
      try {
        let v: number;
        if (part === "echo") v = (await deps.echo(s.port, connections, plan.echoMs)).rate;
        else if (part === "http") v = await deps.wrk(s.port, plan.wrk);
        else v = (await deps.idle(s.port, s.pid, connections, plan.idleMs)).cpuMsPerS;
        cell.values.push(v);
        progress(`  ${label} run ${i}/${plan.runs}: ${v.toFixed(part === "idle" ? 1 : 0)}`);
      } catch (e) {
        cell.error = errText(e);
        progress(`  ${label} run ${i}/${plan.runs} FAILED: ${cell.error}`);
        break;
      }
    }
  } finally {
    await s.stop();
  }
  return cell;
}

/** Every cell of the plan: echo per connection count with the servers interleaved, then HTTP,
 *  then idle. A part whose tool is missing (wrk) has no cells. */
export async function measureNetwork(
  deps: NetDeps,
  plan: NetPlan,
  progress: (m: string) => void,
): Promise<NetResult> {
  const cells: NetCell[] = [];
  for (const part of plan.parts) {
    if (part === "http" && !plan.wrkPresent) {
      progress("http: wrk not found on the PATH, skipped");
      continue;
    }
    const counts = part === "echo"
      ? plan.echoConnections
      : [part === "http" ? plan.wrk.connections : plan.idleConnections];
    for (const connections of counts) {
      for (const server of serversOf(part, plan.beam)) {
        progress(`network ${part}: ${SERVER_LABELS[server]}, ${connections} connections`);
        cells.push(await measureNetCell(deps, plan, part, server, connections, progress));
      }
    }
  }
  return { plan, cells };
}

// ── the report section ──

function netCellOf(
  cells: NetCell[],
  part: NetPart,
  server: ServerKind,
  connections?: number,
): NetCell | undefined {
  return cells.find((c) =>
    c.part === part && c.server === server &&
    (connections === undefined || c.connections === connections)
  );
}

/** Median of a cell's runs, or null when it failed or has none. */
export function netMedian(cell: NetCell | undefined): number | null {
  if (!cell || cell.error !== undefined || cell.values.length === 0) return null;
  const s = [...cell.values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** a / b, or null when either is missing or b is 0. */
export function rateRatio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b <= 0 ? null : a / b;
}

const fmtInt = (x: number | null) => x === null ? "—" : Math.round(x).toLocaleString("en-US");
const fmtX = (x: number | null) => x === null ? "—" : `${x.toFixed(2)}×`;
const fmtPct = (x: number | null) => x === null ? "—" : `${Math.round(100 * x)} %`;

function valueText(cell: NetCell | undefined, text: (v: number | null) => string): string {
  if (cell?.error !== undefined) return "failed";
  return text(netMedian(cell));
}

/** Echo round trips/s per connection count (median), with ttvm/BEAM when BEAM was measured. */
export function renderEchoTable(result: NetResult): string {
  const { plan, cells } = result;
  const servers = serversOf("echo", plan.beam);
  const ratioHeads = plan.beam ? ["ttvm/BEAM", "ttvm --smp=2/BEAM"] : [];
  const heads = ["connections", ...servers.map((s) => SERVER_LABELS[s]), ...ratioHeads];
  const lines = [
    `| ${heads.join(" | ")} |`,
    `|${heads.map(() => "---:").join("|")}|`,
  ];
  for (const n of plan.echoConnections) {
    const parts = [fmtInt(n)];
    for (const s of servers) parts.push(valueText(netCellOf(cells, "echo", s, n), fmtInt));
    if (plan.beam) {
      const beam = netMedian(netCellOf(cells, "echo", "erlang", n));
      for (const t of ["ttvm", "ttvm-smp2"] as const) {
        parts.push(fmtX(rateRatio(netMedian(netCellOf(cells, "echo", t, n)), beam)));
      }
    }
    lines.push(`| ${parts.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** HTTP requests/s per server (median) and each one's share of bare Deno.serve. */
export function renderHttpTable(result: NetResult): string {
  const { plan, cells } = result;
  if (!plan.wrkPresent) {
    return "_wrk was not found on the PATH, so HTTP was not measured (Debian: " +
      "`apt-get install wrk`)._";
  }
  const deno = netMedian(netCellOf(cells, "http", "deno"));
  const lines = [
    "| server | requests/s (median) | share of bare Deno.serve |",
    "|---|---:|---:|",
  ];
  for (const s of serversOf("http", plan.beam)) {
    const cell = netCellOf(cells, "http", s);
    const label = s === "deno" ? "bare Deno.serve" : SERVER_LABELS[s];
    const share = s === "deno" ? "100 %" : fmtPct(rateRatio(netMedian(cell), deno));
    lines.push(`| ${label} | ${valueText(cell, fmtInt)} | ${cell?.error ? "—" : share} |`);
  }
  return lines.join("\n");
}

/** Idle CPU per server (median and each run). */
export function renderIdleTable(result: NetResult): string {
  const { plan, cells } = result;
  const lines = [
    "| server | idle connections | server CPU ms per s of wall time (median) | each run |",
    "|---|---:|---:|---|",
  ];
  for (const s of serversOf("idle", plan.beam)) {
    const cell = netCellOf(cells, "idle", s);
    const runs = cell ? cell.values.map((v) => v.toFixed(1)).join(" / ") : "";
    lines.push(
      `| ${SERVER_LABELS[s]} | ${fmtInt(plan.idleConnections)} | ${
        valueText(cell, (v) => v === null ? "—" : v.toFixed(1))
      } | ${runs || "—"} |`,
    );
  }
  return lines.join("\n");
}

/** Whether a target was met, in words, from the two figures compared. */
function verdict(value: number | null, goal: number, text: (v: number) => string): string {
  if (value === null) return "not measured";
  return `${text(value)} (${value >= goal ? "met" : "not met"})`;
}

/** The "Network" section of docs/PERFORMANCE.md (tables, targets, method, raw runs). */
export function renderNetworkSection(result: NetResult): string {
  const { plan, cells } = result;
  const out: string[] = ["## Network", ""];
  const has = (p: NetPart) => plan.parts.includes(p);
  out.push(
    "Servers and clients are separate OS processes talking over 127.0.0.1 (the servers of " +
      "bench/ports/servers.ts, the measurements of bench/ports/measure.ts — the same code " +
      "`deno bench -A bench/ports_bench.ts` uses). Each cell starts a fresh server, measures " +
      `${plan.runs} run(s) against it and shows the **median**.`,
    "",
    `- ttvm (1 scheduler) / ttvm --smp=2: \`deno ${denoRunMain().join(" ")} [--smp=2] ` +
      "bench/programs/echo_server.ttvm` (a process per connection, passive `TCP_RECV_LINE` / " +
      "`TCP_SEND`) and `bench/programs/http_hello.ttvm` (the listener's owner answers each " +
      "request).",
    "- BEAM gen_tcp: `erl +S 1 -noshell -run echo_server main` (bench/erlang/echo_server.erl: " +
      "`{packet, line}`, `{active, once}`, a process per connection).",
    "- bare Deno: bench/ports/deno_echo.ts (one async loop per connection) and " +
      "bench/ports/deno_http.ts (a plain `Deno.serve` handler) — the platform's ceiling.",
    "",
  );
  if (has("echo")) {
    out.push(
      "### Line echo (round trips per second, higher is better)",
      "",
      `Client: bench/ports/echo_client.ts (a separate Deno process, the same for every server): ` +
        "C connections, each sending a line and waiting for its echo, again and again, for " +
        `${plan.echoMs} ms per run, after a discarded ${warmUpMs(plan)} ms warm-up on the same ` +
        "server; a wrong echo fails the run. ttvm/BEAM is ttvm's median " +
        "rate over BEAM's (above 1× is faster than BEAM).",
      "",
      renderEchoTable(result),
      "",
    );
    const at100 = plan.echoConnections.includes(100) && plan.beam
      ? netMedian(netCellOf(cells, "echo", "erlang", 100))
      : null;
    const r1 = rateRatio(netMedian(netCellOf(cells, "echo", "ttvm", 100)), at100);
    const r2 = rateRatio(netMedian(netCellOf(cells, "echo", "ttvm-smp2", 100)), at100);
    out.push(
      `**Target: echo at 100 connections ≥ BEAM.** ttvm (1 scheduler): ${
        plan.beam ? verdict(r1, 1, fmtX) : "BEAM not measured"
      }; ttvm --smp=2: ${plan.beam ? verdict(r2, 1, fmtX) : "BEAM not measured"}.`,
      "",
    );
  }
  if (has("http")) {
    const w = plan.wrk;
    out.push(
      "### HTTP (requests per second, higher is better)",
      "",
      `Client: \`wrk -t${w.threads} -c${w.connections} -d${w.durationS}s ` +
        "http://127.0.0.1:PORT/`; a run with socket errors or non-2xx answers fails.",
      "",
      renderHttpTable(result),
      "",
    );
    if (plan.wrkPresent) {
      const deno = netMedian(netCellOf(cells, "http", "deno"));
      const share = (s: ServerKind) =>
        verdict(rateRatio(netMedian(netCellOf(cells, "http", s)), deno), 0.5, fmtPct);
      out.push(
        `**Target: HTTP ≥ 50 % of bare Deno.serve.** ttvm (1 scheduler): ${share("ttvm")}; ` +
          `ttvm --smp=2: ${share("ttvm-smp2")}.`,
        "",
      );
    }
  }
  if (has("idle")) {
    out.push(
      "### Idle connections (server CPU, lower is better)",
      "",
      `The tool opens ${fmtInt(plan.idleConnections)} connections to the echo server and does ` +
        "one round trip on each, so each has its handler waiting for the next line (on ttvm: " +
        `a process blocked in \`TCP_RECV_LINE\`); then, over ${plan.idleMs} ms, the server ` +
        "process's CPU time (user + system, all threads, from /proc/PID/stat in 10 ms ticks) " +
        `per second of wall time; one tick in the window is ${(10_000 / plan.idleMs).toFixed(1)} ` +
        "ms per s, so 0.0 means less than that.",
      "",
      renderIdleTable(result),
      "",
    );
    const idleText = (s: ServerKind) => {
      const t = netMedian(netCellOf(cells, "idle", s));
      return t === null
        ? "not measured"
        : `${t.toFixed(1)} ms per s (${(t / 10).toFixed(2)} % of a core)`;
    };
    out.push(
      `**Target: idle ≈ 0 CPU.** ttvm (1 scheduler): ${idleText("ttvm")}; ttvm --smp=2: ${
        idleText("ttvm-smp2")
      }.`,
      "",
    );
  }
  out.push("### Network raw runs", "", renderNetRawRuns(cells), "");
  return out.join("\n");
}

function renderNetRawRuns(cells: NetCell[]): string {
  const rows = [
    "| part | server | connections | each run | note |",
    "|---|---|---:|---|---|",
  ];
  for (const c of cells) {
    const note = c.error === undefined
      ? ""
      : `failed: ${c.error.replace(/\|/g, "\\|").replace(/\n/g, " ").slice(0, 200)}`;
    const runs = c.values.map((v) => c.part === "idle" ? v.toFixed(1) : fmtInt(v)).join(" / ");
    rows.push(
      `| ${c.part} | ${SERVER_LABELS[c.server]} | ${fmtInt(c.connections)} | ${runs} | ${note} |`,
    );
  }
  return rows.join("\n");
}
