/**
 * Nothing that waits stops a scheduler (LANGUAGE.md §7): a process blocked on standard input,
 * a child process or a file keeps only itself waiting, and a long-running program's output
 * appears while it runs (§5). Each test makes the waiting end only *after* the other process
 * has visibly run (the test or the other process itself releases it), so a scheduler blocked
 * by the wait would hang the program — caught by the test's bound — instead of merely being
 * slow: no timing assumption.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const BOUND_MS = 20_000;

/** A running `ttvm` with piped stdio and a line reader over its stdout. */
class Child {
  readonly proc: Deno.ChildProcess;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly dec = new TextDecoder();
  out = "";

  constructor(args: string[]) {
    this.proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", ...args],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.reader = this.proc.stdout.getReader();
  }

  /** Read stdout until it contains `text` (fails after BOUND_MS). */
  async waitFor(text: string): Promise<void> {
    const deadline = Date.now() + BOUND_MS;
    while (!this.out.includes(text)) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `no ${JSON.stringify(text)} within ${BOUND_MS} ms; got ${this.out}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        this.reader.read(),
        new Promise<null>((res) => timer = setTimeout(() => res(null), left)),
      ]);
      clearTimeout(timer);
      if (r === null) continue;
      if (r.done) assert.fail(`stdout ended before ${JSON.stringify(text)}: ${this.out}`);
      this.out += this.dec.decode(r.value, { stream: true });
    }
  }

  async write(text: string): Promise<void> {
    const w = this.proc.stdin.getWriter();
    await w.write(new TextEncoder().encode(text));
    w.releaseLock();
  }

  /** Close stdin, read the rest, return the exit status and stderr. */
  async finish(): Promise<{ code: number; stderr: string }> {
    await this.proc.stdin.close();
    for (;;) {
      const r = await this.reader.read();
      if (r.done) break;
      this.out += this.dec.decode(r.value, { stream: true });
    }
    const status = await this.proc.status;
    const stderr = new TextDecoder().decode(
      new Uint8Array(await new Response(this.proc.stderr).arrayBuffer()),
    );
    return { code: status.code, stderr };
  }

  /** Make sure the child is gone and its pipes are released (after finish, or on failure). */
  async kill(): Promise<void> {
    try {
      this.proc.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.proc.status;
    await this.reader.cancel().catch(() => {});
    await this.proc.stderr.cancel().catch(() => {});
    await this.proc.stdin.close().catch(() => {});
  }
}

async function program(lines: string[]): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "ttvm_wait_", suffix: ".ttvm" });
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

/** A process that prints `tick N` three times, 10 ms apart, then `ticked`. */
const TICKER = [
  "LABEL ticker",
  "PUSH_INT 1",
  "STORE n",
  "LABEL tick_loop",
  'PUSH_STR "tick "',
  "LOAD n",
  "TO_STR",
  "CONCAT",
  "PRINT",
  "PUSH_INT 10",
  "SLEEP",
  "LOAD n",
  "PUSH_INT 1",
  "ADD",
  "DUP",
  "STORE n",
  "PUSH_INT 4",
  "LT",
  "JZ tick_done",
  "JMP tick_loop",
  "LABEL tick_done",
  'PUSH_STR "ticked"',
  "PRINT",
  "HALT",
];

for (const mode of [[], ["--smp=2"]]) {
  const name = mode.length ? mode[0] : "single";

  Deno.test(`${name}: a process waiting for a stdin line lets the others run`, async () => {
    const path = await program([
      'PUSH_STR "ticker"',
      "SPAWN",
      "POP",
      "READ_LINE",
      'PUSH_STR "read: "',
      "SWAP",
      "CONCAT",
      "PRINT",
      "HALT",
      ...TICKER,
    ]);
    const child = new Child([...mode, path]);
    try {
      await child.waitFor("ticked\n"); // stdin is still open and empty
      await child.write("hello\n");
      const { code, stderr } = await child.finish();
      assert.equal(code, 0, stderr);
      assert.equal(child.out, "tick 1\ntick 2\ntick 3\nticked\nread: hello\n");
    } finally {
      await child.kill();
      await Deno.remove(path);
    }
  });

  Deno.test(`${name}: EXEC waits for its child process without stopping the others`, async () => {
    const marker = await Deno.makeTempFile({ prefix: "ttvm_exec_marker_" });
    await Deno.remove(marker);
    // The child command ends only once the ticker, a VM process, has written the marker.
    const path = await program([
      'PUSH_STR "ticker_then_mark"',
      "SPAWN",
      "POP",
      'PUSH_STR "sh"',
      'PUSH_STR "-c"',
      `PUSH_STR "while [ ! -f ${marker} ]; do sleep 0.01; done"`,
      "MAKE_LIST 2",
      "EXEC",
      'PUSH_STR "exec ended with "',
      "SWAP",
      "TO_STR",
      "CONCAT",
      "PRINT",
      "HALT",
      // "marked" is out (an I/O request flushes stdout first) before the file exists, so
      // it comes before anything main prints after the child process ends.
      "LABEL ticker_then_mark",
      'PUSH_STR "marked"',
      "PRINT",
      'PUSH_STR "marker"',
      `PUSH_STR "${marker}"`,
      "WRITE_FILE",
      "HALT",
    ]);
    const child = new Child([...mode, path]);
    try {
      const { code, stderr } = await child.finish();
      assert.equal(code, 0, stderr);
      assert.equal(child.out, "marked\nexec ended with 0\n");
    } finally {
      await child.kill();
      await Deno.remove(path);
      await Deno.remove(marker).catch(() => {});
    }
  });

  Deno.test(`${name}: a process reading a FIFO waits alone`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "ttvm_fifo_" });
    const fifo = `${dir}/pipe`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.equal(made.code, 0);
    const path = await program([
      'PUSH_STR "ticker"',
      "SPAWN",
      "POP",
      `PUSH_STR "${fifo}"`,
      "READ_FILE",
      'PUSH_STR "fifo: "',
      "SWAP",
      "CONCAT",
      "PRINT",
      "HALT",
      ...TICKER,
    ]);
    const child = new Child([...mode, path]);
    try {
      await child.waitFor("ticked\n");
      await Deno.writeTextFile(fifo, "through the pipe");
      const { code, stderr } = await child.finish();
      assert.equal(code, 0, stderr);
      assert.equal(child.out, "tick 1\ntick 2\ntick 3\nticked\nfifo: through the pipe\n");
    } finally {
      await child.kill();
      await Deno.remove(path);
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${name}: a printed line appears while the program keeps running`, async () => {
    const path = await program(['PUSH_STR "started"', "PRINT", "LABEL spin", "JMP spin"]);
    const child = new Child([...mode, path]);
    try {
      await child.waitFor("started\n"); // the program never ends: only a timely flush shows it
    } finally {
      await child.kill();
      await Deno.remove(path);
    }
  });
}
