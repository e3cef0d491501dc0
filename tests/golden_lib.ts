/**
 * Helpers of the golden-program runner: reading the expectations a `.ttvm` file carries in its
 * `;!` comment lines, building the CLI arguments of each run mode, comparing an outcome with
 * the expectation (with a readable line diff), a small job pool and the opcode-coverage scan.
 *
 * Expectation syntax (lines anywhere in the file; `;` starts a comment for the assembler):
 *
 *   ;! stdout:          the lines that follow as `;! | text` are the expected stdout
 *   ;! | first line     (one space after `|` is dropped; the rest is kept verbatim,
 *   ;! |                 trailing spaces included; every line ends with "\n")
 *   ;! stderr:          the same for stderr
 *   ;! exit: 1          expected exit status (default 0)
 *   ;! args: a b c      program arguments, split on whitespace
 *   ;! stdin: x\ny      standard input; escapes \n \t \r \\ are decoded
 *   ;! modes: source    only these run modes (default: all of RUN_MODES)
 *   ;! module           an imported module, not a program (never run on its own)
 *   ;! smp: sorted      under --smp compare output lines as a multiset (concurrent processes
 *                       whose lines are not causally ordered); `smp: skip` skips SMP modes
 *
 * Invariants: no `stdout:` block means stdout must be empty, likewise stderr; a file without
 * any `;!` line (or marked `module`) is not a golden program. Unknown keys are errors, so a
 * typo never silently weakens a test.
 */

/** The run modes: from source, compiled to .ttb and run, from source with --stress-gc, on the
 *  SMP pool, and with the compiler tier compiling everything on first use (`--jit=eager`),
 *  alone and with --stress-gc. (Every mode but `jit*` runs with the default `--jit=on`.) */
export const RUN_MODES = [
  "source",
  "ttb",
  "stress",
  "smp1",
  "smp2",
  "smp4",
  "jit",
  "jitstress",
] as const;
/** Flags of the modes that are only flags. */
const MODE_FLAGS: Partial<Record<string, string[]>> = {
  stress: ["--stress-gc"],
  jit: ["--jit=eager"],
  jitstress: ["--jit=eager", "--stress-gc"],
};
/** The SMP pool's modes: `--smp=N`. */
const SMP_WORKERS: Partial<Record<string, number>> = { smp1: 1, smp2: 2, smp4: 4 };
/** When their workers start: smp2's run begins on the main thread and moves to the workers
 *  after 1 ms of work (a short program ends there, as most do by default); smp1's and smp4's
 *  processes run on the workers from the start. */
const SMP_WORKERS_AFTER_MS: Partial<Record<string, number>> = { smp1: 0, smp2: 1, smp4: 0 };
export type RunMode = typeof RUN_MODES[number];

export interface GoldenSpec {
  /** Path relative to the repository root, as passed to the CLI. */
  path: string;
  stdout: string;
  stderr: string;
  exitCode: number;
  args: string[];
  stdin: string;
  modes: RunMode[];
  /** How an SMP run would compare stdout: exactly, as a sorted multiset of lines, or not at all. */
  smp: "exact" | "sorted" | "skip";
}

export interface RunOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\" };

function decodeEscapes(text: string): string {
  return text.replace(/\\(.)/g, (whole, c: string) => ESCAPES[c] ?? whole);
}

/**
 * Reads the expectations of one file. Returns null when the file is not a golden program
 * (no `;!` lines, or marked `module`). Throws on malformed expectation lines.
 */
export function parseGoldenSpec(path: string, text: string): GoldenSpec | null {
  const blocks: { stdout: string[] | null; stderr: string[] | null } = {
    stdout: null,
    stderr: null,
  };
  let openBlock: "stdout" | "stderr" | null = null;
  let sawExpectation = false;
  let isModule = false;
  const spec: GoldenSpec = {
    path,
    stdout: "",
    stderr: "",
    exitCode: 0,
    args: [],
    stdin: "",
    modes: [...RUN_MODES],
    smp: "exact",
  };
  text.split("\n").forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, "").trimStart();
    if (!line.startsWith(";!")) return;
    const where = `${path}:${index + 1}`;
    const body = line.slice(2);
    const bar = /^ ?\|/.exec(body);
    if (bar) {
      if (openBlock === null) throw new Error(`${where}: '|' line outside a stdout:/stderr: block`);
      const content = body.slice(bar[0].length);
      blocks[openBlock]!.push(content.startsWith(" ") ? content.slice(1) : content);
      return;
    }
    openBlock = null;
    const match = /^\s*([a-z]+)\s*(?::(.*))?$/.exec(body.trimEnd());
    if (!match) throw new Error(`${where}: cannot read expectation line '${line}'`);
    const key = match[1];
    const value = (match[2] ?? "").trim();
    switch (key) {
      case "stdout":
      case "stderr":
        if (blocks[key] !== null) throw new Error(`${where}: second ${key}: block`);
        blocks[key] = [];
        openBlock = key;
        sawExpectation = true;
        break;
      case "exit":
        if (!/^\d+$/.test(value)) throw new Error(`${where}: exit: needs a number`);
        spec.exitCode = Number(value);
        sawExpectation = true;
        break;
      case "args":
        spec.args = value === "" ? [] : value.split(/\s+/);
        break;
      case "stdin":
        spec.stdin = decodeEscapes((match[2] ?? "").replace(/^ /, ""));
        break;
      case "modes":
        spec.modes = value.split(/\s+/).map((mode) => {
          if (!(RUN_MODES as readonly string[]).includes(mode)) {
            throw new Error(`${where}: unknown mode '${mode}' (known: ${RUN_MODES.join(" ")})`);
          }
          return mode as RunMode;
        });
        break;
      case "smp":
        if (value !== "exact" && value !== "sorted" && value !== "skip") {
          throw new Error(`${where}: smp: must be exact, sorted or skip`);
        }
        spec.smp = value;
        break;
      case "module":
        isModule = true;
        break;
      default:
        throw new Error(`${where}: unknown expectation key '${key}'`);
    }
  });
  if (isModule || !sawExpectation) return null;
  const joinLines = (lines: string[] | null) => (lines ?? []).map((l) => l + "\n").join("");
  spec.stdout = joinLines(blocks.stdout);
  spec.stderr = joinLines(blocks.stderr);
  if (spec.smp === "skip") spec.modes = spec.modes.filter((m) => SMP_WORKERS[m] === undefined);
  return spec;
}

/** The repository root: golden paths are relative to it and the CLI runs from it. */
export const REPO_ROOT = new URL("../", import.meta.url).pathname;

/** `.ttvm` files under `dir` (relative to the repo root), sorted; `recursive` descends. */
function ttvmFilesUnder(dir: string, recursive: boolean): string[] {
  const found: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(REPO_ROOT + dir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return found;
    throw error;
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && recursive) found.push(...ttvmFilesUnder(path, true));
    else if (entry.isFile && entry.name.endsWith(".ttvm")) found.push(path);
  }
  return found.sort();
}

/** Every `.ttvm` file that may carry expectations: tests/golden/ and examples/, recursively. */
export function goldenSourcePaths(): string[] {
  return [...ttvmFilesUnder("tests/golden", true), ...ttvmFilesUnder("examples", true)];
}

/** No golden program runs this long, even in stress mode on a loaded machine. */
export const RUN_TIMEOUT_MS = 120_000;

/** Runs the CLI (`deno run -A main.ts …args`) from the repository root with `stdin` piped in;
 *  the environment pins what would change the outcome (no stress GC, no colour). */
export async function runTtvm(args: string[], stdin: string): Promise<RunOutcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: REPO_ROOT,
    env: { TTVM_STRESS_GC: "0", NO_COLOR: "1" },
    // A hung run is killed and fails its comparison (exit status 143) instead of hanging the
    // whole suite.
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  } catch {
    // The program may exit without reading its stdin; that is not a failure of the run.
  }
  const done = await child.output();
  const decoder = new TextDecoder();
  return {
    stdout: decoder.decode(done.stdout),
    stderr: decoder.decode(done.stderr),
    exitCode: done.code,
  };
}

/** CLI arguments (after `run -A main.ts`) that run `programPath` in a mode. */
export function cliArgsFor(mode: RunMode, programPath: string, programArgs: string[]): string[] {
  const workers = SMP_WORKERS[mode];
  const flags = MODE_FLAGS[mode] ??
    (workers ? [`--smp=${workers}`, `--workers-after-ms=${SMP_WORKERS_AFTER_MS[mode]}`] : []);
  return [...flags, programPath, ...programArgs];
}

/** A readable account of how `actual` differs from `spec`, or null when it matches exactly. */
export function describeMismatch(
  spec: GoldenSpec,
  actual: RunOutcome,
  mode: RunMode = "source",
): string | null {
  const parts: string[] = [];
  // Under --smp, `smp: sorted` programs (concurrent processes whose lines are not causally
  // ordered) compare their lines as a multiset.
  const sorted = spec.smp === "sorted" && SMP_WORKERS[mode] !== undefined;
  const same = (a: string, b: string) =>
    sorted ? a.split("\n").sort().join("\n") === b.split("\n").sort().join("\n") : a === b;
  if (!same(actual.stdout, spec.stdout)) {
    parts.push(lineDiff("stdout", spec.stdout, actual.stdout));
  }
  if (!same(actual.stderr, spec.stderr)) {
    parts.push(lineDiff("stderr", spec.stderr, actual.stderr));
  }
  if (actual.exitCode !== spec.exitCode) {
    parts.push(`exit status: expected ${spec.exitCode}, got ${actual.exitCode}`);
  }
  return parts.length === 0 ? null : parts.join("\n");
}

const MAX_DIFF_LINES = 60;
const MAX_LCS_CELLS = 4_000_000;

/**
 * A line diff (longest common subsequence) marked `-` expected / `+` actual. Lines are shown
 * with JSON quoting when they differ only in invisible characters, so trailing spaces show.
 */
export function lineDiff(stream: string, expected: string, actual: string): string {
  const exp = splitKeepingEnd(expected), act = splitKeepingEnd(actual);
  // The LCS table is quadratic; for huge outputs compare line by line instead.
  if (exp.length * act.length > MAX_LCS_CELLS) return positionalDiff(stream, exp, act);
  const lcs: number[][] = Array.from(
    { length: exp.length + 1 },
    () => new Array(act.length + 1).fill(0),
  );
  for (let i = exp.length - 1; i >= 0; i--) {
    for (let j = act.length - 1; j >= 0; j--) {
      lcs[i][j] = exp[i] === act[j]
        ? lcs[i + 1][j + 1] + 1
        : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [`${stream} differs (- expected, + actual):`];
  const show = (mark: string, line: string) => {
    const visible = /\s$|^\s*$/.test(line) || hasControlCharacter(line)
      ? JSON.stringify(line)
      : line;
    out.push(`${mark} ${visible}`);
  };
  let i = 0, j = 0;
  while ((i < exp.length || j < act.length) && out.length <= MAX_DIFF_LINES) {
    if (i < exp.length && j < act.length && exp[i] === act[j]) {
      show(" ", exp[i++]);
      j++;
    } else if (j < act.length && (i >= exp.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      show("+", act[j++]);
    } else {
      show("-", exp[i++]);
    }
  }
  if (out.length > MAX_DIFF_LINES) out.push("  … (diff truncated)");
  if (!expected.endsWith("\n") && expected !== "") out.push("(expected text has no final newline)");
  if (!actual.endsWith("\n") && actual !== "") out.push("(actual text has no final newline)");
  return out.join("\n");
}

function positionalDiff(stream: string, exp: string[], act: string[]): string {
  const out = [`${stream} differs (- expected, + actual; compared line by line):`];
  for (let i = 0; i < Math.max(exp.length, act.length) && out.length <= MAX_DIFF_LINES; i++) {
    if (exp[i] === act[i]) continue;
    if (i < exp.length) out.push(`- ${i + 1}: ${exp[i]}`);
    if (i < act.length) out.push(`+ ${i + 1}: ${act[i]}`);
  }
  out.push(`(${exp.length} lines expected, ${act.length} lines actual)`);
  return out.join("\n");
}

function hasControlCharacter(line: string): boolean {
  for (const c of line) if (c.charCodeAt(0) < 0x20 && c !== "\t") return true;
  return false;
}

function splitKeepingEnd(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * Runs `job` over `items` with at most `limit` in flight; returns one promise per item, in
 * item order, each settling as soon as its own job does (so results can be consumed early).
 */
export function runPooled<T, R>(
  items: readonly T[],
  limit: number,
  job: (item: T) => Promise<R>,
): Promise<R>[] {
  const resolvers: Array<{ resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  const promises = items.map((_, k) =>
    new Promise<R>((resolve, reject) => {
      resolvers[k] = { resolve, reject };
    })
  );
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      try {
        resolvers[k].resolve(await job(items[k]));
      } catch (error) {
        resolvers[k].reject(error);
      }
    }
  };
  for (let w = 0; w < Math.min(limit, items.length); w++) worker();
  return promises;
}

/** Mnemonics used as instructions in `.ttvm` source text (comments and labels ignored). */
export function mnemonicsIn(sourceText: string): Set<string> {
  const used = new Set<string>();
  for (const rawLine of sourceText.split("\n")) {
    const code = stripComment(rawLine).trim();
    if (code === "") continue;
    const first = code.split(/\s+/)[0].toUpperCase();
    if (first !== "LABEL" && !first.startsWith(".")) used.add(first);
  }
  return used;
}

/** The line without its `;` comment; a `;` inside a "…" string literal is not a comment. */
function stripComment(line: string): string {
  let inString = false;
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if (inString && c === "\\") k++;
    else if (c === '"') inString = !inString;
    else if (c === ";" && !inString) return line.slice(0, k);
  }
  return line;
}
