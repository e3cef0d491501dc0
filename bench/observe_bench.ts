/**
 * What the dashboard costs the VM: pingpong (bench/programs/pingpong.ttvm) run through the CLI
 * without --observe, with --observe and no page, and with --observe and the page open in
 * headless Chromium (polling as a user's page does), in alternating rounds so that the other
 * load on the machine hits every variant alike. Prints each variant's median rate and its
 * ratio to the plain run.
 *
 *   deno run -A bench/observe_bench.ts [round_trips=2000000] [rounds=5] [--smp=N]
 *
 * The page is opened as soon as the run prints the dashboard's address and stays open until
 * the run ends, so nearly all of the timed loop runs with the page polling.
 */
import { Browser } from "../tests/observe/browser.ts";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const smp = Deno.args.filter((a) => a.startsWith("--smp"));
const n = Number(args[0] ?? 2_000_000);
const rounds = Number(args[1] ?? 5);
const root = new URL("../", import.meta.url).pathname;

type Variant = "plain" | "observe" | "observe+page";

async function once(variant: Variant, browser: Browser): Promise<number> {
  const observe = variant === "plain" ? [] : ["--observe=0"];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...smp, ...observe, "bench/programs/pingpong.ttvm", String(n)],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  let stderr = "";
  let pageDone: Promise<void> = Promise.resolve();
  const dec = new TextDecoder();
  for await (const chunk of child.stderr) {
    stderr += dec.decode(chunk, { stream: true });
    const m = /dashboard at (\S+)/.exec(stderr);
    if (m && variant === "observe+page") {
      pageDone = browser.openPage(m[1]).then(async (page) => {
        await child.status;
        await page.send("Page.close").catch(() => {});
      });
      stderr = stderr.replace(m[0], "");
    }
  }
  const status = await child.status;
  await pageDone.catch(() => {});
  const out = await stdout;
  const rate = /rate=(\d+)/.exec(out);
  if (!status.success || !rate) throw new Error(`${variant}: exit ${status.code}\n${out}${stderr}`);
  return Number(rate[1]);
}

const browser = await Browser.launch();
const variants: Variant[] = ["plain", "observe", "observe+page"];
const rates = new Map<Variant, number[]>(variants.map((v) => [v, []]));
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) rates.get(v)!.push(await once(v, browser));
  }
} finally {
  await browser.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const base = median(rates.get("plain")!);
console.log(`pingpong ${n} round trips ${smp.join(" ") || "(single scheduler)"}, ${rounds} rounds`);
for (const v of variants) {
  const xs = rates.get(v)!;
  console.log(
    `${v.padEnd(13)} median ${median(xs).toLocaleString("en-US")} round trips/s ` +
      `(${(median(xs) / base * 100).toFixed(1)}% of plain)  runs: ${xs.join(" ")}`,
  );
}
