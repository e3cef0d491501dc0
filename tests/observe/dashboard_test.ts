/**
 * `ttvm --observe` in a real browser (headless Chromium over the DevTools Protocol,
 * tests/observe/browser.ts), on the single scheduler — whose main thread is busy running a
 * spinning process, so the page is served only in the event-loop turns the run loop hands out —
 * and on --smp=2. The page loads and its process table fills; clicking a column header
 * sorts the table by that column (the memory hog, then the flooded mailbox, come first, and
 * the column is in descending order); a process the program spawns while the page is open
 * appears within a second; a click on a row shows its details (its link to its supervisor);
 * the supervision tree nests; the header counts processes against the limit. Screenshots are
 * kept under .tmp/observe/ (paths printed).
 */
import assert from "node:assert/strict";
import { REPO_ROOT } from "../golden_lib.ts";
import { Browser, type Page } from "./browser.ts";

const PROGRAM = "tests/observe/programs/dashboard_demo.ttvm";
const SHOTS = `${REPO_ROOT}.tmp/observe`;

interface Ttvm {
  url: string;
  child: Deno.ChildProcess;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  output: Promise<{ stdout: string; stderr: string }>;
}

/** Start the demo with --observe=0 and wait for the dashboard's address on stderr. */
async function startTtvm(extra: string[]): Promise<Ttvm> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--observe=0", ...extra, PROGRAM],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const dec = new TextDecoder();
  let stderr = "";
  let found: (url: string) => void = () => {};
  const urlSeen = new Promise<string>((resolve) => found = resolve);
  const readErr = (async () => {
    for await (const chunk of child.stderr) {
      stderr += dec.decode(chunk, { stream: true });
      const m = /ttvm: dashboard at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
      if (m) found(m[1]);
    }
    return stderr;
  })();
  const readOut = new Response(child.stdout).text();
  const url = await Promise.race([
    urlSeen,
    readErr.then((s) => {
      throw new Error(`ttvm ended without a dashboard address: ${s}`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("no dashboard address within 30 s")), 30_000)
    ),
  ]);
  const output = Promise.all([readOut, readErr]).then(([stdout, stderr]) => ({ stdout, stderr }));
  return { url, child, stdin: child.stdin.getWriter(), output };
}

const rowsJs = `[...document.querySelectorAll("#proc-table tbody tr[data-pid]")]`;
const cellJs = (col: string) =>
  `${rowsJs}.map((tr) => tr.querySelector('td[data-col="${col}"]').dataset.value)`;

async function pidOf(page: Page, name: string): Promise<number> {
  const pid = await page.eval<string | null>(
    `(${rowsJs}.find((tr) => tr.querySelector('td[data-col="name"]').dataset.value === "${name}") ?? null)?.dataset.pid ?? null`,
  );
  assert.ok(pid !== null, `no row named ${name}`);
  return Number(pid);
}

/** Click a column header; wait until the table is sorted by it with `first` on top. */
async function sortBy(page: Page, col: string, first: string): Promise<number[]> {
  await page.click(`#proc-table th[data-sort="${col}"]`);
  await page.waitFor(
    `document.querySelector('#proc-table th.sorted')?.dataset.sort === "${col}" &&
     document.querySelector('#proc-table tbody tr td[data-col="name"]')?.dataset.value === "${first}"`,
    10_000,
  );
  const values = (await page.eval<string[]>(cellJs(col))).map(Number);
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i - 1] >= values[i], `${col} column not descending: ${values}`);
  }
  return values;
}

async function dashboardScenario(mode: string, extra: string[]): Promise<void> {
  await Deno.mkdir(SHOTS, { recursive: true });
  const ttvm = await startTtvm(extra);
  const browser = await Browser.launch();
  try {
    const page = await browser.openPage(ttvm.url);
    // The table fills and the header shows the run.
    await page.waitFor(`${rowsJs}.length >= 8`, 15_000);
    assert.equal(await page.eval(`document.getElementById("status").textContent`), "live");
    assert.match(
      await page.eval<string>(`document.getElementById("h-procs").textContent`),
      /\/ 2,097,152$/,
    );
    const names = await page.eval<string[]>(cellJs("name"));
    for (const n of ["hog", "flooded", "worker_a", "worker_b", "sub_sup", "leaf"]) {
      assert.ok(names.includes(n), `${n} missing from ${names}`);
    }
    // Sorting (a real click on the header; the server sorts, the page shows it).
    const memory = await sortBy(page, "memory", "hog");
    assert.ok(memory[0] > 1_000_000, `the hog holds ${memory[0]} bytes`);
    const mailbox = await sortBy(page, "mailbox", "flooded");
    assert.ok(mailbox[0] > 0);
    await sortBy(page, "reductions", "worker_a"); // the spinner
    // A process spawned now appears (the page polls every few hundred ms; how soon it shows
    // on a loaded machine is a figure to read in the log, not a condition of the test).
    assert.ok(!(await page.eval<string[]>(cellJs("name"))).includes("late_comer"));
    await ttvm.stdin.write(new TextEncoder().encode("spawn now\n"));
    const appearedMs = await page.waitFor(
      `${cellJs("name")}.includes("late_comer")`,
      10_000,
      10,
    );
    console.log(`${mode}: late_comer appeared ${appearedMs.toFixed(0)} ms after the request`);
    // Details on click: worker_a is linked to its supervisor, which supervises three children.
    const worker = await pidOf(page, "worker_a");
    await page.click(`#proc-table tbody tr[data-pid="${worker}"]`);
    await page.waitFor(`document.getElementById("detail").dataset.pid === "${worker}"`, 5_000);
    const detail = await page.eval<Record<string, string>>(`Object.fromEntries(
      [...document.querySelectorAll("#detail dt")].map((dt) => [dt.textContent, dt.nextElementSibling.textContent]))`);
    assert.equal(detail.name, "worker_a");
    assert.match(detail.current, /dashboard_demo\.ttvm:\d+$/);
    assert.match(detail.links, /^\d+$/, `links: ${detail.links}`);
    const sup = Number(detail.links);
    await page.click(`#detail .pid[data-pid="${sup}"]`);
    await page.waitFor(`document.getElementById("detail").dataset.pid === "${sup}"`, 5_000);
    assert.match(
      await page.eval<string>(`document.getElementById("detail").textContent`),
      /worker_a/,
    );
    // The supervision tree: sub_sup nests leaf.
    assert.ok(
      await page.eval<boolean>(`[...document.querySelectorAll("#sup li")].some((li) =>
        li.textContent.includes("sub_sup") && li.querySelector("ul li")?.textContent.includes("leaf"))`),
      "leaf is not shown under sub_sup",
    );
    // The charts have points by now; keep a picture of the page.
    await page.waitFor(
      `document.getElementById("c-util-v").textContent !== ""`,
      10_000,
    );
    await sortBy(page, "reductions_rate", "worker_a");
    await page.click(`#proc-table tbody tr[data-pid="${worker}"]`);
    await new Promise((r) => setTimeout(r, 1500));
    const shot = `${SHOTS}/dashboard-${mode}.png`;
    await page.screenshot(shot);
    console.log(`${mode}: screenshot ${shot}`);
  } finally {
    await browser.close();
    await ttvm.stdin.write(new TextEncoder().encode("end\n")).catch(() => {});
    await ttvm.stdin.close().catch(() => {});
  }
  const status = await ttvm.child.status;
  const { stdout, stderr } = await ttvm.output;
  assert.equal(status.code, 0, stderr);
  assert.equal(stdout, "");
}

Deno.test({
  name: "--observe: the dashboard in Chromium on the single scheduler (busy main thread)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => dashboardScenario("single", []),
});

Deno.test({
  name: "--observe: the dashboard in Chromium on --smp=2",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => dashboardScenario("smp2", ["--smp=2"]),
});
