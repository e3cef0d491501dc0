/**
 * The `ttvm` command line, as a user runs it: output on stdout, diagnostics on stderr, exit
 * statuses that mean something, compile/disasm round trips, --trace/--stats/--verbose.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

async function ttvm(args: string[], stdin?: string) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function tmpFile(name: string, text: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "ttvm_cli_" });
  const path = `${dir}/${name}`;
  Deno.writeTextFileSync(path, text);
  return path;
}

Deno.test("--help and --version print on stdout and exit 0", async () => {
  const help = await ttvm(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage:\n {2}ttvm \[options\] <program.ttvm\|program.ttb>/);
  const version = await ttvm(["--version"]);
  assert.match(version.stdout, /^ttvm \d+\.\d+\.\d+\n$/);
});

Deno.test("usage errors exit 2 with a message on stderr", async () => {
  const r = await ttvm(["--bogus", "x.ttvm"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^Error: unknown option '--bogus'/);
  assert.equal((await ttvm(["--smp=0", "x.ttvm"])).code, 2);
  for (const args of [[], ["--verbose"]]) {
    const none = await ttvm(args);
    assert.equal(none.code, 2);
    assert.equal(none.stderr, "Error: no program given\nRun 'ttvm --help' for usage.\n");
  }
});

Deno.test("option values: --smp 2 is --smp=2, --reductions=N works, bad values say why", async () => {
  const path = tmpFile("v.ttvm", 'PUSH_STR "ran"\nPRINT\n');
  const spaced = await ttvm(["--verbose", "--smp", "2", path]);
  assert.equal(spaced.code, 0, spaced.stderr);
  assert.equal(spaced.stdout, "ran\n");
  assert.match(spaced.stderr, /ttvm: SMP pool of 2 worker\(s\)/);
  const reductions = await ttvm(["--reductions=5", path]);
  assert.equal(reductions.code, 0, reductions.stderr);
  assert.equal(reductions.stdout, "ran\n");
  const alone = await ttvm(["--workers-after-ms=5", path]);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /^Error: --workers-after-ms works with --smp only\n/);
  const bad = await ttvm(["--smp=abc", path]);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    "Error: invalid value 'abc' for --smp: expected an integer from 1 to 256\n" +
      "Run 'ttvm --help' for usage.\n",
  );
});

Deno.test("a missing program file is one Error line, exit 1, for .ttvm and .ttb alike", async () => {
  for (const path of ["no/such/file.ttvm", "no/such/file.ttb", "missing.ttvm"]) {
    const r = await ttvm([path]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `Error: File operation failed on ${path}: No such file or directory (os error 2)\n`,
    );
  }
  const compiled = await ttvm(["compile", "no/such/file.ttvm"]);
  assert.equal(compiled.code, 1);
  assert.match(compiled.stderr, /^Error: File operation failed on no\/such\/file\.ttvm: /);
});

Deno.test("an unknown command is a usage error with a suggestion, not a missing file", async () => {
  const typo = await ttvm(["compil", "x.ttvm"]);
  assert.equal(typo.code, 2);
  assert.equal(typo.stdout, "");
  assert.equal(
    typo.stderr,
    "Error: unknown command 'compil' — did you mean 'compile'?\nRun 'ttvm --help' for usage.\n",
  );
  const far = await ttvm(["frobnicate"]);
  assert.equal(far.code, 2);
  assert.equal(far.stderr, "Error: unknown command 'frobnicate'\nRun 'ttvm --help' for usage.\n");
  // An existing file without an extension is still a program.
  const dir = Deno.makeTempDirSync({ prefix: "ttvm_cli_" });
  Deno.writeTextFileSync(`${dir}/prog`, 'PUSH_STR "extensionless"\nPRINT\n');
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "prog"],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  assert.equal(new TextDecoder().decode(out.stdout), "extensionless\n");
  assert.equal(out.code, 0);
});

Deno.test("assembly errors: every diagnostic with caret and hint, exit 1, nothing run", async () => {
  const path = tmpFile("bad.ttvm", 'PUSH_STR "runs?"\nPRINT\nPUSH_IN 5\nJMP nowhere\n');
  const r = await ttvm([path]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /bad\.ttvm:3:1: unknown instruction 'PUSH_IN'\n {2}PUSH_IN 5\n {2}\^~~~~~~\n/,
  );
  assert.match(r.stderr, /did you mean 'PUSH_INT'\?/);
  assert.match(r.stderr, /bad\.ttvm:4:5: unknown label 'nowhere'/);
});

Deno.test("binary garbage is refused in one line; many errors stop at 20 and a count", async () => {
  // 100 KB of deterministic pseudo-random bytes (xorshift32).
  const garbage = new Uint8Array(100_000);
  let x = 2463534242;
  for (let i = 0; i < garbage.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    garbage[i] = x & 0xff;
  }
  const path = tmpFile("garbage.ttvm", "");
  Deno.writeFileSync(path, garbage);
  const r = await ttvm([path]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /^Error: .*garbage\.ttvm: not a text file \(invalid UTF-8 at byte \d+\)\n$/,
  );
  // Text that is all wrong: 20 located diagnostics (4 lines each with the hint) and a count.
  const bad = tmpFile("bad_lines.ttvm", "PUSH_IN 1\n".repeat(30));
  const many = await ttvm([bad]);
  assert.equal(many.code, 1);
  const lines = many.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 20 * 4 + 1);
  assert.equal(lines.at(-1), "… and 10 more");
  // The same through compile.
  const compiled = await ttvm(["compile", path]);
  assert.equal(compiled.code, 1);
  assert.equal(compiled.stderr.split("\n").length, 2);
});

Deno.test("compile → run .ttb → disasm → compile again gives the identical file", async () => {
  const src = tmpFile(
    "prog.ttvm",
    'PUSH_STR "sum"\nPRINT\nPUSH_INT 40\nPUSH_INT 2\nCALL add a b\nPRINT\nHALT\nLABEL add\nLOAD a\nLOAD b\nADD\nRET\n',
  );
  const compiled = await ttvm(["compile", src]);
  assert.equal(compiled.code, 0, compiled.stderr);
  const ttb = src.replace(/\.ttvm$/, ".ttb");
  assert.equal(compiled.stdout, `Compiled to ${ttb}\n`);
  const run = await ttvm([ttb]);
  assert.equal(run.stdout, "sum\n42\n");
  const dis = await ttvm(["disasm", ttb]);
  assert.equal(dis.code, 0);
  const again = tmpFile("other_name.ttvm", dis.stdout);
  assert.equal((await ttvm(["compile", again, `${again}.ttb`])).code, 0);
  assert.deepEqual(Deno.readFileSync(`${again}.ttb`), Deno.readFileSync(ttb));
});

Deno.test("check reports stack warnings and exits 1; compile warns but compiles; run never checks", async () => {
  const clean = tmpFile("clean.ttvm", "PUSH_INT 1\nPRINT\n");
  const ok = await ttvm(["check", clean]);
  assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, "", ""]);
  const path = tmpFile("under.ttvm", 'PUSH_STR "only one"\nPRINT\nPRINT\n');
  const warning = `${path}:3:1: warning: stack underflow: PRINT needs 1 value but the stack ` +
    "holds at most 0 here\n  PRINT\n  ^~~~~\n";
  const checked = await ttvm(["check", path]);
  assert.equal(checked.code, 1);
  assert.equal(checked.stdout, "");
  assert.equal(checked.stderr, warning);
  const ttb = path.replace(/\.ttvm$/, ".ttb");
  const compiled = await ttvm(["compile", path]);
  assert.equal(compiled.code, 0);
  assert.equal(compiled.stdout, `Compiled to ${ttb}\n`);
  assert.equal(compiled.stderr, warning);
  // Running the program: its own runtime error, no checker output.
  const run = await ttvm([ttb]);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "only one\n");
  assert.equal(run.stderr, `Error: Stack underflow during PRINT\n    at ${path}:3\n`);
  // A .ttb has lines but no source text: file:line only.
  const fromTtb = await ttvm(["check", ttb]);
  assert.equal(fromTtb.code, 1);
  assert.equal(
    fromTtb.stderr,
    `${path}:3: warning: stack underflow: PRINT needs 1 value but the stack holds at most 0 here\n`,
  );
});

Deno.test("a corrupt .ttb is rejected with one line and exit 1", async () => {
  const src = tmpFile("p.ttvm", "PUSH_INT 1\nPRINT\n");
  await ttvm(["compile", src]);
  const ttb = src.replace(/\.ttvm$/, ".ttb");
  const bytes = Deno.readFileSync(ttb);
  bytes[bytes.length - 6] ^= 0x40;
  Deno.writeFileSync(ttb, bytes);
  const r = await ttvm([ttb]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.split("\n").length, 2, r.stderr);
  assert.match(r.stderr, /^Error: .*p\.ttb: bad \.ttb file: /);
});

Deno.test("runtime errors: Error line + location on stderr, exit 1, earlier output kept", async () => {
  const path = tmpFile("div.ttvm", 'PUSH_STR "before"\nPRINT\nPUSH_INT 1\nPUSH_INT 0\nDIV\n');
  const r = await ttvm([path]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "before\n");
  assert.equal(r.stderr, `Error: Division by zero\n    at ${path}:5\n`);
});

Deno.test("EXIT sets the status; program args reach GET_ARGS; stdin reaches READ_LINE", async () => {
  const path = tmpFile(
    "args.ttvm",
    "GET_ARGS\nPRINT\nREAD_LINE\nPRINT\nREAD_LINE\nPRINT\nPUSH_INT 3\nEXIT\n",
  );
  const r = await ttvm([path, "one", "two words"], "first line\r\nsecond");
  assert.equal(r.code, 3);
  assert.equal(r.stdout, "[one, two words]\nfirst line\nsecond\n");
});

Deno.test("--trace prints pc, source line and stack depth per instruction on stderr", async () => {
  const path = tmpFile("t.ttvm", "PUSH_INT 2\nPUSH_INT 3\nADD\nPRINT\n");
  const r = await ttvm(["--trace", path]);
  assert.equal(r.stdout, "5\n");
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines[0], `[trace] pid 1 pc 0 ${path}:1 depth 0: PUSH_INT 2`);
  assert.equal(lines[2], `[trace] pid 1 pc 2 ${path}:3 depth 2: ADD`);
  assert.equal(lines.length, 5);
});

Deno.test("--stats and --verbose report on stderr only", async () => {
  const path = tmpFile("s.ttvm", 'PUSH_STR "w"\nSPAWN\nPOP\nHALT\nLABEL w\nHALT\n');
  const r = await ttvm(["--stats", "--verbose", path]);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /ttvm: single scheduler/);
  assert.match(r.stderr, /ttvm: process 2 exited: normal/);
  assert.match(r.stderr, /processes spawned:\s+2/);
  assert.match(r.stderr, /reductions:\s+\d+/);
  // A run this short ends on the main thread: no worker is started.
  const smp = await ttvm(["--stats", "--verbose", "--smp=2", path]);
  assert.match(smp.stderr, /ttvm: SMP pool of 2 worker\(s\)/);
  assert.match(
    smp.stderr,
    /main thread: 2 slices \([\d.]+ ms of them with others waiting\); the workers were not started/,
  );
  assert.doesNotMatch(smp.stderr, /worker 1: slices|ttvm: starting/);
  const pool = await ttvm(["--stats", "--verbose", "--smp=2", "--workers-after-ms=0", path]);
  assert.match(pool.stderr, /ttvm: starting 2 worker\(s\) at \d+ ms/);
  assert.match(pool.stderr, /worker 1: slices \d+, steals \d+\/\d+, parks \d+/);
  assert.match(pool.stderr, /main thread: no slices \(the workers started at once\)/);
});

Deno.test("--exact-preemption: compiled slices end where --jit=off ends them; single scheduler only", async () => {
  // Two processes in loops of 11 and 12 instructions: 1,000 reductions do not end on a block.
  const path = "bench/programs/counting.ttvm";
  const slices = async (args: string[]) => {
    const r = await ttvm(["--stats", ...args, path, "20000"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^bench=counting n=20000 ms=\d+ /);
    return Number(/time slices:\s+(\d+)/.exec(r.stderr)![1]);
  };
  const off = await slices(["--jit=off"]);
  assert.equal(await slices(["--jit=eager", "--exact-preemption"]), off);
  // By default a slice ends at the block its budget does not cover: more slices.
  assert.ok(await slices(["--jit=eager"]) > off);
  const smp = await ttvm(["--smp=2", "--exact-preemption", path]);
  assert.equal(smp.code, 2);
  assert.match(smp.stderr, /^Error: --exact-preemption works on the single scheduler only\n/);
});

Deno.test("a reader that goes away ends the run quietly with 141 (like SIGPIPE)", async () => {
  const path = tmpFile("yes.ttvm", 'LABEL loop\nPUSH_STR "yes"\nPRINT\nJMP loop\n');
  for (const mode of [[], ["--smp=2"]]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", ...mode, path],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const first = await reader.read(); // `| head -1`: one chunk, then the pipe closes
    assert.ok(!first.done);
    await reader.cancel();
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
    assert.equal(status.code, 141, stderr);
    assert.equal(stderr, "", `${mode}: no stack trace`);
  }
});
