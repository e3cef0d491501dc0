/**
 * Every way of launching ttvm passes the same V8 flags (src/cli/launch.ts): the `ttvm` task of
 * deno.json, the binary's `deno compile` command and the benchmarks' commands — and this V8
 * accepts them.
 */
import assert from "node:assert/strict";
import {
  denoCompileArgs,
  denoRunMain,
  RUNTIME_V8_FLAGS,
  v8FlagsArg,
} from "../../src/cli/launch.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("deno.json's ttvm task runs main.ts with the runtime's V8 flags", () => {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT)));
  assert.deepEqual(config.tasks.ttvm, `deno ${denoRunMain().join(" ")}`);
  assert(RUNTIME_V8_FLAGS.length > 0);
  assert.deepEqual(v8FlagsArg(), `--v8-flags=${RUNTIME_V8_FLAGS.join(",")}`);
});

Deno.test("the binary is compiled with the same V8 flags and every include", () => {
  const args = denoCompileArgs("out/ttvm", ["std/", "src/sched/smp_worker.ts"]);
  assert.deepEqual(args.slice(0, 2), ["compile", "-A"]);
  assert(args.includes(v8FlagsArg()));
  assert.deepEqual(args[args.indexOf("--output") + 1], "out/ttvm");
  assert.deepEqual(args.filter((_, i) => args[i - 1] === "--include"), [
    "std/",
    "src/sched/smp_worker.ts",
  ]);
  assert.deepEqual(args.at(-1), "main.ts");
});

Deno.test("a program runs under the runtime's V8 flags", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...denoRunMain(), "examples/hello.ttvm"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.deepEqual(new TextDecoder().decode(out.stderr), "");
  assert.deepEqual(out.code, 0);
  assert.deepEqual(new TextDecoder().decode(out.stdout), "Hello, world!\n");
});
