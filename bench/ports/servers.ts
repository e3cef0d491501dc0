/**
 * Starting and stopping the servers the ports benchmarks compare: ttvm (single scheduler or
 * `--smp=N`), Erlang/OTP (`erl` with bench/erlang/*.erl compiled into a temporary directory)
 * and bare Deno. Each prints `listening <port>` when ready.
 */
import { denoRunMain } from "../../src/cli/launch.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

export interface Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export type ServerKind = "ttvm" | "ttvm-smp2" | "erlang" | "deno";

let erlDir: string | null = null;

export function haveErlang(): boolean {
  try {
    return new Deno.Command("erl", { args: ["-version"], stderr: "null", stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function compileErlang(module: string): Promise<string> {
  erlDir ??= await Deno.makeTempDir({ prefix: "ttvm_erl_bench_" });
  const out = await new Deno.Command("erlc", {
    args: ["-o", erlDir, `${ROOT}bench/erlang/${module}.erl`],
  }).output();
  if (!out.success) throw new Error(`erlc ${module}: ${new TextDecoder().decode(out.stderr)}`);
  return erlDir;
}

/** Start a server program (`echo` or `http`) of the given kind. */
export async function startServer(kind: ServerKind, program: "echo" | "http"): Promise<Server> {
  let cmd: string, args: string[];
  if (kind === "ttvm" || kind === "ttvm-smp2") {
    cmd = Deno.execPath();
    const file = program === "echo"
      ? "bench/programs/echo_server.ttvm"
      : "bench/programs/http_hello.ttvm";
    args = [...denoRunMain(), ...(kind === "ttvm-smp2" ? ["--smp=2"] : []), file];
  } else if (kind === "erlang") {
    const module = program === "echo" ? "echo_server" : "http_hello";
    const dir = await compileErlang(module);
    cmd = "erl";
    args = ["+S", "1", "-noshell", "-pa", dir, "-run", module, "main"];
  } else {
    cmd = Deno.execPath();
    args = [
      "run",
      "-A",
      program === "echo" ? "bench/ports/deno_echo.ts" : "bench/ports/deno_http.ts",
    ];
  }
  const child = new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "inherit" })
    .spawn();
  const reader = child.stdout.getReader();
  let text = "";
  const dec = new TextDecoder();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /listening (\d+)/.exec(text);
    if (m) {
      reader.releaseLock();
      child.stdout.pipeTo(new WritableStream()).catch(() => {});
      return {
        port: Number(m[1]),
        pid: child.pid,
        async stop() {
          try {
            child.kill("SIGKILL");
          } catch {
            // gone already
          }
          await child.status;
        },
      };
    }
    if (Date.now() > deadline) throw new Error(`${kind} ${program} did not start: ${text}`);
    const r = await reader.read();
    if (r.done) throw new Error(`${kind} ${program} ended: ${text}`);
    text += dec.decode(r.value, { stream: true });
  }
}

/** Remove the directory of compiled Erlang modules, if one was made. */
export function removeCompiledErlang(): void {
  if (erlDir === null) return;
  Deno.removeSync(erlDir, { recursive: true });
  erlDir = null;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return ticks / 100;
}
