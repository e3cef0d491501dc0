/**
 * Tests of the fast parts of tools/bench_compare.ts and tools/svg_chart.ts: parsing the
 * `bench=` line and ttvm's --stats memory, medians and ratios, the tables, report and chart
 * generated from given numbers, CPU-profile summaries, and the path taken when BEAM is absent
 * (driven through a stand-in process runner, so no benchmark actually runs); and the Network
 * part of tools/bench_network.ts: its plan, medians, tables with and without BEAM and wrk,
 * failed cells, the report section, and its measuring loop driven by stand-in servers.
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
import {
  measureNetwork,
  NET_PARTS,
  type NetCell,
  type NetDeps,
  netMedian,
  type NetPart,
  type NetPlan,
  netPlan,
  rateRatio,
  renderEchoTable,
  renderHttpTable,
  renderIdleTable,
  renderNetworkSection,
  warmUpMs,
} from "../../tools/bench_network.ts";
import type { ServerKind } from "../../bench/ports/servers.ts";

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
  assert.match(log[0], /^\[1\/2\] pingpong: ttvm \(1 scheduler, --jit=off\), ttvm \(1 scheduler\)/);

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
        cpuSpeedBefore: { cpus: [0, 1], msPerCpu: [5.5, 8.0] },
        cpuSpeedAfter: { cpus: [0, 1], msPerCpu: [5.5, 5.6] },
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
  assert.match(
    report,
    /- Speed of each CPU .*before the run CPU 0 5\.5 ms, CPU 1 8\.0 ms \(the slowest 1\.45× the fastest\); after: CPU 0 5\.5 ms, CPU 1 5\.6 ms \(the slowest 1\.02× the fastest\)\. \*\*The CPUs computed at different speeds\*\*/,
  );
  assert.ok(report.includes(`${FINDINGS_BEGIN}\nkept\n${FINDINGS_END}`));
});

Deno.test("the configurations of a benchmark take turns run by run, reversed every other round", async () => {
  const order: string[] = [];
  const fakeRun = (c: Command): Promise<RunOutput> => {
    order.push(c.args.includes("--jit=off") ? "off" : c.args.includes("--smp=2") ? "smp" : "on");
    return Promise.resolve({ code: 0, stdout: "bench=ring n=1 ms=4 rate=250\n", stderr: "" });
  };
  const benches = BENCHMARKS.filter((b) => b.name === "ring");
  const ttvmOnly = CONFIGS.filter((c) => c.engine === "ttvm");
  const cells = await measureAll(fakeRun, ".", benches, ttvmOnly, 3, true, "", () => {});
  assert.deepEqual(order, ["off", "on", "smp", "smp", "on", "off", "off", "on", "smp"]);
  assert.deepEqual(cells.map((c) => c.lines.length), [3, 3, 3]);
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

Deno.test("a failed cell runs no more while the other configurations go on", async () => {
  const order: string[] = [];
  const run = (c: Command): Promise<RunOutput> => {
    const off = c.args.includes("--jit=off");
    order.push(off ? "off" : "on");
    return Promise.resolve(
      off
        ? { code: 1, stdout: "", stderr: "Error: boom" }
        : { code: 0, stdout: "bench=ring n=1 ms=4 rate=250\n", stderr: "" },
    );
  };
  const benches = BENCHMARKS.filter((b) => b.name === "ring");
  const two = CONFIGS.filter((c) => c.id === "ttvm-1-nojit" || c.id === "ttvm-1");
  const cells = await measureAll(run, ".", benches, two, 3, true, "", () => {});
  assert.deepEqual(order, ["off", "on", "on", "on"]);
  assert.match(cells[0].error!, /boom/);
  assert.equal(cells[1].lines.length, 3);
});

Deno.test("options select sizes, runs, benchmarks and the output directory", () => {
  const o = parseOptions(["--quick", "--runs=5", "--only=ring,big", "--out=/tmp/x"], "/r");
  assert.deepEqual(o, {
    quick: true,
    runs: 5,
    only: ["ring", "big"],
    outDir: "/tmp/x",
    profile: true,
    network: [],
    netMs: null,
  });
  assert.equal(parseOptions([], "/r").outDir, "/r/docs");
  assert.throws(() => parseOptions(["--only=nope"], "/r"), /unknown benchmark/);
  assert.throws(() => parseOptions(["--fast"], "/r"), /unknown option/);
});

Deno.test("options select the network parts: all by default, by name, none with --no-network", () => {
  assert.deepEqual(parseOptions([], "/r").network, ["echo", "http", "idle"]);
  assert.deepEqual(parseOptions(["--only=network"], "/r").network, ["echo", "http", "idle"]);
  const some = parseOptions(["--only=idle,pingpong,echo"], "/r");
  assert.deepEqual(some.network, ["echo", "idle"]);
  assert.deepEqual(some.only, ["idle", "pingpong", "echo"]);
  assert.deepEqual(parseOptions(["--no-network"], "/r").network, []);
  assert.deepEqual(parseOptions(["--no-network", "--only=ring"], "/r").network, []);
  assert.throws(() => parseOptions(["--no-network", "--only=echo"], "/r"), /contradicts/);
  assert.equal(parseOptions(["--net-ms=2000"], "/r").netMs, 2000);
  assert.throws(() => parseOptions(["--net-ms=fast"], "/r"), /--net-ms needs/);
  assert.throws(() => parseOptions(["--net-ms=10"], "/r"), /--net-ms needs/);
});

// ── the Network part (tools/bench_network.ts) ──

function netCell(
  part: NetPart,
  server: ServerKind,
  connections: number,
  values: number[],
  error?: string,
): NetCell {
  return error === undefined
    ? { part, server, connections, values }
    : { part, server, connections, values, error };
}

function plan(beam: boolean, wrkPresent: boolean, parts = NET_PARTS): NetPlan {
  return netPlan(parts, 3, false, null, beam, wrkPresent);
}

/** Echo cells where each server's three runs have the given median (runs m-5, m, m+100). */
function echoCells(medians: Partial<Record<ServerKind, number[]>>): NetCell[] {
  const cells: NetCell[] = [];
  for (const [server, perCount] of Object.entries(medians)) {
    [1, 10, 100, 1000].forEach((n, i) => {
      const m = perCount![i];
      cells.push(netCell("echo", server as ServerKind, n, [m + 100, m - 5, m]));
    });
  }
  return cells;
}

Deno.test("the network plan has tiny sizes with --quick and honours --net-ms", () => {
  const full = netPlan(["echo", "http", "idle"], 3, false, null, true, true);
  assert.deepEqual(full.echoConnections, [1, 10, 100, 1000]);
  assert.equal(full.echoMs, 3000);
  assert.deepEqual(full.wrk, { threads: 1, connections: 50, durationS: 3 });
  assert.equal(full.idleConnections, 10_000);
  assert.equal(full.idleMs, 5000);
  const quick = netPlan(["echo"], 1, true, null, false, false);
  assert.equal(quick.echoMs, 300);
  assert.equal(quick.wrk.durationS, 1); // wrk's shortest run
  assert.equal(quick.idleConnections, 1000);
  assert.equal(quick.idleMs, 1000);
  const set = netPlan(["echo"], 2, false, 2000, true, true);
  assert.equal(set.echoMs, 2000);
  assert.equal(set.wrk.durationS, 2);
  assert.equal(set.idleMs, 2000);
  assert.equal(warmUpMs(set), 500);
  assert.equal(warmUpMs(quick), 100);
});

Deno.test("a network cell's figure is the median of its runs, none when it failed", () => {
  assert.equal(netMedian(netCell("echo", "ttvm", 10, [300, 100, 200])), 200);
  assert.equal(netMedian(netCell("echo", "ttvm", 10, [4, 1, 3, 2])), 2.5);
  assert.equal(netMedian(netCell("echo", "ttvm", 10, [100], "echo client exit 1")), null);
  assert.equal(netMedian(netCell("echo", "ttvm", 10, [])), null);
  assert.equal(netMedian(undefined), null);
  assert.equal(rateRatio(50, 100), 0.5);
  assert.equal(rateRatio(50, null), null);
  assert.equal(rateRatio(50, 0), null);
});

Deno.test("the echo table shows medians per connection count and ttvm/BEAM ratios", () => {
  const cells = echoCells({
    "ttvm": [5000, 30000, 48000, 20000],
    "ttvm-smp2": [6000, 20000, 24000, 30000],
    "erlang": [40000, 60000, 48000, 40000],
    "deno": [41000, 62000, 58000, 32000],
  });
  const table = renderEchoTable({ plan: plan(true, true), cells }).split("\n");
  assert.equal(
    table[0],
    "| connections | ttvm (1 scheduler) | ttvm --smp=2 | BEAM gen_tcp | bare Deno | ttvm/BEAM | " +
      "ttvm --smp=2/BEAM |",
  );
  assert.equal(table[2], "| 1 | 5,000 | 6,000 | 40,000 | 41,000 | 0.13× | 0.15× |");
  assert.equal(table[4], "| 100 | 48,000 | 24,000 | 48,000 | 58,000 | 1.00× | 0.50× |");
  assert.equal(table[5], "| 1,000 | 20,000 | 30,000 | 40,000 | 32,000 | 0.50× | 0.75× |");
  assert.equal(table.length, 6);
});

Deno.test("without BEAM the echo table has no BEAM column and no ratios", () => {
  const cells = echoCells({
    "ttvm": [1, 2, 3, 4].map((x) => x * 1000),
    "ttvm-smp2": [1, 2, 3, 4].map((x) => x * 2000),
    "deno": [1, 2, 3, 4].map((x) => x * 3000),
  });
  const table = renderEchoTable({ plan: plan(false, true), cells }).split("\n");
  assert.equal(table[0], "| connections | ttvm (1 scheduler) | ttvm --smp=2 | bare Deno |");
  assert.equal(table[3], "| 10 | 2,000 | 4,000 | 6,000 |");
  assert.doesNotMatch(table.join("\n"), /BEAM/);
});

Deno.test("a failed echo cell shows 'failed' and leaves its ratio empty", () => {
  const cells = [
    netCell("echo", "ttvm", 100, [9000], "echo client exit 1: connection 3 closed"),
    netCell("echo", "ttvm-smp2", 100, [8000]),
    netCell("echo", "erlang", 100, [16000]),
  ];
  const row = renderEchoTable({ plan: plan(true, true), cells }).split("\n")[4];
  assert.equal(row, "| 100 | failed | 8,000 | 16,000 | — | — | 0.50× |");
});

Deno.test("the HTTP table gives each ttvm its share of bare Deno.serve, or says wrk is missing", () => {
  const cells = [
    netCell("http", "ttvm", 50, [30000, 20000, 25000]),
    netCell("http", "ttvm-smp2", 50, [], "wrk saw errors: Socket errors: connect 0, read 3"),
    netCell("http", "deno", 50, [100000, 90000, 110000]),
  ];
  const table = renderHttpTable({ plan: plan(true, true), cells }).split("\n");
  assert.equal(table[2], "| ttvm (1 scheduler) | 25,000 | 25 % |");
  assert.equal(table[3], "| ttvm --smp=2 | failed | — |");
  assert.equal(table[4], "| bare Deno.serve | 100,000 | 100 % |");
  const none = renderHttpTable({ plan: plan(true, false), cells: [] });
  assert.match(none, /wrk was not found on the PATH, so HTTP was not measured/);
  assert.doesNotMatch(none, /\|/);
});

Deno.test("the idle table shows CPU ms per second for each server, with BEAM when present", () => {
  const cells = [
    netCell("idle", "ttvm", 10_000, [0.4, 0, 2]),
    netCell("idle", "ttvm-smp2", 10_000, [6, 4, 5]),
    netCell("idle", "erlang", 10_000, [0, 0, 0]),
    netCell("idle", "deno", 10_000, [0, 0, 0.2]),
  ];
  const table = renderIdleTable({ plan: plan(true, true), cells }).split("\n");
  assert.equal(table[2], "| ttvm (1 scheduler) | 10,000 | 0.4 | 0.4 / 0.0 / 2.0 |");
  assert.equal(table[4], "| BEAM gen_tcp | 10,000 | 0.0 | 0.0 / 0.0 / 0.0 |");
  const noBeam = renderIdleTable({ plan: plan(false, true), cells }).split("\n");
  assert.equal(noBeam.length, 5);
  assert.doesNotMatch(noBeam.join("\n"), /BEAM/);
});

Deno.test("the network section states the targets beside the measured figures", () => {
  const cells = [
    ...echoCells({
      "ttvm": [1, 1, 60000, 1],
      "ttvm-smp2": [1, 1, 30000, 1],
      "erlang": [1, 1, 50000, 1],
      "deno": [1, 1, 70000, 1],
    }),
    netCell("http", "ttvm", 50, [60000]),
    netCell("http", "ttvm-smp2", 50, [40000]),
    netCell("http", "deno", 50, [100000]),
    netCell("idle", "ttvm", 10_000, [0.5]),
  ];
  const text = renderNetworkSection({ plan: plan(true, true), cells });
  assert.match(text, /^## Network\n/);
  assert.match(
    text,
    /\*\*Target: echo at 100 connections ≥ BEAM\.\*\* ttvm \(1 scheduler\): 1\.20× \(met\); ttvm --smp=2: 0\.60× \(not met\)\./,
  );
  assert.match(
    text,
    /\*\*Target: HTTP ≥ 50 % of bare Deno\.serve\.\*\* ttvm \(1 scheduler\): 60 % \(met\); ttvm --smp=2: 40 % \(not met\)\./,
  );
  assert.match(
    text,
    /\*\*Target: idle ≈ 0 CPU\.\*\* ttvm \(1 scheduler\): 0\.5 ms per s \(0\.05 % of a core\); ttvm --smp=2: not measured\./,
  );
  assert.match(text, /`wrk -t1 -c50 -d3s http:\/\/127\.0\.0\.1:PORT\/`/);
  assert.match(text, /for 3000 ms per run, after a discarded 750 ms warm-up/);
  assert.ok(text.includes("| idle | ttvm (1 scheduler) | 10,000 | 0.5 |  |"));
  const echoOnly = renderNetworkSection({ plan: plan(false, false, ["echo"]), cells: [] });
  assert.match(echoOnly, /ttvm \(1 scheduler\): BEAM not measured/);
  assert.doesNotMatch(echoOnly, /### HTTP|### Idle/);
});

/** Stand-in servers and clients: port = 1000 + start order, figures from a table. */
function fakeNetDeps(failEchoOn?: ServerKind, failStartOf?: ServerKind) {
  const started: string[] = [];
  const stopped: number[] = [];
  const calls: string[] = [];
  let next = 1000;
  const deps: NetDeps = {
    startServer(kind, program) {
      if (kind === failStartOf) return Promise.reject(new Error(`${kind} ${program} ended: `));
      const port = next++;
      started.push(`${kind}:${program}`);
      return Promise.resolve({
        port,
        pid: port + 1,
        stop: () => {
          stopped.push(port);
          return Promise.resolve();
        },
      });
    },
    echo(port, connections, ms) {
      calls.push(`echo ${port} ${connections} ${ms}`);
      const kind = started[port - 1000].split(":")[0];
      if (kind === failEchoOn) return Promise.reject(new Error("echo client exit 1: closed"));
      const rate = connections * 10 + calls.length;
      return Promise.resolve({ roundTrips: rate, ms: 1000, rate });
    },
    wrk(port, o) {
      calls.push(`wrk ${port} -c${o.connections} -d${o.durationS}s`);
      return Promise.resolve(5000 + port);
    },
    idle(port, pid, connections, ms) {
      calls.push(`idle ${port} ${pid} ${connections} ${ms}`);
      return Promise.resolve({ connections, cpuMs: 2, wallMs: ms, cpuMsPerS: 2000 / ms });
    },
  };
  return { deps, started, stopped, calls };
}

Deno.test("the network loop runs each cell's warm-up and runs on one fresh server", async () => {
  const f = fakeNetDeps();
  const p = netPlan(["echo", "http", "idle"], 2, true, null, true, true);
  const log: string[] = [];
  const r = await measureNetwork(f.deps, p, (m) => log.push(m));
  assert.equal(r.cells.length, 4 * 4 + 3 + 4); // echo 4 counts × 4 servers, http 3, idle 4
  assert.equal(f.started.length, r.cells.length);
  assert.equal(f.stopped.length, r.cells.length);
  assert.deepEqual(f.started.slice(0, 4), [
    "ttvm:echo",
    "ttvm-smp2:echo",
    "erlang:echo",
    "deno:echo",
  ]);
  assert.deepEqual(f.started.slice(16, 19), ["ttvm:http", "ttvm-smp2:http", "deno:http"]);
  // First cell: a 100 ms warm-up (discarded), then two 300 ms runs, all on port 1000.
  assert.deepEqual(f.calls.slice(0, 3), ["echo 1000 1 100", "echo 1000 1 300", "echo 1000 1 300"]);
  assert.deepEqual(r.cells[0], { part: "echo", server: "ttvm", connections: 1, values: [12, 13] });
  assert.deepEqual(r.cells[16].values, [5000 + 1016, 5000 + 1016]);
  assert.ok(f.calls.includes("wrk 1016 -c50 -d1s"));
  assert.ok(f.calls.includes("idle 1019 1020 1000 1000"));
  assert.deepEqual(r.cells.at(-1), {
    part: "idle",
    server: "deno",
    connections: 1000,
    values: [2, 2],
  });
  assert.match(log[0], /^network echo: ttvm \(1 scheduler\), 1 connections$/);
});

Deno.test("the network loop records failures per cell, skips HTTP without wrk and BEAM without erl", async () => {
  const f = fakeNetDeps("ttvm-smp2", "deno");
  const p = netPlan(["echo", "http"], 3, true, null, false, false);
  const log: string[] = [];
  const r = await measureNetwork(f.deps, p, (m) => log.push(m));
  assert.ok(!f.started.some((s) => s.startsWith("erlang")), "erl must never be started");
  assert.ok(!f.calls.some((c) => c.startsWith("wrk")), "wrk must never be run");
  assert.ok(log.includes("http: wrk not found on the PATH, skipped"));
  assert.equal(r.cells.length, 4 * 3);
  const smp = r.cells.find((c) => c.server === "ttvm-smp2" && c.connections === 10)!;
  assert.equal(smp.error, "warm-up: echo client exit 1: closed");
  assert.deepEqual(smp.values, []);
  const deno = r.cells.find((c) => c.server === "deno" && c.connections === 10)!;
  assert.equal(deno.error, "server did not start: deno echo ended: ");
  assert.equal(f.stopped.length, f.started.length, "every started server is stopped");
  const ttvm = r.cells.find((c) => c.server === "ttvm" && c.connections === 100)!;
  assert.equal(ttvm.values.length, 3);
  assert.equal(
    renderEchoTable(r).split("\n")[3].split(" | ").slice(2).join(" | "),
    "failed | failed |",
  );
});

Deno.test("a network-only report has the Network section, keeps the findings, and no profiles", () => {
  const network = {
    plan: plan(true, true, ["echo"]),
    cells: echoCells({
      "ttvm": [1, 2, 3, 4],
      "ttvm-smp2": [1, 2, 3, 4],
      "erlang": [2, 4, 6, 8],
      "deno": [1, 2, 3, 4],
    }),
  };
  const report = renderReport({
    generatedAt: "2026-01-01T00:00:00Z",
    quick: false,
    runs: 3,
    machine: {
      cpuModel: "Test CPU",
      logicalCores: 2,
      memoryBytes: 2 ** 30,
      os: "linux",
      loadBefore: "1.00, 1.00, 1.00",
      loadAfter: "1.00, 1.00, 1.00",
      cpuSpeedBefore: null,
      cpuSpeedAfter: null,
    },
    denoVersion: "2.9.6",
    v8Version: "15",
    erlang: { otpRelease: "25", ertsVersion: "13.1.5" },
    benches: [],
    cells: [],
    commands: [],
    profiles: [],
    findings: "Echo is bounded by the port driver.",
    network,
  });
  assert.match(report, /_No message-passing benchmark was selected \(--only\)\._/);
  assert.match(
    report,
    /before the run not probed \(needs Linux and `taskset`\); after: not probed/,
  );
  assert.doesNotMatch(report, /computed at different speeds/);
  assert.doesNotMatch(report, /## Results: median wall time|## CPU profiles/);
  assert.match(report, /## Network\n[\s\S]*\| 100 \| 3 \| 3 \| 6 \| 3 \| 0\.50× \| 0\.50× \|/);
  assert.ok(
    report.includes(`${FINDINGS_BEGIN}\nEcho is bounded by the port driver.\n${FINDINGS_END}`),
  );
  assert.ok(report.indexOf("## Network") < report.indexOf("## Findings"));
  assert.match(report, /--only=network/);
});
