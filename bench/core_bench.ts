/**
 * Core benchmark (`deno bench -A bench/core_bench.ts`): a 10-million-iteration counting loop
 * and naive recursive fib(27) via CALL/RET, both real .ttvm programs from bench/programs/, with
 * the compiler tier off (the interpreter alone) and on.
 *
 * Besides the usual per-run times, it prints ns per interpreted-instruction equivalent: wall
 * time divided by the reductions the run charged, which are the same with the tier on or off
 * (compiled code charges one reduction per bytecode instruction it stands for). Runs of the
 * two modes alternate, so that both see the same machine phase (this shared host has fast and
 * slow phases; compare the ratio, not single figures). Targets: interpreter ≤ 10 ns per
 * instruction on the loop (the original Rust VM needs about 55 ns), compiler tier ≤ 1.5 ns.
 */
import { assembleFile } from "../src/asm/mod.ts";
import { Output } from "../src/io/output.ts";
import { fixedInput } from "../src/io/stdin.ts";
import { Vm } from "../src/vm/vm.ts";
import type { JitMode } from "../src/vm/runtime.ts";
import type { Program } from "../src/isa/program.ts";

const dir = new URL("./programs/", import.meta.url).pathname;
const loop = assembleFile(`${dir}count_loop.ttvm`);
const fib = assembleFile(`${dir}fib.ttvm`);
const ROUNDS = Number(Deno.env.get("CORE_BENCH_ROUNDS") ?? 5);

/** Run once; returns [elapsed ms, reductions charged, stdout]. */
async function runOnce(program: Program, jit: JitMode): Promise<[number, number, string]> {
  let out = "";
  const dec = new TextDecoder();
  const vm = new Vm(program, {
    stdout: new Output({ write: (b) => (out += dec.decode(b)) }),
    stderr: new Output({ write: () => {} }),
    stdin: fixedInput(),
    args: [],
  }, { jit });
  const t0 = performance.now();
  await vm.run();
  return [performance.now() - t0, vm.interp.reductions, out];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function report(name: string, program: Program, expected: string) {
  const modes: JitMode[] = ["off", "on"];
  const ns: Record<string, number[]> = { off: [], on: [] };
  let n = 0;
  for (const m of modes) await runOnce(program, m); // warm up V8
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of modes) {
      const [ms, reductions, out] = await runOnce(program, m);
      if (out !== expected) {
        throw new Error(`${name} (jit ${m}): wrong output ${JSON.stringify(out)}`);
      }
      n = reductions;
      ns[m].push((ms * 1e6) / reductions);
    }
  }
  const fmt = (xs: number[]) =>
    `median ${median(xs).toFixed(2)} (min ${Math.min(...xs).toFixed(2)}, max ${
      Math.max(...xs).toFixed(2)
    })`;
  console.log(
    `${name}: ${n} instructions; ns per instruction: jit off ${fmt(ns.off)}; jit on ${
      fmt(ns.on)
    }; speed-up ${(median(ns.off) / median(ns.on)).toFixed(1)}×`,
  );
}

await report("count_loop 10M", loop, "10000000\n");
await report("fib(27)", fib, "196418\n");

for (const jit of ["off", "on"] as JitMode[]) {
  Deno.bench(
    `count_loop 10M iterations (90M instructions), jit ${jit}`,
    { group: "loop" },
    async () => {
      await runOnce(loop, jit);
    },
  );
  Deno.bench(`fib(27) via CALL/RET, jit ${jit}`, { group: "fib" }, async () => {
    await runOnce(fib, jit);
  });
}
