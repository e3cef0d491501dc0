/**
 * Tests of the fast parts of tools/bench_compare.ts and tools/svg_chart.ts: parsing the
 * `bench=` line and ttvm's --stats memory, medians and ratios, the tables, report and chart
 * generated from given numbers, CPU-profile summaries, and the path taken when BEAM is absent
 * (driven through a stand-in process runner, so no benchmark actually runs).
 */
import assert from "node:assert/strict";
import {
  BENCHMARKS,
  type Cell,
  type Command,
  CONFIGS,
  extractFindings,
  FINDINGS_BEGIN,
  FINDINGS_END,
  measureAll,
  median,
  parseBenchLine,
  parseBytesInUse,
  parseOptions,
  probeErlang,
  ratio,
  renderRatioChart,
  renderReport,
  renderTimeTable,
  type ReportInput,
  type RunOutput,
  summariseCpuProfile,
} from "../../tools/bench_compare.ts";
import { axisTicks, escapeXml, renderBarChart } from "../../tools/svg_chart.ts";

function line(bench: string, n: number, ms: number, rate: number) {
  return { bench, n, ms, rate, extra: {} };
}

function cell(bench: string, config: string, msList: number[], bytes: number[] = []): Cell {
  return {
    bench,
    config,
    lines: msList.map((ms) => line(bench, 1000, ms, 1)),
    bytesPerProcess: bytes,
  };
}

Deno.test("parseBenchLine reads the four fields and any extra integer fields", () => {
  assert.deepEqual(parseBenchLine("bench=ring n=1000000 ms=812 rate=1231527\n"), {
    bench: "ring",
    n: 1000000,
    ms: 812,
    rate: 1231527,
    extra: {},
  });
  const mem = parseBenchLine("noise\nbench=procmem n=10 ms=3 rate=3333 bytes_per_process=2648\n");
  assert.equal(mem.extra.bytes_per_process, 2648);
  assert.equal(mem.n, 10);
});

Deno.test("parseBenchLine rejects output with no line or with two lines", () => {
  assert.throws(() => parseBenchLine("1000000\n"), /exactly one bench= line, found 0/);
  assert.throws(
    () => parseBenchLine("bench=a n=1 ms=1 rate=1\nbench=a n=1 ms=1 rate=1\n"),
    /found 2/,
  );
  assert.throws(() => parseBenchLine("bench=a n=1 ms=-1 rate=1\n"), /found 0/);
});

Deno.test("parseBytesInUse reads ttvm's --stats line in both report styles", () => {
  assert.equal(parseBytesInUse("memory still in use:   1104320 bytes in 4041 blocks\n"), 1104320);
  assert.equal(parseBytesInUse("memory still in use:   1384960 bytes (16-byte cells)\n"), 1384960);
  assert.throws(() => parseBytesInUse("wall time: 3 ms"), /memory still in use/);
});

Deno.test("median takes the middle value, or the mean of the middle two", () => {
  assert.equal(median([30, 10, 20]), 20);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.throws(() => median([]), /no values/);
});

Deno.test("ratio is ttvm time over BEAM time, with 0 ms counted as 1 ms", () => {
  assert.equal(ratio(300, 100), 3);
  assert.equal(ratio(50, 0), 50);
  assert.equal(ratio(null, 100), null);
  assert.equal(ratio(100, null), null);
});

Deno.test("the time table shows medians and the ttvm/BEAM ratios with the JIT off and on", () => {
  const benches = BENCHMARKS.filter((b) => b.name === "pingpong");
  const cells = [
    cell("pingpong", "ttvm-1-nojit", [3000, 3100, 2900]),
    cell("pingpong", "ttvm-1", [2100, 2000, 1900]),
    cell("pingpong", "ttvm-2", [4000, 4200, 4400]),
    cell("pingpong", "beam-1", [110, 100, 90]),
    cell("pingpong", "beam-2", [200, 210, 220]),
  ];
  const table = renderTimeTable(benches, cells, true);
  const row = table.split("\n")[2];
  assert.equal(
    row,
    "| pingpong | 1,000 round trips | 3,000 | 2,000 | 100 | 30.0× | 20.0× | 4,200 | 210 | 20.0× |",
  );
});

Deno.test("the time table marks a failed cell and leaves its ratio empty", () => {
  const benches = BENCHMARKS.filter((b) => b.name === "ring");
  const failed: Cell = { ...cell("ring", "beam-1", []), error: "exit 1" };
  const cells = [cell("ring", "ttvm-1-nojit", [900]), cell("ring", "ttvm-1", [800]), failed];
  const row = renderTimeTable(benches, cells, true).split("\n")[2];
  assert.match(
    row,
    /^\| ring \| 1,000 hops \(1,000 processes\) \| 900 \| 800 \| failed \| — \| — \|/,
  );
});

Deno.test("without BEAM the time table has only the three ttvm columns", () => {
  const benches = BENCHMARKS.filter((b) => b.name === "spawn");
  const table = renderTimeTable(benches, [
    cell("spawn", "ttvm-1-nojit", [6]),
    cell("spawn", "ttvm-1", [5]),
    cell("spawn", "ttvm-2", [7]),
  ], false);
  assert.equal(
    table.split("\n")[0],
    "| benchmark | n | ttvm JIT off (ms) | ttvm JIT on (ms) | ttvm --smp=2 (ms) |",
  );
  assert.equal(table.split("\n")[2], "| spawn | 1,000 processes | 6 | 5 | 7 |");
});

Deno.test("the ratio chart draws one bar per pair and a memory group for procmem", () => {
  const benches = BENCHMARKS.filter((b) => b.name === "counting" || b.name === "procmem");
  const cells = [
    cell("counting", "ttvm-1-nojit", [4000]),
    cell("counting", "ttvm-1", [2000]),
    cell("counting", "beam-1", [100]),
    cell("counting", "ttvm-2", [3000]),
    cell("counting", "beam-2", [100]),
    cell("procmem", "ttvm-1-nojit", [10], [800]),
    cell("procmem", "ttvm-1", [10], [800]),
    cell("procmem", "beam-1", [5], [2600]),
    cell("procmem", "ttvm-2", [10], [800]),
    cell("procmem", "beam-2", [5], [2700]),
  ];
  const svg = renderRatioChart(benches, cells, true);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<title>counting, ttvm 1 scheduler, JIT off \/ BEAM \+S 1: 40.0<\/title>/);
  assert.match(svg, /<title>counting, ttvm 1 scheduler \/ BEAM \+S 1: 20.0<\/title>/);
  assert.match(svg, /<title>counting, ttvm --smp=2 \/ BEAM \+S 2: 30.0<\/title>/);
  assert.match(svg, /<title>procmem bytes, ttvm 1 scheduler \/ BEAM \+S 1: 0.3<\/title>/);
  assert.equal(svg.match(/<title>/g)?.length, 9); // 3 counting + 3 procmem time + 3 bytes
});

Deno.test("without BEAM the chart says so instead of drawing bars", () => {
  const svg = renderRatioChart(BENCHMARKS, [], false);
  assert.match(svg, /BEAM \(erl\) was not found/);
  assert.doesNotMatch(svg, /<title>/);
});

Deno.test("bar charts escape text and skip missing values", () => {
  const svg = renderBarChart({
    title: "a < b & c",
    yLabel: "y",
    series: [{ name: "s1", color: "#000" }, { name: "s2", color: "#111" }],
    groups: [{ label: "g<1>", values: [2, null] }],
  });
  assert.match(svg, /a &lt; b &amp; c/);
  assert.match(svg, /g&lt;1&gt;/);
  assert.equal(svg.match(/<title>/g)?.length, 1);
  assert.equal(escapeXml('"x"'), "&quot;x&quot;");
});

Deno.test("a log axis spans whole decades around the values", () => {
  assert.deepEqual(axisTicks([0.3, 42], true), { min: 0.1, max: 100, ticks: [0.1, 1, 10, 100] });
  assert.deepEqual(axisTicks([10], true).ticks, [10, 100]);
  const linear = axisTicks([0, 7.5], false);
  assert.equal(linear.min, 0);
  assert.ok(linear.max >= 7.5);
  assert.equal(linear.ticks[0], 0);
});

Deno.test("CPU profiles are summarised by self time per function", () => {
  const frame = (functionName: string, url: string, lineNumber: number) => ({
    functionName,
    url,
    lineNumber,
  });
  const rows = summariseCpuProfile({
    nodes: [
      { id: 1, callFrame: frame("(root)", "", -1) },
      { id: 2, callFrame: frame("run", "file:///x/src/vm/interp.ts", 59) },
      { id: 3, callFrame: frame("", "file:///x/src/a.ts", 9) },
    ],
    samples: [2, 2, 3, 2],
    timeDeltas: [1000, 2000, 1000, 4000],
  }, 5);
  assert.deepEqual(rows, [
    { fn: "run", location: "interp.ts:60", selfMs: 7, percent: 87.5 },
    { fn: "(anonymous)", location: "a.ts:10", selfMs: 1, percent: 12.5 },
  ]);
});

Deno.test("findings between the markers survive regeneration", () => {
  const old = `# x\n${FINDINGS_BEGIN}\nMessage copy dominates.\n${FINDINGS_END}\nrest`;
  assert.equal(extractFindings(old), "Message copy dominates.");
  assert.equal(extractFindings(null), "_No findings written yet._");
  assert.equal(extractFindings("no markers"), "_No findings written yet._");
});

Deno.test("probeErlang reports a missing erl as null and reads a present one", async () => {
  const missing = await probeErlang(() => {
    throw new Deno.errors.NotFound("erl");
  }, ".");
  assert.equal(missing, null);
  const present = await probeErlang(
    () => Promise.resolve({ code: 0, stdout: "25 13.1.5\n", stderr: "" }),
    ".",
  );
  assert.deepEqual(present, { otpRelease: "25", ertsVersion: "13.1.5" });
});

Deno.test("without BEAM only ttvm runs, and procmem bytes come from --stats growth", async () => {
  const commands: Command[] = [];
  const fakeRun = (c: Command): Promise<RunOutput> => {
    commands.push(c);
    const program = c.args.find((a) => a.endsWith(".ttvm"))!;
    const name = program.replace(/^.*\/(\w+)\.ttvm$/, "$1");
    const n = Number(c.args[c.args.indexOf(program) + 1]);
    const stderr = name === "procmem" ? `memory still in use:   ${1000 + 700 * n} bytes\n` : "";
    return Promise.resolve({ code: 0, stdout: `bench=${name} n=${n} ms=4 rate=250\n`, stderr });
  };
  const benches = BENCHMARKS.filter((b) => b.name === "pingpong" || b.name === "procmem");
  const ttvmOnly = CONFIGS.filter((c) => c.engine === "ttvm");
  const log: string[] = [];
  const cells = await measureAll(fakeRun, ".", benches, ttvmOnly, 2, true, "", (m) => log.push(m));
  assert.ok(commands.every((c) => c.cmd === Deno.execPath()), "erl must never be started");
  assert.equal(cells.length, 6); // 2 benchmarks × JIT off, JIT on, --smp=2
  const procmem = cells.find((c) => c.bench === "procmem" && c.config === "ttvm-2")!;
  assert.deepEqual(procmem.bytesPerProcess, [700, 700]);
  assert.ok(commands.some((c) => c.args.includes("--stats") && c.args.at(-1) === "0"));
  assert.ok(commands.some((c) => c.args.includes("--smp=2")));
  assert.ok(commands.some((c) => c.args.includes("--jit=off")));
  assert.match(log[0], /^\[1\/6\] pingpong on ttvm \(1 scheduler, --jit=off\)/);

  const report = renderReport(
    {
      generatedAt: "2026-01-01T00:00:00Z",
      quick: true,
      runs: 2,
      machine: {
        cpuModel: "Test CPU",
        logicalCores: 2,
        memoryBytes: 2 ** 30,
        os: "linux",
        loadBefore: "1.00, 1.00, 1.00",
        loadAfter: "2.00, 1.00, 1.00",
      },
      denoVersion: "2.9.6",
      v8Version: "15",
      erlang: null,
      benches,
      cells,
      commands: [],
      profiles: [],
      findings: "kept",
    } satisfies ReportInput,
  );
  assert.match(report, /\*\*BEAM \(erl\) was not found on the PATH\*\*/);
  assert.match(report, /- Erlang: not found/);
  assert.doesNotMatch(report, /BEAM \+S 1 \(ms\)/);
  assert.match(report, /\| procmem \| ttvm --smp=2 \| 4, 4 \|/);
  assert.match(report, /\| ttvm \(1 scheduler\) \| 700 \| 700, 700 \|/);
  assert.match(report, /Load average .* before the run: 1\.00, 1\.00, 1\.00; after: 2\.00/);
  assert.ok(report.includes(`${FINDINGS_BEGIN}\nkept\n${FINDINGS_END}`));
});

Deno.test("a failing run is recorded in its cell and stops that cell's runs", async () => {
  let calls = 0;
  const failing = (): Promise<RunOutput> => {
    calls++;
    return Promise.resolve({ code: 1, stdout: "", stderr: "Error: ring: wrong hop count 3" });
  };
  const benches = BENCHMARKS.filter((b) => b.name === "ring");
  const cells = await measureAll(failing, ".", benches, [CONFIGS[0]], 3, true, "", () => {});
  assert.equal(calls, 1);
  assert.match(cells[0].error!, /exit 1: Error: ring: wrong hop count 3/);
});

Deno.test("options select sizes, runs, benchmarks and the output directory", () => {
  const o = parseOptions(["--quick", "--runs=5", "--only=ring,big", "--out=/tmp/x"], "/r");
  assert.deepEqual(o, {
    quick: true,
    runs: 5,
    only: ["ring", "big"],
    outDir: "/tmp/x",
    profile: true,
  });
  assert.equal(parseOptions([], "/r").outDir, "/r/docs");
  assert.throws(() => parseOptions(["--only=nope"], "/r"), /unknown benchmark/);
  assert.throws(() => parseOptions(["--fast"], "/r"), /unknown option/);
});
