/**
 * Host I/O instructions: files, stdin, environment, arguments, OS processes, clock, EXIT.
 *
 * Everything that can wait on the outside world — files, standard input, child processes — is
 * a request to the port driver (src/ports/): the instruction checks its operands, sends the
 * request and suspends its process (R_WAIT, pc left on itself); when the reply signal has
 * arrived the instruction runs again, finds it, and pushes the result or raises its error.
 * So one process reading a terminal or a slow disk never stops its scheduler (LANGUAGE.md §7).
 * Environment, arguments and the clock answer at once.
 *
 * Program output is flushed before a request that lets another writer see the terminal (a
 * child process in EXEC, a prompt before a stdin read), so what appears is what the program
 * wrote, in order.
 */
import { OP_BY_CODE } from "../isa/opcodes.ts";
import { FLAG_IO_WAIT, P_FLAGS, P_PC, P_SAVE_NODE, P_SAVE_PC, R_TMP0 } from "../proc/pcb.ts";
import { freeNode, N_VALUE_CELL, nodeValueCells } from "../proc/signals.ts";
import { REPLY_ERROR } from "../ports/protocol.ts";
import { copyValue } from "../term/copy.ts";
import type { HostValue } from "../term/host.ts";
import { setNull, setSmallInt, T_BYTES, T_LIST } from "../term/tags.ts";
import { typeMismatch, underflow, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { R_CONTINUE, R_WAIT } from "./results.ts";
import { replaceWithTmp } from "./ops_data.ts";

/** The Str operand k from the top, or a type mismatch with the given expectation. */
function strArg(it: Interpreter, pcb: number, k: number, op: string, expected: string): string {
  const c = it.m.arg(pcb, k);
  if (!it.rt.values.isStr(c)) throw typeMismatch(op, expected, [it.rt.values.debug(c)]);
  return it.rt.values.str(c);
}

const str = (value: string): HostValue => ({ kind: "str", value });

/** Instructions answered at once. */
export function ioOp(it: Interpreter, pcb: number, op: number): void {
  const m = it.m, v = it.rt.values, mem = it.rt.mem;
  switch (op) {
    case 0x7d: { // GET_ENV
      m.need(pcb, 1, "GET_ENV");
      const name = strArg(it, pcb, 0, "GET_ENV", "a string variable name");
      const value = Deno.env.get(name);
      if (value === undefined) return setNull(mem.i32, m.arg(pcb, 0));
      v.putStr(pcb, pcb + R_TMP0, value);
      return replaceWithTmp(it, pcb, 1);
    }
    case 0x7e: { // SET_ENV
      m.need(pcb, 2, "SET_ENV");
      const name = m.arg(pcb, 1), value = m.arg(pcb, 0);
      if (!v.isStr(name) || !v.isStr(value)) {
        throw typeMismatch("SET_ENV", "two strings (name, value)", [v.debug(name), v.debug(value)]);
      }
      Deno.env.set(v.str(name), v.str(value));
      return m.drop(pcb, 2);
    }
    case 0x7f: // GET_ARGS
      v.putStrList(pcb, pcb + R_TMP0, it.rt.io.args);
      return replaceWithTmp(it, pcb, 0);
    case 0xa2: // GET_TIME
      return setSmallInt(mem.i32, mem.f64, m.push(pcb), Math.floor(Date.now() / 1000));
    case 0xa5: // GET_TIME_MS
      return setSmallInt(mem.i32, mem.f64, m.push(pcb), Date.now());
  }
  throw new Error(`internal error: ioOp(${op})`);
}

/** Instructions that wait for the port driver: the first run checks the operands and sends
 *  the request; the run after the reply pushes the result. */
export function waitingIoOp(it: Interpreter, pcb: number, op: number, ip: number): number {
  if (it.rt.mem.i32[(pcb << 2) + P_FLAGS] & FLAG_IO_WAIT) return finishRequest(it, pcb, op, ip);
  const args = ioArgs(it, pcb, op);
  const io = it.rt.io;
  io.stdout.flush(); // a prompt before a read, output before a child's
  if (op === 0xa0) io.stderr.flush();
  return sendRequest(it, pcb, op, ip, 0, args);
}

/** Check the operands of a waiting I/O instruction; returns the request's arguments. */
function ioArgs(it: Interpreter, pcb: number, op: number): HostValue[] {
  const m = it.m, v = it.rt.values;
  switch (op) {
    case 0x72: // READ_FILE
      if (m.depth(pcb) < 1) throw underflow("read_file");
      return [str(strArg(it, pcb, 0, "READ_FILE", "a string filename"))];
    case 0x78: // READ_BYTES
      if (m.depth(pcb) < 1) throw underflow("read_bytes");
      return [str(strArg(it, pcb, 0, "READ_BYTES", "a string filename"))];
    case 0x73: // WRITE_FILE
    case 0x71: { // APPEND_FILE
      const opName = op === 0x73 ? "WRITE_FILE" : "APPEND_FILE";
      m.need(pcb, 2, opName);
      const content = m.arg(pcb, 1), file = m.arg(pcb, 0);
      if (!v.isStr(content) || !v.isStr(file)) {
        throw typeMismatch(opName, "two strings (filename, content)", [
          v.debug(content),
          v.debug(file),
        ]);
      }
      return [str(v.str(file)), str(v.str(content))];
    }
    case 0x74: // FILE_EXISTS
      m.need(pcb, 1, "FILE_EXISTS");
      return [str(strArg(it, pcb, 0, "FILE_EXISTS", "a string filename"))];
    case 0x75: // FILE_SIZE
      m.need(pcb, 1, "FILE_SIZE");
      return [str(strArg(it, pcb, 0, "FILE_SIZE", "a string filename"))];
    case 0x76: // DELETE_FILE
      m.need(pcb, 1, "DELETE_FILE");
      return [str(strArg(it, pcb, 0, "DELETE_FILE", "a string filename"))];
    case 0x77: // LIST_DIR
      m.need(pcb, 1, "LIST_DIR");
      return [str(strArg(it, pcb, 0, "LIST_DIR", "a string dirname"))];
    case 0x79: { // WRITE_BYTES
      m.need(pcb, 2, "WRITE_BYTES");
      const content = m.arg(pcb, 1), file = m.arg(pcb, 0);
      if (v.tag(content) !== T_BYTES || !v.isStr(file)) {
        throw typeMismatch("WRITE_BYTES", "string (filename) and bytes", [
          v.debug(content),
          v.debug(file),
        ]);
      }
      return [str(v.str(file)), { kind: "bytes", value: v.bytes(content) }];
    }
    case 0x7a: // READ_LINE
    case 0x7b: // READ_CHAR
    case 0x7c: // READ_INPUT
      return [];
    case 0xa0: // EXEC
    case 0xa1: { // EXEC_CAPTURE
      const opName = op === 0xa0 ? "EXEC" : "EXEC_CAPTURE";
      m.need(pcb, 2, opName);
      const cmd = m.arg(pcb, 1), args = m.arg(pcb, 0);
      if (!v.isStr(cmd) || v.tag(args) !== T_LIST) {
        throw typeMismatch(opName, "a command string and a list of arguments", [
          v.debug(cmd),
          v.debug(args),
        ]);
      }
      const o = v.obj(args);
      const argv: HostValue[] = [];
      for (let i = 1; i <= v.len(args); i++) argv.push(str(v.display(o + i)));
      return [str(v.str(cmd)), { kind: "list", items: argv }];
    }
  }
  throw new Error(`internal error: waitingIoOp(${op})`);
}

/** Send request `kind` for the instruction at `ip` and suspend the process until its reply.
 *  The instruction's operands stay on the stack until then. */
export function sendRequest(
  it: Interpreter,
  pcb: number,
  kind: number,
  ip: number,
  handle: number,
  args: HostValue[],
  a = 0,
  b = 0,
): number {
  const pc = ip >> 2;
  it.rt.ports.call(pcb, pc, kind, handle, args, a, b);
  it.rt.mem.i32[(pcb << 2) + P_PC] = pc; // run this instruction again when woken
  return R_WAIT;
}

/** The instruction at `ip` runs again while its request is out: R_WAIT until the reply has
 *  arrived; then its operands (the opcode's `pops`, or `popsNow` for an opcode whose operand
 *  count depends on them) are replaced by the result (when the opcode pushes one), or the
 *  error is raised. */
export function finishRequest(
  it: Interpreter,
  pcb: number,
  op: number,
  ip: number,
  popsNow?: number,
): number {
  const rt = it.rt, p = pcb << 2;
  let w = rt.mem.i32;
  const node = w[p + P_SAVE_NODE];
  if (node === 0) {
    w[p + P_PC] = ip >> 2;
    return R_WAIT; // woken by something else (a message); the reply is still on its way
  }
  w[p + P_FLAGS] &= ~FLAG_IO_WAIT;
  w[p + P_SAVE_NODE] = 0;
  w[p + P_SAVE_PC] = -1;
  const info = OP_BY_CODE[op]!;
  const src = node + N_VALUE_CELL;
  if (w[(node << 2) + 5] === REPLY_ERROR) {
    const message = rt.values.str(src);
    freeNode(rt.mem, node);
    throw new VmError(message);
  }
  if (info.pushes > 0) {
    const heap = rt.heap;
    // May collect (the node is not on the heap); sized by the node, without a walk.
    heap.reserve(pcb, nodeValueCells(rt.mem.i32, node));
    w = rt.mem.i32;
    copyValue(w, src, pcb + R_TMP0, heap.bumpFor(pcb));
  }
  freeNode(rt.mem, node);
  const pops = popsNow ?? Math.max(0, info.pops);
  if (info.pushes > 0) replaceWithTmp(it, pcb, pops);
  else it.m.drop(pcb, pops);
  return R_CONTINUE;
}

/** EXIT: returns the exit status (the low 32 bits of the Int, as the reference truncates). */
export function exitCode(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "EXIT");
  const c = m.arg(pcb, 0);
  if (!v.isInt(c)) throw typeMismatch("EXIT", "int (exit code)", [v.debug(c)]);
  m.drop(pcb, 1);
  return Number(BigInt.asIntN(32, v.int(c)));
}
