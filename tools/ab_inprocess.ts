/**
 * Compare two checkouts of ttvm on one benchmark program inside one Deno process.
 *
 * This machine's speed drifts by up to 3× between hours, and each OS process lands in a fast
 * or a slow phase of its own (docs/PERFORMANCE.md, finding 9), so two versions timed in
 * separate processes, even in turn, disagree by more than the change being measured. Here
 * both versions' `mod.ts` are imported side by side, and the program runs alternately on each
 * (the order swapped every round), on the single scheduler, so both see the same phase.
 *
 * Usage:
 *   deno run -A tools/ab_inprocess.ts OLD_CHECKOUT NEW_CHECKOUT BENCH [ARG...] [--rounds N]
 *   e.g. git worktree add /tmp/old HEAD~3 &&
 *        deno run -A tools/ab_inprocess.ts /tmp/old . counting 1000000 --rounds 8
 *
 * BENCH is a program of bench/programs/ (taken from NEW_CHECKOUT) that prints `ms=<wall>`.
 * Prints each side's times, the median ratio new/old (below 1: the new one is faster), and
 * the median of the rounds' own ratios with the number of rounds the new one won. Run it
 * twice, once with the checkouts swapped: a checkout imported for its first few times runs
 * slower than one used often (docs/PERFORMANCE.md, findings), so one order alone is good to
 * about ±10 %.
 * The first rounds include V8's warm-up of each version; the median is over all rounds.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";

interface RunApi {
  assembleSource(source: string, name: string): unknown;
  runProgram(
    program: unknown,
    options: { args: string[] },
  ): Promise<{ stdout: string; stderr: string }>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { rounds: { type: "string", default: "8" } },
    allowPositionals: true,
  });
  const rounds = Number(values.rounds);
  if (positionals.length < 3 || !Number.isInteger(rounds) || rounds < 1) {
    console.error(
      "usage: deno run -A tools/ab_inprocess.ts OLD_CHECKOUT NEW_CHECKOUT BENCH [ARG...] [--rounds N]",
    );
    return 2;
  }
  const [oldDir, newDir, bench, ...args] = positionals;
  const dirs = [resolve(oldDir), resolve(newDir)];
  const apis = await Promise.all(
    dirs.map((d) => import(`file://${d}/mod.ts`) as Promise<RunApi>),
  );
  const path = `${dirs[1]}/bench/programs/${bench}.ttvm`;
  const source = await Deno.readTextFile(path);
  const programs = apis.map((api) => api.assembleSource(source, `${bench}.ttvm`));
  const times: number[][] = [[], []];
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const out = await apis[side].runProgram(programs[side], { args });
      const ms = /ms=(\d+)/.exec(out.stdout);
      if (!ms) {
        console.error(`${dirs[side]}: no ms= in the output of ${path}\n${out.stdout}${out.stderr}`);
        return 1;
      }
      times[side].push(Number(ms[1]));
    }
    console.error(
      `round ${round + 1}/${rounds}: old ${times[0].at(-1)} ms, new ${times[1].at(-1)} ms`,
    );
  }
  const ratio = median(times[1]) / median(times[0]);
  // Each round's two runs are seconds apart, so their ratio shares the host's phase (the
  // medians of the two sides need not come from the same rounds).
  const paired = times[1].map((ms, round) => ms / times[0][round]);
  const faster = paired.filter((r) => r < 1).length;
  console.log(
    `${bench} ${args.join(" ")}: old ${times[0].join(" ")} | new ${times[1].join(" ")} | ` +
      `median new/old ${ratio.toFixed(3)} | median paired ratio ${median(paired).toFixed(3)}, ` +
      `new faster in ${faster} of ${rounds} rounds`,
  );
  return 0;
}

Deno.exit(await main());
