/**
 * Test harness for the interop tests: real Erlang processes (erl, epmd) started, watched and
 * always cleaned up by the tests in tests/dist.
 *
 * - requireErlang() fails the test (never skips it) when erl/erlc/epmd are missing.
 * - Every erl node and epmd is a child process of the test, on its own EPMD port chosen free at
 *   run time (ERL_EPMD_PORT), with a unique node name, so tests can run in parallel with each
 *   other and with whatever else runs on the machine. stop() kills and reaps the child.
 * - The Erlang helper module ttvm_peer.erl is compiled once per test process into a temp dir.
 */
import { epmdAnswers } from "../../src/dist/epmd.ts";

const HERE = new URL(".", import.meta.url).pathname;

function onPath(command: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${command}`).isFile) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Throws (so the test fails) unless erl, erlc and epmd are installed. */
export function requireErlang(): void {
  const missing = ["erl", "erlc", "epmd"].filter((c) => !onPath(c));
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(", ")} not found on PATH: the distribution interop tests need Erlang/OTP ` +
        `25+ (.ci/run installs erlang-base; locally: apt-get install erlang-base)`,
    );
  }
}

/** The machine's short host name, as `erl -sname` uses it. */
export const SHORT_HOST = Deno.hostname().split(".")[0];

let counter = 0;
/** A node alive-name no other test (or test process) uses. */
export function uniqueName(prefix: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `${prefix}_${Deno.pid}_${++counter}_${rand}`;
}

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = l.addr.port;
  l.close();
  return port;
}

let peerDir: Promise<string> | undefined;
/** Directory holding ttvm_peer.beam (compiled once per process, removed at exit). */
export function compilePeer(): Promise<string> {
  peerDir ??= (async () => {
    requireErlang();
    const dir = await Deno.makeTempDir({ prefix: "ttvm_dist_" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
    const out = await new Deno.Command("erlc", {
      args: ["-o", dir, `${HERE}ttvm_peer.erl`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`erlc failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return dir;
  })();
  return peerDir;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A real `epmd -port P` in the foreground, as a child of the test. */
export class RealEpmd {
  private constructor(private readonly child: Deno.ChildProcess, readonly port: number) {}

  static async start(): Promise<RealEpmd> {
    requireErlang();
    const port = freePort();
    const child = new Deno.Command("epmd", {
      args: ["-port", String(port)],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const epmd = new RealEpmd(child, port);
    try {
      await waitFor(() => epmdAnswers({ port }), 30_000, `epmd on port ${port}`);
    } catch (e) {
      await epmd.stop();
      throw e;
    }
    return epmd;
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.child.status;
  }
}

export interface ErlOptions {
  /** Alive name; `-sname` unless `longName` (then `-name alive@127.0.0.1`). */
  alive: string;
  longName?: boolean;
  cookie: string;
  epmdPort: number;
  /** Erlang expressions for -eval (default: run the ttvm_peer server). */
  eval?: string;
  /** Seconds; passed as `-kernel net_ticktime`. */
  netTickTimeS?: number;
  extraArgs?: string[];
}

/** One `erl` node as a child process, with its output collected line by line. */
export class ErlNode {
  readonly lines: string[] = [];
  private stderrText = "";
  private readonly pumps: Promise<void>[];
  private waiters: (() => void)[] = [];
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(private readonly child: Deno.ChildProcess, readonly nodeName: string) {
    this.pumps = [
      this.pump(child.stdout, (line) => this.lines.push(line)),
      this.pump(child.stderr, (line) => this.stderrText += line + "\n"),
    ];
    this.status = child.status;
  }

  static async start(opts: ErlOptions): Promise<ErlNode> {
    const dir = await compilePeer();
    const nodeName = opts.longName ? `${opts.alive}@127.0.0.1` : `${opts.alive}@${SHORT_HOST}`;
    const args = [
      "-noshell",
      opts.longName ? "-name" : "-sname",
      opts.longName ? nodeName : opts.alive,
      "-setcookie",
      opts.cookie,
      "-pa",
      dir,
      ...(opts.netTickTimeS ? ["-kernel", "net_ticktime", String(opts.netTickTimeS)] : []),
      ...(opts.extraArgs ?? []),
      "-eval",
      opts.eval ?? "ttvm_peer:serve().",
    ];
    const child = new Deno.Command("erl", {
      args,
      env: { ERL_EPMD_PORT: String(opts.epmdPort) },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new ErlNode(child, nodeName);
  }

  private async pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    }
    if (pending) onLine(pending);
    for (const w of this.waiters.splice(0)) w();
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Waits for a stdout line matching `pattern`; fails with everything erl printed. */
  async waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.lines.length; seen++) {
        if (pattern.test(this.lines[seen])) return this.lines[seen];
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `erl ${this.nodeName}: no line matching ${pattern} within ${timeoutMs} ms\n` +
            `stdout:\n${this.lines.join("\n")}\nstderr:\n${this.stderrText}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 200));
      });
      clearTimeout(timer);
    }
  }

  /** Kills the node (SIGKILL by default) and waits until it and its output are gone. */
  async stop(signal: Deno.Signal = "SIGKILL"): Promise<Deno.CommandStatus> {
    try {
      this.child.kill(signal);
    } catch {
      // already exited
    }
    const status = await this.child.status;
    await Promise.all(this.pumps);
    return status;
  }

  /** Waits for the node to exit by itself (bounded), then reaps it. */
  async finish(timeoutMs = 60_000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), timeoutMs)
    );
    const result = await Promise.race([this.child.status, timeout]);
    clearTimeout(timer);
    if (result === "timeout") {
      await this.stop();
      throw new Error(
        `erl ${this.nodeName} did not exit within ${timeoutMs} ms\nstdout:\n${
          this.lines.join("\n")
        }\nstderr:\n${this.stderrText}`,
      );
    }
    await Promise.all(this.pumps);
    return result;
  }
}

/** Runs a short-lived `erl -noshell` (no distribution) and returns its output. */
export async function runErl(evalCode: string): Promise<string> {
  const dir = await compilePeer();
  const out = await new Deno.Command("erl", {
    args: ["-noshell", "-pa", dir, "-eval", evalCode],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`erl failed (${out.code}): ${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}
