/**
 * Helpers for the tests that drive the example servers of examples/ports/ from outside: a
 * `ttvm` subprocess whose stdout and stderr are collected while it runs (so a test can wait
 * for a line such as `chat listening on <port>`), and a line-oriented TCP client.
 *
 * Invariants: every wait is bounded (WAIT_MS) and fails with what was seen so far; nothing
 * synchronises by sleeping — tests wait for a line or an answer to appear. `kill()` is safe
 * to call at any time, more than once, and releases the child's pipes, so a test's `finally`
 * always leaves no process behind.
 */
import assert from "node:assert/strict";

export const ROOT = new URL("../../", import.meta.url).pathname;
/** The bound of every single wait (a line, a connection, an exit). */
export const WAIT_MS = 20_000;

/** The scheduler configurations every example is run under. */
export const MODES: Array<{ name: string; flags: string[] }> = [
  { name: "single", flags: [] },
  { name: "smp=2", flags: ["--smp=2"] },
  { name: "smp=4", flags: ["--smp=4"] },
];

/** Races `promise` against a timer; fails with `what` after `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects a readable byte stream as text; `changed` wakes whoever waits for more. */
class TextSink {
  text = "";
  ended = false;
  private waiters: Array<() => void> = [];
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of stream) {
          this.text += decoder.decode(chunk, { stream: true });
          this.wake();
        }
      } catch {
        // the stream was cancelled: the child is being killed
      }
      this.ended = true;
      this.wake();
    })();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next change (more text or the end). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** A `ttvm` run (`deno run -A main.ts …`) in the repository root, stdout/stderr collected. */
export class TtvmProcess {
  private readonly proc: Deno.ChildProcess;
  private readonly stdout: TextSink;
  private readonly stderr: TextSink;
  private killed = false;

  constructor(readonly args: string[]) {
    this.proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stdout = new TextSink(this.proc.stdout);
    this.stderr = new TextSink(this.proc.stderr);
  }

  get out(): string {
    return this.stdout.text;
  }

  get err(): string {
    return this.stderr.text;
  }

  /** Waits until stdout (or stderr) matches `pattern`; returns the match. */
  async waitFor(
    pattern: RegExp,
    stream: "stdout" | "stderr" = "stdout",
  ): Promise<RegExpMatchArray> {
    const sink = stream === "stdout" ? this.stdout : this.stderr;
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const match = sink.text.match(pattern);
      if (match) return match;
      const left = deadline - Date.now();
      if (sink.ended || left <= 0) {
        assert.fail(
          `${stream} of ttvm ${this.args.join(" ")} never matched ${pattern}` +
            (sink.ended ? " (stream ended)" : ` within ${WAIT_MS} ms`) +
            `\n--- stdout:\n${this.out}--- stderr:\n${this.err}`,
        );
      }
      await within(sink.changed(), "", left).catch(() => {});
    }
  }

  /** Waits for the port number a server prints as `<prefix> <port>`. */
  async port(prefix: string): Promise<number> {
    const match = await this.waitFor(new RegExp(`^${prefix} (\\d+)$`, "m"));
    return Number(match[1]);
  }

  /** Waits for the run to end by itself; its exit status and complete output. */
  async finish(): Promise<{ code: number; stdout: string; stderr: string }> {
    const status = await within(this.proc.status, `ttvm ${this.args.join(" ")} to end`).catch(
      (e) => assert.fail(`${e.message}\n--- stdout:\n${this.out}--- stderr:\n${this.err}`),
    );
    await Promise.all([this.stdout.done, this.stderr.done]);
    return { code: status.code, stdout: this.out, stderr: this.err };
  }

  /** True while the run has not ended. */
  async alive(): Promise<boolean> {
    const ended = await Promise.race([
      this.proc.status.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 0)),
    ]);
    return !ended;
  }

  /** Ends the run (SIGKILL) if it is still going, and waits until its pipes are closed. */
  async kill(): Promise<void> {
    if (!this.killed) {
      this.killed = true;
      try {
        this.proc.kill("SIGKILL");
      } catch {
        // it has already exited
      }
    }
    await this.proc.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
  }
}

/** A TCP client that reads and writes lines (UTF-8, "\n"). */
export class LineClient {
  private buffer = "";
  private eof = false;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();

  private constructor(private readonly conn: Deno.TcpConn, readonly name: string) {}

  static async connect(port: number, name: string): Promise<LineClient> {
    const conn = await within(
      Deno.connect({ hostname: "127.0.0.1", port }),
      `${name} connecting to ${port}`,
    );
    return new LineClient(conn, name);
  }

  async send(text: string): Promise<void> {
    const bytes = this.encoder.encode(text);
    for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off));
  }

  /** The next line without its "\n"; null at end of stream. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const nl = this.buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        return line;
      }
      if (this.eof) {
        const rest = this.buffer;
        this.buffer = "";
        return rest === "" ? null : rest;
      }
      const chunk = new Uint8Array(4096);
      const n = await within(this.conn.read(chunk), `a line for ${this.name}`).catch((e) => {
        if (e instanceof Deno.errors.ConnectionReset) return null;
        throw e;
      });
      if (n === null) {
        this.eof = true;
        this.buffer += this.decoder.decode();
      } else {
        this.buffer += this.decoder.decode(chunk.subarray(0, n), { stream: true });
      }
    }
  }

  /** Asserts that the next lines are exactly `lines`, in order. */
  async expect(...lines: string[]): Promise<void> {
    for (const line of lines) {
      assert.equal(await this.readLine(), line, `${this.name} expected ${JSON.stringify(line)}`);
    }
  }

  /** Asserts that the server closed the connection (after any lines still unread: none). */
  async expectEnd(): Promise<void> {
    assert.equal(await this.readLine(), null, `${this.name} expected the end of the stream`);
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** An HTTP request to 127.0.0.1:port; the whole answer, body read (as text and, if any, JSON). */
export async function http(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const res = await within(
    fetch(`http://127.0.0.1:${port}${path}`, { method, body }),
    `${method} ${path}`,
  );
  const text = await within(res.text(), `the body of ${method} ${path}`);
  let json: unknown = undefined;
  if (res.headers.get("content-type")?.includes("application/json")) json = JSON.parse(text);
  return { status: res.status, headers: res.headers, text, json };
}
