/**
 * Hot code loading instructions (LANGUAGE.md §9): CODE_LOAD and CODE_PURGE.
 *
 * Both are requests to the port driver, the single writer of the program image (src/ports/
 * code.ts): loading reads and assembles a file, which must not stop a scheduler. The process
 * waits like for any port reply (src/vm/ops_io.ts sendRequest / finishRequest). The reply is a
 * Bool, or a Str saying why nothing changed: that text goes to stderr and the instruction
 * pushes false, so a program (or `--reload`) keeps running its current version.
 */
import { OP_BY_CODE } from "../isa/opcodes.ts";
import { FLAG_IO_WAIT, P_FLAGS } from "../proc/pcb.ts";
import type { HostValue } from "../term/host.ts";
import { setBool } from "../term/tags.ts";
import { typeMismatch } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { R_CONTINUE } from "./results.ts";
import { finishRequest, sendRequest } from "./ops_io.ts";

/** CODE_LOAD / CODE_PURGE: `path → bool`. */
export function codeOp(it: Interpreter, pcb: number, op: number, ip: number): number {
  const rt = it.rt, m = it.m, v = rt.values;
  if (rt.mem.i32[(pcb << 2) + P_FLAGS] & FLAG_IO_WAIT) {
    const r = finishRequest(it, pcb, op, ip);
    if (r !== R_CONTINUE) return r;
    const top = m.arg(pcb, 0);
    if (v.isStr(top)) {
      rt.io.stdout.flush();
      rt.io.stderr.write(v.str(top) + "\n");
      rt.io.stderr.flush();
      setBool(rt.mem.i32, m.arg(pcb, 0), false);
    }
    return R_CONTINUE;
  }
  const name = OP_BY_CODE[op]!.name;
  m.need(pcb, 1, name);
  const c = m.arg(pcb, 0);
  if (!v.isStr(c)) throw typeMismatch(name, "a module path (str)", [v.debug(c)]);
  const path: HostValue = { kind: "str", value: v.str(c) };
  return sendRequest(it, pcb, op, ip, 0, [path]);
}
