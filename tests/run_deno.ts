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

export interface ScriptInput {
  /** Written to the script's standard input, which is then closed (default: no input). */
  stdin?: string;
  /** Variables added to the environment. */
  env?: Record<string, string>;
}

export async function runDenoScript(
  script: string,
  args: string[],
  input: ScriptInput = {},
): Promise<ScriptOutcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd: ROOT,
    env: input.env,
    stdin: input.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input.stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
