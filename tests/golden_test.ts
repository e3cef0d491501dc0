/**
 * The golden-program runner. Discovers the `.ttvm` files under tests/golden/ and examples/, reads
 * the expectations each carries (syntax: tests/golden_lib.ts) and runs every program through
 * the real CLI as a subprocess (cwd = repository root, relative paths) in eight modes:
 * from source, compiled to a temporary .ttb and run (must match source mode exactly), from
 * source with --stress-gc, on the SMP pool with 1, 2 and 4 workers, and with the compiler tier
 * compiling everything on first use, alone and with --stress-gc (golden_lib.ts, RUN_MODES).
 * One test step per program per mode, named by both.
 *
 * Invariants: programs run in a bounded pool (the machine has 2 cores), each program's modes one
 * after another (programs that use fixed temporary paths never race with themselves); every
 * step awaits only its own program; stdout, stderr and exit status are compared exactly.
 * Temporary .ttb files live in one temp directory removed at the end.
 */
import assert from "node:assert/strict";
import { F, OPCODES } from "../src/isa/opcodes.ts";
import {
  cliArgsFor,
  describeMismatch,
  goldenSourcePaths,
  type GoldenSpec,
  lineDiff,
  mnemonicsIn,
  parseGoldenSpec,
  REPO_ROOT,
  RUN_MODES,
  type RunMode,
  type RunOutcome,
  runPooled,
  runTtvm,
} from "./golden_lib.ts";

const PARALLEL_RUNS = 4;

const sourcePaths = goldenSourcePaths();
const sourceTexts = new Map(sourcePaths.map((p) => [p, Deno.readTextFileSync(REPO_ROOT + p)]));
const goldens: GoldenSpec[] = sourcePaths
  .map((p) => parseGoldenSpec(p, sourceTexts.get(p)!))
  .filter((spec): spec is GoldenSpec => spec !== null);

let ttbDir: string | null = null;

async function runGolden(spec: GoldenSpec, mode: RunMode): Promise<RunOutcome> {
  let program = spec.path;
  if (mode === "ttb") {
    ttbDir ??= Deno.makeTempDirSync({ prefix: "ttvm_golden_ttb_" });
    program = `${ttbDir}/${spec.path.replaceAll("/", "__")}.ttb`;
    const compiled = await runTtvm(["compile", spec.path, program], "");
    // An assembler diagnostic is the program's result in this mode too.
    if (compiled.exitCode !== 0) return compiled;
  }
  return await runTtvm(cliArgsFor(mode, program, spec.args), spec.stdin);
}

Deno.test("golden programs: expectations are found in tests/golden and examples", () => {
  assert.ok(goldens.length >= 40, `only ${goldens.length} golden programs found`);
  assert.ok(goldens.some((g) => g.path === "examples/hello.ttvm"));
});

Deno.test({
  name: "golden programs: every program gives its expected stdout, stderr and exit status",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // One pool job per program, its modes run one after the other: programs that use fixed
    // temporary paths must not race with themselves; different programs run in parallel.
    const perProgram = runPooled(goldens, PARALLEL_RUNS, async (spec) => {
      const results = new Map<RunMode, RunOutcome>();
      for (const mode of RUN_MODES.filter((m) => spec.modes.includes(m))) {
        results.set(mode, await runGolden(spec, mode));
      }
      return results;
    });
    try {
      for (const [k, spec] of goldens.entries()) {
        for (const mode of RUN_MODES.filter((m) => spec.modes.includes(m))) {
          await t.step(`${spec.path} [${mode}]`, async () => {
            const results = await perProgram[k];
            const actual = results.get(mode)!;
            const mismatch = describeMismatch(spec, actual, mode);
            if (mismatch !== null) assert.fail(`${spec.path} [${mode}]\n${mismatch}`);
            const fromSource = results.get("source");
            if (mode === "ttb" && fromSource) assertSameOutcome(fromSource, actual);
          });
        }
      }
    } finally {
      await Promise.allSettled(perProgram);
      if (ttbDir !== null) Deno.removeSync(ttbDir, { recursive: true });
    }
  },
});

/** A compiled program must behave exactly like its source. */
function assertSameOutcome(fromSource: RunOutcome, fromTtb: RunOutcome): void {
  assert.equal(
    fromTtb.stdout,
    fromSource.stdout,
    lineDiff("stdout", fromSource.stdout, fromTtb.stdout),
  );
  assert.equal(
    fromTtb.stderr,
    fromSource.stderr,
    lineDiff("stderr", fromSource.stderr, fromTtb.stderr),
  );
  assert.equal(fromTtb.exitCode, fromSource.exitCode, "exit status differs from source mode");
}

Deno.test("golden programs: together they use every core opcode (not concurrency, not internal)", () => {
  const used = new Set<string>();
  for (const text of sourceTexts.values()) for (const m of mnemonicsIn(text)) used.add(m);
  const missing = OPCODES
    .filter((op) => (op.flags & (F.CONCURRENCY | F.INTERNAL)) === 0)
    .filter((op) => !used.has(op.name) && !(op.aliases ?? []).some((a) => used.has(a)))
    .map((op) => op.name);
  assert.deepEqual(missing, [], `opcodes no golden program uses: ${missing.join(" ")}`);
});

Deno.test("golden expectations: blocks, keys, escapes and module marks are read as documented", () => {
  const spec = parseGoldenSpec(
    "x.ttvm",
    [
      'PUSH_STR "a" ; comment',
      ";! stdout:",
      ";! | one",
      ";! | two  ",
      ";! |",
      ";! stderr:",
      ";! | Error: boom",
      ";! exit: 3",
      ";! args: p  q",
      ";! stdin: l1\\nl2\\t",
      ";! modes: source ttb",
    ].join("\n"),
  );
  assert.deepEqual(spec, {
    path: "x.ttvm",
    stdout: "one\ntwo  \n\n",
    stderr: "Error: boom\n",
    exitCode: 3,
    args: ["p", "q"],
    stdin: "l1\nl2\t",
    modes: ["source", "ttb"],
    smp: "exact",
  });
  assert.equal(parseGoldenSpec("m.ttvm", ";! module\n;! stdout:\n;! | x"), null);
  assert.equal(parseGoldenSpec("p.ttvm", "PUSH_INT 1\nPRINT"), null);
  assert.throws(() => parseGoldenSpec("bad.ttvm", ";! stdot:"), /unknown expectation key/);
  assert.throws(() => parseGoldenSpec("bad.ttvm", ";! | x"), /outside/);
  assert.throws(() => parseGoldenSpec("bad.ttvm", ";! exit: 1\n;! modes: smp"), /unknown mode/);
});

Deno.test("golden expectations: an outcome that differs is described line by line", () => {
  const spec = parseGoldenSpec("x.ttvm", ";! stdout:\n;! | a\n;! | b\n;! | c")!;
  assert.equal(describeMismatch(spec, { stdout: "a\nb\nc\n", stderr: "", exitCode: 0 }), null);
  const text = describeMismatch(spec, { stdout: "a\nB\nc\n", stderr: "oops\n", exitCode: 2 })!;
  assert.match(text, /stdout differs/);
  assert.match(text, /^- b$/m);
  assert.match(text, /^\+ B$/m);
  assert.match(text, /^ {2}c$/m);
  assert.match(text, /stderr differs[\s\S]*\+ oops/);
  assert.match(text, /exit status: expected 0, got 2/);
});

Deno.test("golden coverage scan: mnemonics are read from code, not comments or strings", () => {
  const used = mnemonicsIn(
    'LABEL top\n  push_int 1 ; ADD\nPUSH_STR "a;MUL"\n; SUB\n.line 4\nPRINT',
  );
  assert.deepEqual([...used].sort(), ["PRINT", "PUSH_INT", "PUSH_STR"]);
});

Deno.test("golden diff: huge outputs fall back to a line-by-line comparison", () => {
  const expected = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join("\n") + "\n";
  const actual = expected.replace("line 1500\n", "LINE 1500\n");
  const text = lineDiff("stdout", expected, actual);
  assert.match(text, /compared line by line/);
  assert.match(text, /^- 1501: line 1500$/m);
  assert.match(text, /^\+ 1501: LINE 1500$/m);
});
