/**
 * Host I/O instructions: files, stdin, environment, arguments, OS processes, clock, EXIT.
 * Files and OS processes use Deno's synchronous APIs (a process does not yield during them);
 * program output is flushed before a child process or a stdin read, so ordering on a terminal
 * is what the program wrote.
 */
import { R_TMP0 } from "../proc/pcb.ts";
import { setBool, setNull, setSmallInt, T_BYTES, T_LIST } from "../term/tags.ts";
import { fileError, typeMismatch, underflow, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { replaceWithTmp } from "./ops_data.ts";

const decoder = new TextDecoder();

/** The Str operand k from the top, or a type mismatch with the given expectation. */
function strArg(it: Interpreter, pcb: number, k: number, op: string, expected: string): string {
  const c = it.m.arg(pcb, k);
  if (!it.rt.values.isStr(c)) throw typeMismatch(op, expected, [it.rt.values.debug(c)]);
  return it.rt.values.str(c);
}

export function ioOp(it: Interpreter, pcb: number, op: number): void {
  const m = it.m, v = it.rt.values, io = it.rt.io;
  const mem = it.rt.mem;
  switch (op) {
    case 0x72: { // READ_FILE
      if (m.depth(pcb) < 1) throw underflow("read_file");
      const name = strArg(it, pcb, 0, "READ_FILE", "a string filename");
      let text: string;
      try {
        text = Deno.readTextFileSync(name);
      } catch (e) {
        throw fileError(name, e);
      }
      v.putStr(pcb, pcb + R_TMP0, text);
      return replaceWithTmp(it, pcb, 1);
    }
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
      const name = v.str(file);
      try {
        Deno.writeTextFileSync(name, v.str(content), { append: op === 0x71 });
      } catch (e) {
        throw fileError(name, e);
      }
      return m.drop(pcb, 2);
    }
    case 0x74: { // FILE_EXISTS
      m.need(pcb, 1, "FILE_EXISTS");
      const name = strArg(it, pcb, 0, "FILE_EXISTS", "a string filename");
      let exists = true;
      try {
        Deno.statSync(name);
      } catch {
        exists = false;
      }
      return setBool(mem.i32, m.arg(pcb, 0), exists);
    }
    case 0x75: { // FILE_SIZE
      m.need(pcb, 1, "FILE_SIZE");
      const name = strArg(it, pcb, 0, "FILE_SIZE", "a string filename");
      let size: number;
      try {
        size = Deno.statSync(name).size;
      } catch (e) {
        throw fileError(name, e);
      }
      return setSmallInt(mem.i32, mem.f64, m.arg(pcb, 0), size);
    }
    case 0x76: { // DELETE_FILE
      m.need(pcb, 1, "DELETE_FILE");
      const name = strArg(it, pcb, 0, "DELETE_FILE", "a string filename");
      try {
        Deno.removeSync(name);
      } catch (e) {
        throw fileError(name, e);
      }
      return m.drop(pcb, 1);
    }
    case 0x77: { // LIST_DIR
      m.need(pcb, 1, "LIST_DIR");
      const name = strArg(it, pcb, 0, "LIST_DIR", "a string dirname");
      let names: string[];
      try {
        names = [...Deno.readDirSync(name)].map((e) => e.name).sort();
      } catch (e) {
        throw fileError(name, e);
      }
      v.putStrList(pcb, pcb + R_TMP0, names);
      return replaceWithTmp(it, pcb, 1);
    }
    case 0x78: { // READ_BYTES
      if (m.depth(pcb) < 1) throw underflow("read_bytes");
      const name = strArg(it, pcb, 0, "READ_BYTES", "a string filename");
      let bytes: Uint8Array;
      try {
        bytes = Deno.readFileSync(name);
      } catch (e) {
        throw fileError(name, e);
      }
      v.putBytes(pcb, pcb + R_TMP0, bytes);
      return replaceWithTmp(it, pcb, 1);
    }
    case 0x79: { // WRITE_BYTES
      m.need(pcb, 2, "WRITE_BYTES");
      const content = m.arg(pcb, 1), file = m.arg(pcb, 0);
      if (v.tag(content) !== T_BYTES || !v.isStr(file)) {
        throw typeMismatch("WRITE_BYTES", "string (filename) and bytes", [
          v.debug(content),
          v.debug(file),
        ]);
      }
      const name = v.str(file);
      try {
        Deno.writeFileSync(name, v.bytes(content));
      } catch (e) {
        throw fileError(name, e);
      }
      return m.drop(pcb, 2);
    }
    case 0x7a: { // READ_LINE
      io.stdout.flush();
      v.putStr(pcb, m.push(pcb), io.stdin.readLine());
      return;
    }
    case 0x7b: { // READ_CHAR
      io.stdout.flush();
      const b = io.stdin.readByte();
      if (b === null) {
        throw new VmError("File operation failed on stdin: failed to fill whole buffer");
      }
      v.putStr(pcb, m.push(pcb), String.fromCharCode(b));
      return;
    }
    case 0x7c: { // READ_INPUT
      io.stdout.flush();
      v.putStr(pcb, m.push(pcb), io.stdin.readAll());
      return;
    }
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
    case 0x7f: { // GET_ARGS
      v.putStrList(pcb, pcb + R_TMP0, io.args);
      return replaceWithTmp(it, pcb, 0);
    }
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
      const argv: string[] = [];
      const o = v.obj(args);
      for (let i = 1; i <= v.len(args); i++) argv.push(v.display(o + i));
      const command = v.str(cmd);
      io.stdout.flush();
      io.stderr.flush();
      if (op === 0xa0) {
        let code: number;
        try {
          const out = new Deno.Command(command, {
            args: argv,
            stdin: "inherit",
            stdout: "inherit",
            stderr: "inherit",
          }).outputSync();
          code = out.signal ? -1 : out.code;
        } catch (e) {
          throw fileError(command, e);
        }
        m.drop(pcb, 2);
        return setSmallInt(mem.i32, mem.f64, m.push(pcb), code);
      }
      let result: Deno.CommandOutput;
      try {
        result = new Deno.Command(command, { args: argv, stdin: "null" }).outputSync();
      } catch (e) {
        throw fileError(command, e);
      }
      v.putHost(pcb, pcb + R_TMP0, {
        kind: "object",
        entries: [
          ["stdout", { kind: "str", value: decoder.decode(result.stdout) }],
          ["stderr", { kind: "str", value: decoder.decode(result.stderr) }],
          ["exit_code", { kind: "int", value: BigInt(result.signal ? -1 : result.code) }],
        ],
      });
      return replaceWithTmp(it, pcb, 2);
    }
    case 0xa2: // GET_TIME
      return setSmallInt(mem.i32, mem.f64, m.push(pcb), Math.floor(Date.now() / 1000));
    case 0xa5: // GET_TIME_MS
      return setSmallInt(mem.i32, mem.f64, m.push(pcb), Date.now());
  }
  throw new Error(`internal error: ioOp(${op})`);
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
