/**
 * What the dashboard costs the VM: pingpong (bench/programs/pingpong.ttvm) on the single
 * scheduler — whose main thread also serves the dashboard — without --observe, with --observe
 * and no page, and with the page open in headless Chromium (polling as a user's page does),
 * in alternating rounds so that other load on the machine hits every variant alike. Runs are
 * in-process (`Vm.run()`, as bench/actors_bench.ts), so start-up noise is out of the figures.
 *
 *   deno run -A bench/observe_bench.ts [round_trips=300000] [rounds=11]
 *
 * Prints per variant the median rate (timed by the program itself) and its ratio to the plain
 * run, and the share of the run's wall time the scheduler handed to Deno's event loop (the
 * turns that serve the page: idle time of the scheduler's statistics line, which for pingpong
 * — never idle on its own — is exactly that). The page is opened as soon as the dashboard
 * listens and stays open until the run ends.
 */
import { assembleFile } from "../src/asm/mod.ts";
import { Output } from "../src/io/output.ts";
import { fixedInput } from "../src/io/stdin.ts";
import { readSchedStats } from "../src/mem/sched_stats.ts";
import { Vm } from "../src/vm/vm.ts";
import { Browser, type Page } from "../tests/observe/browser.ts";

const n = Number(Deno.args[0] ?? 300_000);
const rounds = Number(Deno.args[1] ?? 11);
const program = assembleFile(new URL("./programs/pingpong.ttvm", import.meta.url).pathname);

type Variant = "plain" | "observe" | "observe+page";
interface Result {
  rate: number;
  turnShare: number;
  polls: number;
}

async function once(variant: Variant, browser: Browser): Promise<Result> {
  let stdout = "", stderr = "";
  const opened: { page: Promise<Page> | null } = { page: null };
  const dec = new TextDecoder();
  const vm = new Vm(program, {
    stdout: new Output({ write: (b) => (stdout += dec.decode(b)) }),
    stderr: new Output({
      write: (b) => {
        stderr += dec.decode(b);
        const m = /dashboard at (\S+)/.exec(stderr);
        if (m && variant === "observe+page" && opened.page === null) {
          opened.page = browser.openPage(m[1]);
        }
      },
    }),
    stdin: fixedInput(),
    args: [String(n)],
  }, { observe: variant === "plain" ? undefined : 0 });
  const t0 = performance.now();
  await vm.run();
  const wallMs = performance.now() - t0;
  let polls = 0;
  if (opened.page !== null) {
    const p = await opened.page;
    polls = await p.eval<number>(
      `performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/")).length`,
    ).catch(() => 0);
    await p.send("Page.close").catch(() => {});
  }
  const rate = /rate=(\d+)/.exec(stdout);
  if (!rate) throw new Error(`${variant}: ${stdout}${stderr}`);
  const idleMs = readSchedStats(vm.mem)[0].idleMs;
  return { rate: Number(rate[1]), turnShare: idleMs / wallMs, polls };
}

const browser = await Browser.launch();
const variants: Variant[] = ["plain", "observe", "observe+page"];
const results = new Map<Variant, Result[]>(variants.map((v) => [v, []]));
try {
  await once("observe+page", browser); // warm-up: JIT, the browser's first page
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) results.get(v)!.push(await once(v, browser));
  }
} finally {
  await browser.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const base = median(results.get("plain")!.map((r) => r.rate));
console.log(`pingpong, ${n} round trips, single scheduler, ${rounds} alternating rounds`);
for (const v of variants) {
  const rs = results.get(v)!;
  const rate = median(rs.map((r) => r.rate));
  console.log(
    `${v.padEnd(13)} median ${rate.toLocaleString("en-US")} round trips/s ` +
      `(${(rate / base * 100).toFixed(1)}% of plain); event-loop turns ` +
      `${(median(rs.map((r) => r.turnShare)) * 100).toFixed(2)}% of the run` +
      (v === "observe+page" ? `; page polls per run ${median(rs.map((r) => r.polls))}` : ""),
  );
  console.log(`  rates: ${rs.map((r) => r.rate).join(" ")}`);
}
