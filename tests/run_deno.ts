/**
 * Run a Deno script of the repository (`deno run -A <script> <args>`) from the repository's
 * root and capture what it printed and its exit status: the scaffolding of the tests that
 * drive a tool or the CLI as a separate process.
 */
const ROOT = new URL("../", import.meta.url).pathname;

export interface ScriptOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runDenoScript(script: string, args: string[]): Promise<ScriptOutcome> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
