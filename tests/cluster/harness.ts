/**
 * Helpers for the tests of ttvm nodes (tests/cluster): ttvm runs as a child process of the test
 * (`deno run -A main.ts --sname … prog.ttvm`), with its output collected line by line, bounded
 * waits, and a kill in `finally`; the Erlang helper module ttvm_cluster.erl compiled once per
 * test process; erl nodes and epmd from tests/dist/erl_harness.ts.
 */
import { freePort, requireErlang } from "../dist/erl_harness.ts";

const HERE = new URL(".", import.meta.url).pathname;
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;
export const PROGRAMS = `${HERE}programs/`;

/** Output of a child process, line by line, with bounded waits. */
export class Lines {
  readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.pump(stream);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        this.lines.push(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      this.wakeAll();
    }
    if (pending) this.lines.push(pending);
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get text(): string {
    return this.lines.join("\n");
  }

  /** The first line matching `pattern` at or after line `from`; throws after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number, describe: () => string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0;;) {
      for (; seen < this.lines.length; seen++) {
        if (pattern.test(this.lines[seen])) return this.lines[seen];
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no line matching ${pattern} within ${timeoutMs} ms\n${describe()}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 200));
      });
      clearTimeout(timer);
    }
  }
}

export interface TtvmOptions {
  program: string;
  args?: string[];
  /** --sname (default), or --name with `long`. */
  name: string;
  long?: boolean;
  cookie?: string;
  epmdPort: number;
  /** --smp=N (undefined: the single scheduler). */
  smp?: number;
  /** Serve EPMD in process when none answers (TTVM_EPMD_EMBEDDED=1). */
  embeddedEpmd?: boolean;
  env?: Record<string, string>;
}

/** A ttvm node as a child process. */
export class TtvmNode {
  readonly out: Lines;
  readonly err: Lines;
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(private readonly child: Deno.ChildProcess, readonly label: string) {
    this.out = new Lines(child.stdout);
    this.err = new Lines(child.stderr);
    this.status = child.status;
  }

  static start(o: TtvmOptions): TtvmNode {
    const args = [
      "run",
      "-A",
      MAIN,
      ...(o.smp !== undefined ? [`--smp=${o.smp}`] : []),
      o.long ? "--name" : "--sname",
      o.name,
      ...(o.cookie !== undefined ? ["--cookie", o.cookie] : []),
      o.program,
      ...(o.args ?? []),
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args,
      env: {
        ERL_EPMD_PORT: String(o.epmdPort),
        ...(o.embeddedEpmd ? { TTVM_EPMD_EMBEDDED: "1" } : {}),
        ...o.env,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new TtvmNode(child, `ttvm ${o.name}${o.smp ? ` --smp=${o.smp}` : ""}`);
  }

  describe(): string {
    return `${this.label} stdout:\n${this.out.text}\n${this.label} stderr:\n${this.err.text}`;
  }

  waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return this.out.waitFor(pattern, timeoutMs, () => this.describe());
  }

  /** Waits (bounded) for the node to end by itself; returns its exit code. */
  async finish(timeoutMs = 60_000): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), timeoutMs)
    );
    const result = await Promise.race([this.status, timeout]);
    clearTimeout(timer);
    if (result === "timeout") {
      await this.stop();
      throw new Error(`${this.label} did not end within ${timeoutMs} ms\n${this.describe()}`);
    }
    await Promise.all([this.out.done, this.err.done]);
    return result.code;
  }

  /** Kills the node (if still running) and reaps it. */
  async stop(signal: Deno.Signal = "SIGKILL"): Promise<void> {
    try {
      this.child.kill(signal);
    } catch {
      // already exited
    }
    await this.status;
    await Promise.all([this.out.done, this.err.done]);
  }
}

let clusterDir: Promise<string> | undefined;
/** Directory holding ttvm_cluster.beam (compiled once per test process). */
export function compileClusterPeer(): Promise<string> {
  clusterDir ??= (async () => {
    requireErlang();
    const dir = await Deno.makeTempDir({ prefix: "ttvm_cluster_" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
    const out = await new Deno.Command("erlc", {
      args: ["-o", dir, `${HERE}ttvm_cluster.erl`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`erlc failed: ${new TextDecoder().decode(out.stdout)}`);
    return dir;
  })();
  return clusterDir;
}

export { freePort };
