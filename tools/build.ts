/**
 * `deno task build`: compile the `ttvm` binary with `deno compile`.
 *
 * The binary embeds main.ts, the bundled standard library (std/, found by IMPORT as the last
 * resort) and every worker module the SMP pool loads (src/sched/*worker*.ts once it exists).
 * `deno compile` needs its runtime (denort): it downloads it unless DENORT_BIN names a local
 * copy. Where the download is impossible this script says so plainly and exits 1; it never
 * produces anything that is not a real `deno compile` output.
 */
import { existsSync } from "node:fs";
import { denoCompileArgs } from "../src/cli/launch.ts";

const root = new URL("../", import.meta.url);
const output = Deno.args[0] ?? "ttvm";

const includes = ["std/"];
try {
  for (const e of Deno.readDirSync(new URL("src/sched/", root))) {
    if (e.isFile && e.name.includes("worker") && e.name.endsWith(".ts")) {
      includes.push(`src/sched/${e.name}`);
    }
  }
} catch { /* no scheduler modules yet */ }

const denort = Deno.env.get("DENORT_BIN");
if (denort !== undefined && !existsSync(denort)) {
  console.error(`ttvm build: DENORT_BIN=${denort} does not exist`);
  Deno.exit(1);
}

const args = denoCompileArgs(output, includes);
console.error(`ttvm build: deno ${args.join(" ")}${denort ? ` (DENORT_BIN=${denort})` : ""}`);

const result = new Deno.Command(Deno.execPath(), {
  args,
  cwd: root,
  stdout: "inherit",
  stderr: "piped",
}).outputSync();
const stderr = new TextDecoder().decode(result.stderr);
Deno.stderr.writeSync(result.stderr);
if (result.code !== 0) {
  const network = /download|dns|connect|network|request|fetch|resolve/i.test(stderr);
  if (network && !denort) {
    console.error(
      "ttvm build: deno compile could not download its runtime (denort) — this machine " +
        "cannot reach the download server. Set DENORT_BIN to a local denort binary of the " +
        `same Deno version (${Deno.version.deno}) and run 'deno task build' again.`,
    );
  } else {
    console.error(`ttvm build: deno compile failed (exit ${result.code})`);
  }
  Deno.exit(1);
}
console.error(`ttvm build: wrote ${output}`);
