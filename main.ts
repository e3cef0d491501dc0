/**
 * `ttvm` entry point: runs the command line and exits with its status. An `--smp` run's
 * workers are started first (src/sched/prestart.ts), so that they load while this thread
 * loads the rest of the runtime — which is why the CLI is imported dynamically.
 */
import { prestartPool } from "./src/sched/prestart.ts";

if (import.meta.main) {
  const pool = prestartPool(Deno.args);
  const { runCli } = await import("./src/cli/main.ts");
  Deno.exit(await runCli(Deno.args, undefined, pool));
}
