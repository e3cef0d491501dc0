/**
 * Side-by-side benchmark of ttvm against BEAM (`deno task bench:compare`).
 *
 * Runs the nine programs of bench/programs/ on ttvm (single scheduler with the compiler tier on
 * and off, and --smp=2) and their Erlang twins of bench/erlang/ on BEAM (`erl +S 1` and
 * `+S 2`), several runs each, then writes
 * docs/PERFORMANCE.md (machine, versions, commands, medians, ttvm/BEAM ratios, raw runs, CPU
 * profiles) and docs/performance.svg (bar chart of the ratios). Without `erl` on the PATH it
 * still measures ttvm and says that BEAM was not found.
 *
 * Invariants: every figure in the report comes from this run's measurements (each program times
 * itself and prints `bench=<name> n=<N> ms=<wall> rate=<ops/s>`); a run that fails or prints no
 * such line is reported as failed, never replaced by a guess. The hand-written findings between
 * the FINDINGS markers of an existing report are carried over unchanged; everything else is
 * regenerated.
 *
 * The Network part (tools/bench_network.ts, on the servers and measurements of bench/ports/)
 * adds line echo round trips/s at 1–1,000 connections (ttvm, ttvm --smp=2, BEAM gen_tcp, bare
 * Deno), HTTP requests/s with wrk (ttvm, ttvm --smp=2, bare Deno.serve) and the server CPU of
 * idle connections, as the report's "Network" section.
 *
 * The Machine section records how fast each CPU computed before and after the run
 * (tools/cpu_speed.ts): on a shared host one vCPU can be much slower than another for minutes,
 * and a single-threaded run is as fast as the CPU it lands on.
 *
 * Options: --quick (tiny sizes, for a smoke run), --runs=N, --out=DIR, --no-profile,
 * --only=a,b (message benchmarks by name and/or the network parts `echo`, `http`, `idle`;
 * `network` names all three), --no-network (skip the network part of a run without --only),
 * --net-ms=N (measuring time of each echo run, wrk run — rounded to whole seconds — and idle
 * window; default 3000 ms, 300 ms with --quick, idle 5000 / 1000 ms).
 */
import { basename, join } from "node:path";
import { renderBarChart, renderMessageChart } from "./svg_chart.ts";
import { cpuSpeedLine, type CpuSpeeds, describeCpuSpeeds, probeCpuSpeeds } from "./cpu_speed.ts";
import {
  measureNetwork,
  NET_PARTS,
  type NetPart,
  netPlan,
  type NetResult,
  renderNetworkSection,
} from "./bench_network.ts";
import { haveErlang, removeCompiledErlang, startServer } from "../bench/ports/servers.ts";
import { denoRunMain, v8FlagsArg } from "../src/cli/launch.ts";
import { echoRate, haveWrk, idleCpu, wrkRate } from "../bench/ports/measure.ts";

// ── the benchmark line ──

export interface BenchLine {
  bench: string;
  n: number;
  ms: number;
  rate: number;
  /** Further `key=<int>` fields after the four required ones (e.g. bytes_per_process). */
  extra: Record<string, number>;
}

const LINE_RE = /^bench=(\S+) n=(\d+) ms=(\d+) rate=(\d+)((?: [a-z_]+=\d+)*)$/;

/** The one benchmark line in a program's stdout; throws unless there is exactly one. */
export function parseBenchLine(stdout: string): BenchLine {
  const found: BenchLine[] = [];
  for (const raw of stdout.split("\n")) {
    const m = LINE_RE.exec(raw.trimEnd());
    if (!m) continue;
    const extra: Record<string, number> = {};
    for (const field of m[5].trim().split(" ").filter((f) => f !== "")) {
      const [key, value] = field.split("=");
      extra[key] = Number(value);
    }
    found.push({ bench: m[1], n: Number(m[2]), ms: Number(m[3]), rate: Number(m[4]), extra });
  }
  if (found.length !== 1) {
    throw new Error(`expected exactly one bench= line, found ${found.length} in ${stdout}`);
  }
  return found[0];
}

/** "memory still in use: <bytes> bytes" from ttvm's --stats report. */
export function parseBytesInUse(statsText: string): number {
  const m = /memory still in use:\s+(\d+) bytes/.exec(statsText);
  if (!m) throw new Error(`no "memory still in use" in --stats output: ${statsText}`);
  return Number(m[1]);
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// ── what is run ──

export interface BenchDef {
  name: string;
  /** What n counts, for the table. */
  unit: string;
  /** Program arguments of the full-size run (the programs' defaults, spelled out). */
  args: string[];
  /** Program arguments of a --quick run. */
  quickArgs: string[];
}

export const BENCHMARKS: BenchDef[] = [
  { name: "pingpong", unit: "round trips", args: ["1000000"], quickArgs: ["2000"] },
  {
    name: "ring",
    unit: "hops (1,000 processes)",
    args: ["1000000", "1000"],
    quickArgs: [
      "2000",
      "100",
    ],
  },
  { name: "spawn", unit: "processes", args: ["1000000"], quickArgs: ["2000"] },
  { name: "skynet", unit: "processes", args: ["1000000"], quickArgs: ["1000"] },
  { name: "counting", unit: "messages", args: ["1000000"], quickArgs: ["2000"] },
  {
    name: "fanin",
    unit: "messages (8 producers)",
    args: ["250000", "8"],
    quickArgs: [
      "250",
      "8",
    ],
  },
  { name: "parfib", unit: "fib(27) computations", args: ["8", "27"], quickArgs: ["2", "10"] },
  { name: "big", unit: "messages (200 workers)", args: ["2000", "200"], quickArgs: ["10", "20"] },
  { name: "procmem", unit: "blocked processes", args: ["100000"], quickArgs: ["500"] },
  // Two nodes on loopback (bench/dist_bench.ts runs both sides the same way for either engine).
  {
    name: "dist_pingpong",
    unit: "remote round trips (2 nodes)",
    args: ["20000"],
    quickArgs: ["500"],
  },
];

export type Engine = "ttvm" | "beam";

export interface Config {
  id: string;
  label: string;
  engine: Engine;
  /** Flags between the runtime and the program (ttvm) or emulator flags (erl). */
  flags: string[];
}

export const CONFIGS: Config[] = [
  {
    id: "ttvm-1-nojit",
    label: "ttvm (1 scheduler, --jit=off)",
    engine: "ttvm",
    flags: ["--jit=off"],
  },
  { id: "ttvm-1", label: "ttvm (1 scheduler)", engine: "ttvm", flags: [] },
  { id: "ttvm-2", label: "ttvm --smp=2", engine: "ttvm", flags: ["--smp=2"] },
  { id: "beam-1", label: "BEAM +S 1", engine: "beam", flags: ["+S", "1"] },
  { id: "beam-2", label: "BEAM +S 2", engine: "beam", flags: ["+S", "2"] },
];

/** Which BEAM configuration each ttvm configuration is compared with, in table order (the
 *  compiler tier off and on against `+S 1`, then the SMP pool against `+S 2`). */
export const PAIRS: [ttvm: string, beam: string][] = [
  ["ttvm-1-nojit", "beam-1"],
  ["ttvm-1", "beam-1"],
  ["ttvm-2", "beam-2"],
];

/** Enough process slots for skynet's 1,111,111 processes (BEAM's default is 262,144). */
const BEAM_PROCESS_LIMIT = "4000000";

export interface Command {
  cmd: string;
  args: string[];
}

/** The command that runs one benchmark in one configuration. `beamCodeDir` holds the compiled
 *  bench/erlang modules. ttvm's procmem runs with --stats, which reports its memory. */
export function commandFor(
  config: Config,
  bench: string,
  programArgs: string[],
  beamCodeDir: string,
): Command {
  if (bench === "dist_pingpong") {
    // ttvm↔ttvm or erl↔erl nodes, started and timed by bench/dist_bench.ts.
    const pair = config.engine === "ttvm" ? "ttvm" : "erl";
    return {
      cmd: Deno.execPath(),
      args: ["run", "-A", "bench/dist_bench.ts", pair, ...config.flags, ...programArgs],
    };
  }
  if (config.engine === "ttvm") {
    const stats = bench === "procmem" ? ["--stats"] : [];
    return {
      cmd: Deno.execPath(),
      args: [
        ...denoRunMain(),
        ...stats,
        ...config.flags,
        `bench/programs/${bench}.ttvm`,
        ...programArgs,
      ],
    };
  }
  return {
    cmd: "erl",
    args: [
      ...config.flags,
      "+P",
      BEAM_PROCESS_LIMIT,
      "-noshell",
      "-pa",
      beamCodeDir,
      "-run",
      bench,
      "main",
      ...programArgs,
    ],
  };
}

/** A command as one would type it (for the report), with the code dir abbreviated. */
export function showCommand(c: Command, beamCodeDir: string): string {
  const cmd = c.cmd === Deno.execPath() ? "deno" : c.cmd;
  return [cmd, ...c.args].map((a) => a === beamCodeDir ? "<erlc output dir>" : a).join(" ");
}

// ── running ──

export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; throws Deno.errors.NotFound when the program does not exist. */
export type Runner = (c: Command, cwd: string) => Promise<RunOutput>;

const RUN_TIMEOUT_MS = 10 * 60 * 1000;

export const runCommand: Runner = async (c, cwd) => {
  const out = await new Deno.Command(c.cmd, {
    args: c.args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
};

export interface ErlangInfo {
  otpRelease: string;
  ertsVersion: string;
}

/** OTP release and ERTS version of the `erl` on the PATH, or null when there is none. */
export async function probeErlang(run: Runner, cwd: string): Promise<ErlangInfo | null> {
  try {
    const out = await run({
      cmd: "erl",
      args: [
        "-noshell",
        "-eval",
        'io:format("~s ~s~n", [erlang:system_info(otp_release), erlang:system_info(version)]), ' +
        "halt().",
      ],
    }, cwd);
    const m = /^(\S+) (\S+)/.exec(out.stdout.trim());
    if (out.code !== 0 || !m) return null;
    return { otpRelease: m[1], ertsVersion: m[2] };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** One configuration's runs of one benchmark. */
export interface Cell {
  bench: string;
  config: string;
  lines: BenchLine[];
  /** Bytes per blocked process, one per run (procmem only). */
  bytesPerProcess: number[];
  /** Why the cell has no figures, if a run failed. */
  error?: string;
}

export interface Progress {
  (message: string): void;
}

/** Run `runs` times; stop at the first failure (recorded in the cell). */
/** What a cell keeps between its runs (procmem: the size of a run without processes). */
interface CellState {
  baselineBytes: number | null;
}

/** Run `bench` once on `config` (run `i` of `runs`) and add the result to `cell`; a failed run
 *  is recorded as the cell's error (the caller then runs that cell no more). */
export async function measureRun(
  run: Runner,
  cwd: string,
  config: Config,
  bench: BenchDef,
  programArgs: string[],
  i: number,
  runs: number,
  beamCodeDir: string,
  progress: Progress,
  cell: Cell,
  state: CellState,
): Promise<void> {
  const c = commandFor(config, bench.name, programArgs, beamCodeDir);
  const t0 = performance.now();
  const out = await run(c, cwd);
  const wallS = ((performance.now() - t0) / 1000).toFixed(1);
  try {
    if (out.code !== 0) throw new Error(`exit ${out.code}: ${out.stderr.trim().slice(0, 500)}`);
    const line = parseBenchLine(out.stdout);
    cell.lines.push(line);
    if (bench.name === "procmem") {
      if (config.engine === "beam") {
        const b = line.extra["bytes_per_process"];
        if (b === undefined) throw new Error("BEAM procmem printed no bytes_per_process");
        cell.bytesPerProcess.push(b);
      } else {
        if (state.baselineBytes === null) {
          const base = await run(commandFor(config, bench.name, ["0"], beamCodeDir), cwd);
          if (base.code !== 0) throw new Error(`procmem 0: ${base.stderr.trim()}`);
          state.baselineBytes = parseBytesInUse(base.stderr);
        }
        const grown = parseBytesInUse(out.stderr) - state.baselineBytes;
        cell.bytesPerProcess.push(grown / Math.max(1, line.n));
      }
    }
    progress(
      `  ${config.label.padEnd(20)} ${bench.name.padEnd(9)} run ${i}/${runs}: ` +
        `ms=${line.ms} rate=${line.rate} (process ${wallS} s)`,
    );
  } catch (e) {
    cell.error = e instanceof Error ? e.message : String(e);
    progress(`  ${config.label} ${bench.name} run ${i}/${runs} FAILED: ${cell.error}`);
  }
}

// ── CPU profiles ──

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  fn: string;
  location: string;
  selfMs: number;
  percent: number;
}

/** Self time per function of a V8 .cpuprofile, largest first (idle and GC nodes included as
 *  they are named by V8, e.g. "(garbage collector)"). */
export function summariseCpuProfile(profile: CpuProfile, top: number): SelfTimeRow[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { fn: string; location: string; us: number }>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node || delta <= 0) return;
    const fn = node.callFrame.functionName || "(anonymous)";
    const location = node.callFrame.url
      ? `${basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`
      : "";
    const key = `${fn}@${location}`;
    const entry = selfUs.get(key) ?? { fn, location, us: 0 };
    entry.us += delta;
    selfUs.set(key, entry);
    totalUs += delta;
  });
  return [...selfUs.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({
    fn: e.fn,
    location: e.location,
    selfMs: e.us / 1000,
    percent: totalUs > 0 ? (100 * e.us) / totalUs : 0,
  }));
}

export interface ProfileResult {
  bench: string;
  args: string[];
  command: string;
  rows: SelfTimeRow[];
  error?: string;
}

/** The programs profiled (single scheduler), at sizes that keep a profile small. */
export const PROFILED: { bench: string; args: string[]; quickArgs: string[] }[] = [
  { bench: "pingpong", args: ["300000"], quickArgs: ["2000"] },
  { bench: "spawn", args: ["300000"], quickArgs: ["2000"] },
  { bench: "fanin", args: ["50000", "8"], quickArgs: ["250", "8"] },
];

async function profileBench(
  cwd: string,
  bench: string,
  args: string[],
): Promise<ProfileResult> {
  const dir = await Deno.makeTempDir({ prefix: "ttvm-prof-" });
  const c: Command = {
    cmd: Deno.execPath(),
    args: [
      "run",
      "-A",
      v8FlagsArg(),
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      "main.ts",
      `bench/programs/${bench}.ttvm`,
      ...args,
    ],
  };
  const command = `deno ${
    c.args.map((a) => a.startsWith("--cpu-prof-dir") ? "--cpu-prof-dir=DIR" : a).join(" ")
  }`;
  try {
    const out = await runCommand(c, cwd);
    if (out.code !== 0) throw new Error(`exit ${out.code}: ${out.stderr.trim()}`);
    const files = [...Deno.readDirSync(dir)].filter((f) => f.name.endsWith(".cpuprofile"));
    if (files.length === 0) throw new Error("no .cpuprofile written");
    const profile = JSON.parse(Deno.readTextFileSync(join(dir, files[0].name))) as CpuProfile;
    return { bench, args, command, rows: summariseCpuProfile(profile, 12) };
  } catch (e) {
    return { bench, args, command, rows: [], error: e instanceof Error ? e.message : String(e) };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

// ── the report ──

export interface Machine {
  cpuModel: string;
  logicalCores: number;
  memoryBytes: number;
  os: string;
  loadBefore: string;
  loadAfter: string;
  /** Each CPU's speed before and after the run (tools/cpu_speed.ts); null: not probed. */
  cpuSpeedBefore: CpuSpeeds | null;
  cpuSpeedAfter: CpuSpeeds | null;
}

export interface ReportInput {
  generatedAt: string;
  quick: boolean;
  runs: number;
  machine: Machine;
  denoVersion: string;
  v8Version: string;
  erlang: ErlangInfo | null;
  benches: BenchDef[];
  cells: Cell[];
  /** Example command per configuration, as typed. */
  commands: { label: string; command: string }[];
  profiles: ProfileResult[];
  findings: string;
  /** The Network part, when it was run. */
  network?: NetResult | null;
}

export const FINDINGS_BEGIN = "<!-- FINDINGS:BEGIN (hand-written; kept when regenerated) -->";
export const FINDINGS_END = "<!-- FINDINGS:END -->";

/** The hand-written findings of an existing report, or a placeholder. */
export function extractFindings(existingReport: string | null): string {
  if (existingReport !== null) {
    const a = existingReport.indexOf(FINDINGS_BEGIN);
    const b = existingReport.indexOf(FINDINGS_END);
    if (a >= 0 && b > a) return existingReport.slice(a + FINDINGS_BEGIN.length, b).trim();
  }
  return "_No findings written yet._";
}

function cellOf(cells: Cell[], bench: string, config: string): Cell | undefined {
  return cells.find((c) => c.bench === bench && c.config === config);
}

/** Median wall ms of a cell, or null when it has no successful run. */
export function medianMs(cell: Cell | undefined): number | null {
  if (!cell || cell.error !== undefined || cell.lines.length === 0) return null;
  return median(cell.lines.map((l) => l.ms));
}

function medianRate(cell: Cell | undefined): number | null {
  if (!cell || cell.error !== undefined || cell.lines.length === 0) return null;
  return median(cell.lines.map((l) => l.rate));
}

/** ttvm time / BEAM time (how many times slower ttvm is); null if either is missing. */
export function ratio(ttvmMs: number | null, beamMs: number | null): number | null {
  if (ttvmMs === null || beamMs === null) return null;
  return Math.max(ttvmMs, 1) / Math.max(beamMs, 1);
}

function fmtInt(x: number | null): string {
  return x === null ? "—" : Math.round(x).toLocaleString("en-US");
}

function fmtRatio(x: number | null): string {
  return x === null ? "—" : `${x.toFixed(x < 10 ? 2 : 1)}×`;
}

function cellText(cell: Cell | undefined, value: number | null): string {
  if (cell?.error !== undefined) return "failed";
  return fmtInt(value);
}

/** Markdown table of median times and ttvm/BEAM ratios: the single scheduler with the compiler
 *  tier off and on against `+S 1`, then `--smp=2` (tier on) against `+S 2`. */
export function renderTimeTable(
  benches: BenchDef[],
  cells: Cell[],
  beamPresent: boolean,
): string {
  const head = beamPresent
    ? "| benchmark | n | ttvm JIT off (ms) | ttvm JIT on (ms) | BEAM +S 1 (ms) | " +
      "JIT off/BEAM | JIT on/BEAM | ttvm --smp=2 (ms) | BEAM +S 2 (ms) | ttvm/BEAM |\n" +
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    : "| benchmark | n | ttvm JIT off (ms) | ttvm JIT on (ms) | ttvm --smp=2 (ms) |\n" +
      "|---|---:|---:|---:|---:|";
  const ms = (bench: string, config: string) => {
    const c = cellOf(cells, bench, config);
    return { text: cellText(c, medianMs(c)), value: medianMs(c) };
  };
  const rows = benches.map((b) => {
    const first = cells.find((c) => c.bench === b.name && c.lines.length > 0);
    const n = first ? `${fmtInt(first.lines[0].n)} ${b.unit}` : b.unit;
    const off = ms(b.name, "ttvm-1-nojit"), on = ms(b.name, "ttvm-1");
    const smp = ms(b.name, "ttvm-2");
    const parts = [b.name, n, off.text, on.text];
    if (beamPresent) {
      const beam1 = ms(b.name, "beam-1"), beam2 = ms(b.name, "beam-2");
      parts.push(
        beam1.text,
        fmtRatio(ratio(off.value, beam1.value)),
        fmtRatio(ratio(on.value, beam1.value)),
        smp.text,
        beam2.text,
        fmtRatio(ratio(smp.value, beam2.value)),
      );
    } else parts.push(smp.text);
    return `| ${parts.join(" | ")} |`;
  });
  return [head, ...rows].join("\n");
}

/** Markdown table of median rates (ops/s) per configuration. */
export function renderRateTable(benches: BenchDef[], cells: Cell[], configs: Config[]): string {
  const head = `| benchmark | ${configs.map((c) => `${c.label} (ops/s)`).join(" | ")} |\n` +
    `|---|${configs.map(() => "---:").join("|")}|`;
  const rows = benches.map((b) => {
    const vals = configs.map((c) => {
      const cell = cellOf(cells, b.name, c.id);
      return cellText(cell, medianRate(cell));
    });
    return `| ${b.name} | ${vals.join(" | ")} |`;
  });
  return [head, ...rows].join("\n");
}

function medianBytes(cell: Cell | undefined): number | null {
  if (!cell || cell.error !== undefined || cell.bytesPerProcess.length === 0) return null;
  return median(cell.bytesPerProcess);
}

/** The ratio chart: per benchmark, ttvm/BEAM time for both pairs, plus procmem's memory. */
export function renderRatioChart(benches: BenchDef[], cells: Cell[], beamPresent: boolean): string {
  const title = 'ttvm / BEAM, log scale, lower is better (time; "procmem bytes": memory)';
  if (!beamPresent) {
    return renderMessageChart(title, "BEAM (erl) was not found: no ratios to draw.");
  }
  const groups = benches.map((b) => ({
    label: b.name,
    values: PAIRS.map(([t, e]) =>
      ratio(medianMs(cellOf(cells, b.name, t)), medianMs(cellOf(cells, b.name, e)))
    ),
  }));
  if (benches.some((b) => b.name === "procmem")) {
    groups.push({
      label: "procmem bytes",
      values: PAIRS.map(([t, e]) => {
        const tb = medianBytes(cellOf(cells, "procmem", t));
        const eb = medianBytes(cellOf(cells, "procmem", e));
        return tb === null || eb === null || eb <= 0 ? null : tb / eb;
      }),
    });
  }
  return renderBarChart({
    title,
    yLabel: "ttvm / BEAM (×)",
    series: [
      { name: "ttvm 1 scheduler, JIT off / BEAM +S 1", color: "#bab0ac" },
      { name: "ttvm 1 scheduler / BEAM +S 1", color: "#4e79a7" },
      { name: "ttvm --smp=2 / BEAM +S 2", color: "#f28e2b" },
    ],
    groups,
    logScale: true,
    referenceLine: 1,
    valueDecimals: 1,
  });
}

function renderMemoryTable(cells: Cell[], configs: Config[]): string {
  const rows = configs.map((c) => {
    const cell = cellOf(cells, "procmem", c.id);
    const per = cell?.bytesPerProcess ?? [];
    return `| ${c.label} | ${cellText(cell, medianBytes(cell))} | ${
      per.map((b) => Math.round(b)).join(", ") || "—"
    } |`;
  });
  return [
    "| configuration | bytes per blocked process (median) | each run |",
    "|---|---:|---|",
    ...rows,
  ]
    .join("\n");
}

function renderRawRuns(benches: BenchDef[], cells: Cell[], configs: Config[]): string {
  const rows: string[] = [
    "| benchmark | configuration | ms of each run | note |",
    "|---|---|---|---|",
  ];
  for (const b of benches) {
    for (const c of configs) {
      const cell = cellOf(cells, b.name, c.id);
      if (!cell) continue;
      const note = cell.error === undefined
        ? ""
        : `failed: ${cell.error.replace(/\|/g, "\\|").replace(/\n/g, " ").slice(0, 200)}`;
      rows.push(`| ${b.name} | ${c.label} | ${cell.lines.map((l) => l.ms).join(", ")} | ${note} |`);
    }
  }
  return rows.join("\n");
}

function renderProfiles(profiles: ProfileResult[]): string {
  if (profiles.length === 0) return "_Profiling was skipped (--no-profile)._";
  return profiles.map((p) => {
    const head = `#### ${p.bench} ${p.args.join(" ")}\n\n\`${p.command}\`\n`;
    if (p.error !== undefined) return `${head}\nProfile failed: ${p.error}\n`;
    const rows = p.rows.map((r) =>
      `| ${r.fn.replace(/\|/g, "\\|")} | ${r.location} | ${r.selfMs.toFixed(0)} | ${
        r.percent.toFixed(1)
      }% |`
    );
    return `${head}\n| function | where | self ms | share |\n|---|---|---:|---:|\n${
      rows.join("\n")
    }\n`;
  }).join("\n");
}

/** The whole docs/PERFORMANCE.md text. */
export function renderReport(r: ReportInput): string {
  const beamPresent = r.erlang !== null;
  const configs = CONFIGS.filter((c) => beamPresent || c.engine === "ttvm");
  const gib = (r.machine.memoryBytes / 2 ** 30).toFixed(1);
  const out: string[] = [];
  out.push(
    "# Performance: ttvm against BEAM",
    "",
    "_Generated by `deno task bench:compare` (tools/bench_compare.ts) on " +
      `${r.generatedAt}${r.quick ? ", in --quick mode (tiny sizes: not representative)" : ""}. ` +
      "Every figure below was measured by that run; only the Findings section is written by " +
      "hand._",
    "",
  );
  if (!beamPresent) {
    out.push(
      "> **BEAM (erl) was not found on the PATH**, so only the ttvm half was measured. Install " +
        "Erlang (Debian: `apt-get install erlang-base`) and run `deno task bench:compare` again " +
        "for the comparison.",
      "",
    );
  }
  out.push(
    "## Machine",
    "",
    `- CPU: ${r.machine.cpuModel}, ${r.machine.logicalCores} logical cores`,
    `- Memory: ${gib} GiB`,
    `- OS: ${r.machine.os}`,
    `- Load average (1, 5, 15 min) before the run: ${r.machine.loadBefore}; after: ` +
      `${r.machine.loadAfter}. The machine is shared with other jobs, so absolute times are ` +
      "noisy; the configurations of a benchmark take turns run by run (one run of each, " +
      "then the next round), so the runs a ratio compares are seconds apart.",
    cpuSpeedLine(r.machine.cpuSpeedBefore, r.machine.cpuSpeedAfter),
    "",
    "## Versions",
    "",
    `- Deno ${r.denoVersion} (V8 ${r.v8Version})`,
    `- Erlang: ${
      beamPresent ? `OTP ${r.erlang!.otpRelease} (ERTS ${r.erlang!.ertsVersion})` : "not found"
    }`,
    "",
    "## Method",
    "",
    `- ${r.runs} run(s) per benchmark and configuration, the configurations of a benchmark ` +
      "in turn (round 1 of each, then round 2 in reverse order, …); tables show the **median**.",
    "- Every program times itself (ttvm: `GET_TIME_MS`; Erlang: `erlang:monotonic_time`), so " +
      "runtime start-up and compilation are excluded, verifies its own result (failing with " +
      "exit status 1 otherwise) and prints `bench=<name> n=<N> ms=<wall> rate=<ops/s>`.",
    "- ttvm programs: `bench/programs/<name>.ttvm`; Erlang twins: `bench/erlang/<name>.erl`, " +
      "compiled with `erlc` into a temporary directory.",
    "- Ratios are ttvm median time / BEAM median time for the same work: `12×` means ttvm " +
      "took 12 times as long. ttvm's single scheduler is compared with `erl +S 1`, " +
      "`--smp=2` with `erl +S 2`.",
    "- ttvm runs with its compiler tier on (the default, `--jit=on`: hot bytecode is compiled " +
      "to JavaScript) except in the `JIT off` column (`--jit=off`: the interpreter alone).",
    "- procmem (bytes per blocked process): for ttvm, the program runs with `--stats`, and " +
      'the growth of "memory still in use" (the VM heap\'s live bytes after the run, with the ' +
      "N processes still blocked in RECEIVE) between a run with N processes and a run with 0 " +
      "is divided by N. This counts what the VM allocates for a process (PCB, stack, frames, " +
      "heap, mailbox); the JavaScript objects of the host are not included. For BEAM, the " +
      "growth of `erlang:memory(processes)` after spawning N processes blocked in `receive`, " +
      "divided by N (printed as `bytes_per_process=` on the line).",
    "",
    "Commands (shown for pingpong; the other programs likewise, with the arguments listed in " +
      "the table's n column):",
    "",
    "```",
    ...r.commands.map((c) => `# ${c.label}\n${c.command}`),
    "```",
    "",
  );
  if (r.benches.length === 0) {
    out.push("_No message-passing benchmark was selected (--only)._", "");
  } else {
    out.push(
      "## Results: median wall time",
      "",
      renderTimeTable(r.benches, r.cells, beamPresent),
      "",
      "![ttvm/BEAM time ratios](performance.svg)",
      "",
      "## Results: median rates",
      "",
      "`rate` as printed by each program (operations per second; for parfib, fib computations " +
        "per second).",
      "",
      renderRateTable(r.benches, r.cells, configs),
      "",
    );
  }
  if (r.benches.some((b) => b.name === "procmem")) {
    out.push("## Memory per blocked process", "", renderMemoryTable(r.cells, configs), "");
  }
  if (r.network) out.push(renderNetworkSection(r.network));
  out.push();
  if (r.benches.length > 0) {
    out.push(
      "## CPU profiles (ttvm, single scheduler)",
      "",
      "Self time per function (top 12), from `deno run --cpu-prof` on smaller sizes of the " +
        "benchmark. Self time is the time the sampled stack had that function on top.",
      "",
      renderProfiles(r.profiles),
    );
  }
  out.push(
    "## Findings",
    "",
    FINDINGS_BEGIN,
    r.findings,
    FINDINGS_END,
    "",
    "## Raw runs",
    "",
    renderRawRuns(r.benches, r.cells, configs),
    "",
    "## Reproducing",
    "",
    "`deno task bench:compare` (add `--quick` for a smoke run, `--runs=N`, `--only=pingpong,ring`, " +
      "`--out=DIR`, `--no-profile`). It takes several minutes at full size. The network part " +
      "alone: `deno task bench:compare --only=network` (or any of `echo`, `http`, `idle`); " +
      "`--no-network` leaves it out, `--net-ms=N` sets its measuring time per run.",
    "",
  );
  return out.join("\n");
}

// ── host facts ──

function readTextOr(path: string, fallback: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return fallback;
  }
}

export function loadAverage(): string {
  const parts = readTextOr("/proc/loadavg", "").trim().split(/\s+/);
  return parts.length >= 3 ? parts.slice(0, 3).join(", ") : "unknown";
}

function machineFacts(
  loadBefore: string,
  cpuSpeedBefore: CpuSpeeds | null,
  cpuSpeedAfter: CpuSpeeds | null,
): Machine {
  const cpu = /model name\s*:\s*(.+)/.exec(readTextOr("/proc/cpuinfo", ""));
  return {
    cpuModel: cpu ? cpu[1].trim() : "unknown",
    logicalCores: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
    os: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    loadBefore,
    loadAfter: loadAverage(),
    cpuSpeedBefore,
    cpuSpeedAfter,
  };
}

async function compileErlang(cwd: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ttvm-erl-" });
  const sources = [...Deno.readDirSync(join(cwd, "bench/erlang"))]
    .filter((f) => f.name.endsWith(".erl")).map((f) => `bench/erlang/${f.name}`).sort();
  const out = await runCommand({ cmd: "erlc", args: ["-o", dir, ...sources] }, cwd);
  if (out.code !== 0) throw new Error(`erlc failed: ${out.stderr}${out.stdout}`);
  return dir;
}

// ── main ──

interface Options {
  quick: boolean;
  runs: number;
  only: string[] | null;
  outDir: string;
  profile: boolean;
  /** The network parts to run (from --only, all by default, none with --no-network). */
  network: NetPart[];
  /** --net-ms=N, or null for the defaults. */
  netMs: number | null;
}

export function parseOptions(argv: string[], root: string): Options {
  const o: Options = {
    quick: false,
    runs: 3,
    only: null,
    outDir: join(root, "docs"),
    profile: true,
    network: [...NET_PARTS],
    netMs: null,
  };
  let noNetwork = false;
  for (const a of argv) {
    if (a === "--quick") o.quick = true;
    else if (a === "--no-profile") o.profile = false;
    else if (a === "--no-network") noNetwork = true;
    else if (a.startsWith("--net-ms=")) {
      o.netMs = Number(a.slice(9));
      if (!Number.isInteger(o.netMs) || o.netMs < 50) {
        throw new Error(`--net-ms needs a whole number of milliseconds ≥ 50: ${a}`);
      }
    } else if (a.startsWith("--runs=")) o.runs = Math.max(1, Number(a.slice(7)) | 0);
    else if (a.startsWith("--only=")) o.only = a.slice(7).split(",").filter((s) => s !== "");
    else if (a.startsWith("--out=")) o.outDir = a.slice(6);
    else throw new Error(`unknown option ${a}`);
  }
  if (o.only) {
    const isNet = (n: string) => n === "network" || (NET_PARTS as string[]).includes(n);
    const unknown = o.only.filter((n) => !BENCHMARKS.some((b) => b.name === n) && !isNet(n));
    if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(", ")}`);
    o.network = NET_PARTS.filter((p) => o.only!.includes(p) || o.only!.includes("network"));
  }
  if (noNetwork) {
    if (o.only && o.network.length > 0) {
      throw new Error("--no-network contradicts the network parts named in --only");
    }
    o.network = [];
  }
  return o;
}

/**
 * Measure every selected benchmark in every available configuration. The configurations of
 * one benchmark take turns run by run — one run of each, then the next round, in reverse
 * order every other round — so the runs a ratio compares (ttvm's and BEAM's n-th) are
 * seconds apart. This host's fast and slow phases last longer than that (PERFORMANCE.md,
 * finding 9); five runs of one configuration after another spanned 10–20 s, long enough for
 * a phase to fall on one side of a ratio only.
 */
export async function measureAll(
  run: Runner,
  cwd: string,
  benches: BenchDef[],
  configs: Config[],
  runs: number,
  quick: boolean,
  beamCodeDir: string,
  progress: Progress,
): Promise<Cell[]> {
  const cells: Cell[] = [];
  for (const [k, b] of benches.entries()) {
    progress(
      `[${k + 1}/${benches.length}] ${b.name}: ${configs.map((c) => c.label).join(", ")}, ` +
        `in turn (${uptimeLoad()})`,
    );
    const group: Cell[] = configs.map((c) => ({
      bench: b.name,
      config: c.id,
      lines: [],
      bytesPerProcess: [],
    }));
    const states: CellState[] = configs.map(() => ({ baselineBytes: null }));
    const forward = configs.map((_, j) => j);
    const backward = [...forward].reverse();
    for (let i = 1; i <= runs; i++) {
      for (const j of i % 2 === 1 ? forward : backward) {
        if (group[j].error !== undefined) continue; // a failed cell runs no more
        await measureRun(
          run,
          cwd,
          configs[j],
          b,
          quick ? b.quickArgs : b.args,
          i,
          runs,
          beamCodeDir,
          progress,
          group[j],
          states[j],
        );
      }
    }
    cells.push(...group);
  }
  return cells;
}

function uptimeLoad(): string {
  return `load ${loadAverage()}`;
}

async function main(): Promise<void> {
  const root = new URL("../", import.meta.url).pathname;
  const opts = parseOptions(Deno.args, root);
  const progress: Progress = (m) => console.log(m);
  const loadBefore = loadAverage();
  const cpuSpeedBefore = await probeCpuSpeeds();
  progress(`CPU speed before the run: ${describeCpuSpeeds(cpuSpeedBefore)}`);
  const erlang = await probeErlang(runCommand, root);
  progress(
    erlang
      ? `BEAM found: OTP ${erlang.otpRelease} (ERTS ${erlang.ertsVersion})`
      : "BEAM (erl) not found on the PATH: measuring ttvm only",
  );
  const beamCodeDir = erlang ? await compileErlang(root) : "";
  const benches = BENCHMARKS.filter((b) => !opts.only || opts.only.includes(b.name));
  const configs = CONFIGS.filter((c) => erlang !== null || c.engine === "ttvm");
  const cells = await measureAll(
    runCommand,
    root,
    benches,
    configs,
    opts.runs,
    opts.quick,
    beamCodeDir,
    progress,
  );
  const profiles: ProfileResult[] = [];
  if (opts.profile) {
    for (const p of PROFILED) {
      if (!benches.some((b) => b.name === p.bench)) continue;
      progress(`profiling ${p.bench} (deno --cpu-prof)`);
      profiles.push(await profileBench(root, p.bench, opts.quick ? p.quickArgs : p.args));
    }
  }
  if (beamCodeDir) Deno.removeSync(beamCodeDir, { recursive: true });
  let network: NetResult | null = null;
  if (opts.network.length > 0) {
    const beam = erlang !== null && haveErlang();
    const plan = netPlan(opts.network, opts.runs, opts.quick, opts.netMs, beam, haveWrk());
    try {
      network = await measureNetwork(
        { startServer, echo: echoRate, wrk: wrkRate, idle: idleCpu },
        plan,
        progress,
      );
    } finally {
      removeCompiledErlang();
    }
  }
  const cpuSpeedAfter = await probeCpuSpeeds();
  progress(`CPU speed after the run: ${describeCpuSpeeds(cpuSpeedAfter)}`);
  const example = BENCHMARKS[0];
  const reportPath = join(opts.outDir, "PERFORMANCE.md");
  const report = renderReport({
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    quick: opts.quick,
    runs: opts.runs,
    machine: machineFacts(loadBefore, cpuSpeedBefore, cpuSpeedAfter),
    denoVersion: Deno.version.deno,
    v8Version: Deno.version.v8,
    erlang,
    benches,
    cells,
    commands: configs.map((c) => ({
      label: c.label,
      command: showCommand(commandFor(c, example.name, example.args, beamCodeDir), beamCodeDir),
    })),
    profiles,
    findings: extractFindings(readTextOr(reportPath, "") || null),
    network,
  });
  Deno.mkdirSync(opts.outDir, { recursive: true });
  Deno.writeTextFileSync(reportPath, report);
  Deno.writeTextFileSync(
    join(opts.outDir, "performance.svg"),
    renderRatioChart(benches, cells, erlang !== null),
  );
  progress(`wrote ${reportPath} and ${join(opts.outDir, "performance.svg")}`);
  if (
    cells.some((c) => c.error !== undefined) ||
    network?.cells.some((c) => c.error !== undefined)
  ) {
    progress("some runs failed: see the report's raw runs sections");
    Deno.exitCode = 1;
  }
}

if (import.meta.main) await main();
