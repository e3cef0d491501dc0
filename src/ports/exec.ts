/**
 * EXEC and EXEC_CAPTURE: child processes started and awaited on the driver's thread. EXEC
 * inherits the terminal (the program's output was flushed before the request left); its reply
 * is the exit code (-1 when a signal ended the child). EXEC_CAPTURE collects
 * `{stdout, stderr, exit_code}` (lossy UTF-8). A command that cannot start is the reference's
 * file error on the command name.
 */
import type { HostValue } from "../term/host.ts";
import { osErrorText } from "../vm/errors.ts";
import { type PortDriver, PortError } from "./driver.ts";

const decoder = new TextDecoder();

function commandLine(args: HostValue[]): [string, string[]] {
  const [cmd, list] = args;
  if (cmd?.kind !== "str" || list?.kind !== "list") {
    throw new PortError("internal error: EXEC request without a command");
  }
  return [cmd.value, list.items.map((i) => (i.kind === "str" ? i.value : ""))];
}

export function registerExec(driver: PortDriver): void {
  driver.on(0xa0, (d, req) => { // EXEC
    const [command, args] = commandLine(req.args);
    d.host.flushOutput();
    d.start(req, async () => {
      let status: Deno.CommandStatus;
      try {
        status = await new Deno.Command(command, {
          args,
          stdin: "inherit",
          stdout: "inherit",
          stderr: "inherit",
        }).spawn().status;
      } catch (e) {
        throw new PortError(`File operation failed on ${command}: ${osErrorText(e)}`);
      }
      return { kind: "int", value: BigInt(status.signal ? -1 : status.code) };
    });
  });
  driver.on(0xa1, (d, req) => { // EXEC_CAPTURE
    const [command, args] = commandLine(req.args);
    d.start(req, async () => {
      let out: Deno.CommandOutput;
      try {
        out = await new Deno.Command(command, { args, stdin: "null" }).output();
      } catch (e) {
        throw new PortError(`File operation failed on ${command}: ${osErrorText(e)}`);
      }
      return {
        kind: "object",
        entries: [
          ["stdout", { kind: "str", value: decoder.decode(out.stdout) }],
          ["stderr", { kind: "str", value: decoder.decode(out.stderr) }],
          ["exit_code", { kind: "int", value: BigInt(out.signal ? -1 : out.code) }],
        ],
      };
    });
  });
}
