/**
 * Quick scheduler-throughput benchmark for CI (`deno bench -A bench/compare_bench.ts`): the nine
 * programs of the BEAM comparison (tools/bench_compare.ts) at small sizes, run in process on the
 * single scheduler. Each iteration assembles nothing (programs are assembled once) and checks
 * that the program succeeded and printed its one `bench=<name> n=<N> …` line, so a regression
 * that breaks a program fails the bench instead of timing an error path.
 */
import { assembleFile, runProgram } from "../mod.ts";

const dir = new URL("./programs/", import.meta.url).pathname;

/** Name, program arguments and the n its line must report. */
const SMALL: [name: string, args: string[], n: number][] = [
  ["pingpong", ["5000"], 5000],
  ["ring", ["5000", "100"], 5000],
  ["spawn", ["5000"], 5000],
  ["skynet", ["1000"], 1111],
  ["counting", ["5000"], 5000],
  ["fanin", ["1000", "8"], 8000],
  ["parfib", ["4", "12"], 4],
  ["big", ["20", "50"], 2000],
  ["procmem", ["2000"], 2000],
];

for (const [name, args, n] of SMALL) {
  const program = assembleFile(`${dir}${name}.ttvm`);
  const expected = new RegExp(`^bench=${name} n=${n} ms=\\d+ rate=\\d+\n$`);
  Deno.bench(`${name} ${args.join(" ")}`, { group: "compare" }, async () => {
    const r = await runProgram(program, { args });
    if (r.exitCode !== 0 || r.stderr !== "" || !expected.test(r.stdout)) {
      throw new Error(`${name}: exit ${r.exitCode}, stdout ${r.stdout}, stderr ${r.stderr}`);
    }
  });
}
