/**
 * Dispatch of every instruction the hot loop does not handle inline. Called with the PCB
 * registers saved; returns R_CONTINUE (the loop reloads its registers and goes on) or the
 * reason the slice ends. Case bodies are one call each; the work lives in ops_*.ts.
 */
import { OP_BY_CODE } from "../isa/opcodes.ts";
import { P_MODULE_FP } from "../proc/pcb.ts";
import type { Interpreter } from "./interp.ts";
import { R_CONTINUE, R_DONE, R_EXIT, R_YIELD } from "./results.ts";
import { arithSlow, compareSlow } from "./ops_arith.ts";
import {
  callFunction,
  capture,
  dumpScope,
  exportVar,
  finishModule,
  importModule,
  makeLambda,
  throwValue,
} from "./ops_call.ts";
import * as codec from "./ops_codec.ts";
import * as data from "./ops_data.ts";
import * as text from "./ops_text.ts";
import { formatTimeOp } from "./ops_time.ts";
import * as values from "./ops_values.ts";
import { exitCode, ioOp, waitingIoOp } from "./ops_io.ts";
import { portOp } from "./ops_port.ts";
import * as proc from "./ops_proc.ts";
import * as dist from "./ops_dist.ts";
import * as introspect from "./ops_introspect.ts";
import { codeOp } from "./ops_code.ts";
import { popHandler, pushHandler } from "./raise.ts";

export function execSlow(it: Interpreter, op: number, pcb: number, ip: number): number {
  const rt = it.rt, m = it.m;
  const code = rt.image.code;
  const a = code[ip + 1];
  const p = pcb << 2;
  switch (op) {
    case 0x01: // PUSH_INT (only reached through a pool constant)
      throw new Error("internal error: PUSH_INT slow path");
    case 0x40: { // PRINT
      m.need(pcb, 1, "PRINT");
      rt.io.stdout.write(rt.values.display(m.arg(pcb, 0)) + "\n");
      m.drop(pcb, 1);
      break;
    }
    case 0x70: // DUMP_SCOPE
      rt.io.stdout.write(dumpScope(it, pcb) + "\n");
      break;
    case 0x52: // DELETE
      if (!m.deleteVar(pcb, a)) {
        rt.io.stdout.flush();
        rt.io.stderr.write(`Warning: tried to DELETE unknown variable '${rt.atoms.name(a)}'\n`);
        rt.io.stderr.flush();
      }
      break;
    case 0xff: // HALT
    case 0xfe: // END
      if (rt.mem.i32[p + P_MODULE_FP] >= 0) {
        finishModule(it, pcb);
        return R_CONTINUE;
      }
      return R_DONE;
    // ── arithmetic not handled inline (ADD, SUB and MUL are, in run's loop; they come here
    //    only from compiled code whose guard kept failing at that pc: src/jit/tier.ts) ──
    case 0x10: // ADD
    case 0x11: // SUB
    case 0x13: // MUL
    case 0x14: // DIV
    case 0x15: // MOD
    case 0x17: // ADD_F
    case 0x18: // SUB_F
    case 0x19: // MUL_F
    case 0x1a: // DIV_F
    case 0x07: // AND
    case 0x08: { // OR
      m.need(pcb, 2, OP_BY_CODE[op]!.name);
      arithSlow(rt, op, m.arg(pcb, 1), m.arg(pcb, 0));
      m.drop(pcb, 1);
      break;
    }
    case 0x16: // NEG
      m.need(pcb, 1, "NEG");
      arithSlow(rt, op, m.arg(pcb, 0), m.arg(pcb, 0));
      break;
    case 0x26: // EQ_F
    case 0x29: // NE_F
    case 0x27: // GT_F
    case 0x28: // LT_F
    case 0x2a: // GE_F
    case 0x2b: // LE_F
      m.need(pcb, 2, OP_BY_CODE[op]!.name);
      compareSlow(rt, op, m.arg(pcb, 1), m.arg(pcb, 0));
      m.drop(pcb, 1);
      break;
    // ── strings, lists, objects, formats ──
    case 0x12: // CONCAT
      data.concat(it, pcb);
      break;
    case 0x1b: // TO_STR
      data.toStr(it, pcb);
      break;
    case 0x1c: // STR_LEN
      data.strLen(it, pcb);
      break;
    case 0x60: // MAKE_LIST
      data.makeList(it, pcb, a);
      break;
    case 0x61: // LEN
      data.len(it, pcb);
      break;
    case 0x62: // INDEX
      data.index(it, pcb);
      break;
    case 0x63: // APPEND
      data.append(it, pcb);
      break;
    case 0x64: // MAKE_OBJECT
      data.makeObject(it, pcb);
      break;
    case 0x65: // SET_FIELD
      data.setField(it, pcb, a);
      break;
    case 0x66: // GET_FIELD
      data.getField(it, pcb, a);
      break;
    case 0x67: // HAS_FIELD
      data.hasField(it, pcb, a);
      break;
    case 0x68: // DELETE_FIELD
      data.deleteField(it, pcb, a);
      break;
    case 0x69: // KEYS
      data.keys(it, pcb);
      break;
    case 0xc7: // JSON_PARSE
      data.jsonParseOp(it, pcb);
      break;
    case 0xc8: // JSON_STRINGIFY
      data.jsonStringifyOp(it, pcb);
      break;
    case 0xc9: // CSV_PARSE
      data.csvParseOp(it, pcb);
      break;
    case 0xca: // CSV_WRITE
      data.csvWriteOp(it, pcb);
      break;
    case 0xcf: // HASH
      data.hashOp(it, pcb);
      break;
    case 0xcb: // COMPRESS
      codec.compress(it, pcb);
      break;
    case 0xcc: // DECOMPRESS
      codec.decompress(it, pcb);
      break;
    case 0xcd: // ENCRYPT
      codec.encrypt(it, pcb);
      break;
    case 0xce: // DECRYPT
      codec.decrypt(it, pcb);
      break;
    case 0xa4: // FORMAT_TIME
      formatTimeOp(it, pcb);
      break;
    // ── atoms, tuples, types, text (LANGUAGE.md §6) ──
    case 0x6a: // PUSH_ATOM
      values.pushAtom(it, pcb, a);
      break;
    case 0x6b: // MAKE_TUPLE
      values.makeTuple(it, pcb, a);
      break;
    case 0x6c: // TUPLE_TO_LIST
      values.tupleToList(it, pcb);
      break;
    case 0x6d: // LIST_TO_TUPLE
      values.listToTuple(it, pcb);
      break;
    case 0x4d: // TYPE_OF
      values.typeOf(it, pcb);
      break;
    case 0x42: // SUBSTR
      text.substr(it, pcb);
      break;
    case 0x43: // STR_FIND
      text.strFind(it, pcb);
      break;
    case 0x44: // SPLIT
      text.split(it, pcb);
      break;
    case 0x45: // JOIN
      text.join(it, pcb);
      break;
    case 0x46: // TRIM
      text.trim(it, pcb);
      break;
    case 0x47: // UPPER
      text.upper(it, pcb);
      break;
    case 0x48: // LOWER
      text.lower(it, pcb);
      break;
    case 0x49: // TO_INT
      text.toInt(it, pcb);
      break;
    case 0x4a: // TO_FLOAT
      text.toFloat(it, pcb);
      break;
    case 0x4b: // STR_TO_BYTES
      text.strToBytes(it, pcb);
      break;
    case 0x4c: // BYTES_TO_STR
      text.bytesToStr(it, pcb);
      break;
    // ── functions, closures, exceptions, modules ──
    case 0x35: // CALL_FUNCTION
      callFunction(it, pcb, ip);
      break;
    case 0x36: // MAKE_LAMBDA
      makeLambda(it, pcb, a, code[ip + 2]);
      break;
    case 0x37: // CAPTURE
      capture(it, pcb, a);
      break;
    case 0x38: // TRY
      pushHandler(it, pcb, a);
      break;
    case 0x3b: // END_TRY
      popHandler(it, pcb);
      break;
    case 0x3a: // THROW
      throwValue(it, pcb, ip);
      break;
    case 0x3c: // IMPORT
      importModule(it, pcb, ip, a);
      break;
    case 0x3d: // EXPORT
      exportVar(it, pcb, a);
      break;
    // ── host I/O ──
    case 0x7d: // GET_ENV
    case 0x7e: // SET_ENV
    case 0x7f: // GET_ARGS
    case 0xa2: // GET_TIME
    case 0xa5: // GET_TIME_MS
      ioOp(it, pcb, op);
      break;
    case 0x72: // READ_FILE
    case 0x73: // WRITE_FILE
    case 0x71: // APPEND_FILE
    case 0x74: // FILE_EXISTS
    case 0x75: // FILE_SIZE
    case 0x76: // DELETE_FILE
    case 0x77: // LIST_DIR
    case 0x78: // READ_BYTES
    case 0x79: // WRITE_BYTES
    case 0x7a: // READ_LINE
    case 0x7b: // READ_CHAR
    case 0x7c: // READ_INPUT
    case 0xa0: // EXEC
    case 0xa1: // EXEC_CAPTURE
      return waitingIoOp(it, pcb, op, ip);
    case 0x41: // EXIT
      it.exitCode = exitCode(it, pcb);
      return R_EXIT;
    case 0xa3: // SLEEP
      return proc.sleep(it, pcb, ip);
    // ── processes ──
    case 0x80: // SPAWN
    case 0x91: // SPAWN_LINK
    case 0x92: // SPAWN_MONITOR
      return proc.spawn(it, pcb, op);
    case 0x93: // SELF
      return proc.self(it, pcb);
    case 0x8d: // SEND
      return proc.send(it, pcb, a);
    case 0x84: // SENDNAMED
      return proc.sendNamed(it, pcb, a);
    case 0x8c: // RECEIVE
    case 0x8f: // RECEIVE_AFTER
    case 0x8e: // RECEIVE_MATCH
    case 0x90: // RECEIVE_MATCH_AFTER
      return proc.receive(it, pcb, op, ip);
    case 0x8b: // YIELD
      return R_YIELD;
    case 0x81: // REGISTER
      return proc.register(it, pcb, a);
    case 0x82: // UNREGISTER
      return proc.unregister(it, a);
    case 0x83: // WHEREIS
      return proc.whereis(it, pcb, a);
    case 0x86: // LINK
      return proc.link(it, pcb, a);
    case 0x87: // UNLINK
      return proc.unlink(it, pcb, a);
    case 0x85: // MONITOR
      return proc.monitor(it, pcb, a);
    case 0x94: // DEMONITOR
      return proc.demonitor(it, pcb);
    case 0x95: // TRAP_EXIT
      return proc.trapExit(it, pcb);
    case 0x96: // EXIT_SELF
      return proc.exitSelf(it, pcb);
    case 0x97: // EXIT_SIGNAL
      return proc.exitSignal(it, pcb);
    case 0x98: // IS_ALIVE
      return proc.isAlive(it, pcb);
    // ── introspection (LANGUAGE.md §9) ──
    case 0xe8: // PROCESSES
      return introspect.processes(it, pcb);
    case 0xe9: // PROCESS_INFO
      return introspect.processInfo(it, pcb, ip);
    case 0xea: // SYSTEM_INFO
      return introspect.systemInfo(it, pcb, ip);
    case 0xeb: // CODE_LOAD
    case 0xec: // CODE_PURGE
      return codeOp(it, pcb, op, ip);
    case 0x88: // START_SUPERVISOR
    case 0x89: // SUPERVISE_CHILD
    case 0x8a: // RESTART_CHILD
    case 0x99: // WHICH_CHILDREN
      return proc.supervisorOp(it, pcb, op, ip);
    // ── ports ──
    case 0xb3: // TCP_LISTEN
    case 0xba: // TCP_LISTEN_ON
    case 0xbb: // TCP_ACCEPT
    case 0xb2: // TCP_CONNECT
    case 0xb4: // TCP_SEND
    case 0xb5: // TCP_RECV
    case 0xbc: // TCP_RECV_LINE
    case 0xbd: // TCP_ACTIVE
    case 0xbf: // CONN_PORT
    case 0xbe: // CONN_CLOSE
    case 0xd3: // CONN_HANDOVER
    case 0xb6: // UDP_BIND
    case 0xd4: // UDP_BIND_ON
    case 0xb7: // UDP_SEND
    case 0xb8: // UDP_RECV
    case 0xb9: // DNS_RESOLVE
    case 0xb0: // HTTP_GET
    case 0xb1: // HTTP_POST
    case 0xd5: // HTTP_REQUEST
    case 0xd6: // HTTP_LISTEN
    case 0xd7: // HTTP_LISTEN_ON
    case 0xd8: // HTTP_RESPOND
    case 0xc0: // ASYNC_READ
    case 0xc1: // ASYNC_WRITE
    case 0xc2: // AWAIT
    case 0xc3: // STREAM_CREATE
    case 0xc4: // STREAM_READ
    case 0xc5: // STREAM_WRITE
    case 0xc6: // STREAM_CLOSE
    case 0xd0: // DB_CONNECT
    case 0xd1: // DB_QUERY
    case 0xd2: // DB_EXEC
      return portOp(it, pcb, op, ip);
    // ── distribution (LANGUAGE.md §8) ──
    case 0xe0: // NODE
      return dist.node(it, pcb);
    case 0xe1: // NODE_OF
      return dist.nodeOf(it, pcb);
    case 0xe2: // NODES
    case 0xe3: // CONNECT_NODE
    case 0xe4: // DISCONNECT_NODE
      return dist.askNode(it, pcb, op, ip);
    case 0xe5: // MONITOR_NODE
      return dist.monitorNode(it, pcb);
    case 0xe6: // SENDNAMED_AT
      return dist.sendNamedAt(it, pcb, a);
    case 0xe7: // SPAWN_AT
      return dist.spawnAt(it, pcb, ip);
    default:
      throw new Error(`internal error: no handler for opcode ${op} at pc ${ip >> 2}`);
  }
  return R_CONTINUE;
}
