/**
 * Core interpreter benchmark (`deno bench`): a 10-million-iteration counting loop and naive
 * recursive fib(27) via CALL/RET, both real .ttvm programs from bench/programs/. Besides the
 * usual per-run times, it prints ns per executed instruction (target ≤ 10 ns on the loop; the
 * original Rust VM needs about 55 ns).
 */
import { assembleFile } from "../src/asm/mod.ts";
import { Output } from "../src/io/output.ts";
import { fixedInput } from "../src/io/stdin.ts";
import { Vm } from "../src/vm/vm.ts";
import type { Program } from "../src/isa/program.ts";

const dir = new URL("./programs/", import.meta.url).pathname;
const loop = assembleFile(`${dir}count_loop.ttvm`);
const fib = assembleFile(`${dir}fib.ttvm`);

/** Run once; returns [elapsed ms, instructions executed, stdout]. */
async function runOnce(program: Program): Promise<[number, number, string]> {
  let out = "";
  const dec = new TextDecoder();
  const vm = new Vm(program, {
    stdout: new Output({ write: (b) => (out += dec.decode(b)) }),
    stderr: new Output({ write: () => {} }),
    stdin: fixedInput(),
    args: [],
  });
  const t0 = performance.now();
  await vm.run();
  return [performance.now() - t0, vm.interp.reductions, out];
}

async function report(name: string, program: Program, expected: string) {
  await runOnce(program); // warm up the JIT
  const runs = [await runOnce(program), await runOnce(program), await runOnce(program)];
  for (const [, , out] of runs) {
    if (out !== expected) throw new Error(`${name}: wrong output ${JSON.stringify(out)}`);
  }
  const nsPerInstr = runs.map(([ms, n]) => (ms * 1e6) / n).sort((a, b) => a - b);
  const [, n] = runs[0];
  console.log(
    `${name}: ${n} instructions, median ${nsPerInstr[1].toFixed(2)} ns/instruction ` +
      `(min ${nsPerInstr[0].toFixed(2)}, max ${nsPerInstr[2].toFixed(2)})`,
  );
}

await report("count_loop 10M", loop, "10000000\n");
await report("fib(27)", fib, "196418\n");

Deno.bench("count_loop 10M iterations (90M instructions)", { group: "core" }, async () => {
  await runOnce(loop);
});
Deno.bench("fib(27) via CALL/RET", { group: "core" }, async () => {
  await runOnce(fib);
});
