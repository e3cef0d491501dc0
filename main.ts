/**
 * `ttvm` entry point: runs the command line and exits with its status.
 */
import { runCli } from "./src/cli/main.ts";

if (import.meta.main) Deno.exit(await runCli(Deno.args));
