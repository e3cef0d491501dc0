/**
 * Functions, closures, exceptions and modules (slow paths).
 *
 * Modules are linked statically by the assembler; IMPORT runs a module's top-level code once per
 * process in a MODULE frame (a fresh scope whose hidden entry saves the importer's export table,
 * stack depth and enclosing module), then binds the module's exports in the importer's frame.
 * Results are cached per process in R_MODCACHE (a list of two cells per module number: the
 * exports and the module version that made them; hot code loading, src/ports/code.ts).
 */
import {
  FRAME_CALL,
  FRAME_MODULE,
  KEY_MODULE_INFO,
  P_FP,
  P_FRAMES,
  P_FTOP,
  P_MODULE_FP,
  P_PC,
  P_SP,
  R_EXPORTS,
  R_MODCACHE,
  R_PENDING,
  R_TMP0,
} from "../proc/pcb.ts";
import {
  copyCell,
  setNull,
  setSmallInt,
  T_ATOM_STR,
  T_CLOSURE,
  T_EXCEPTION,
  T_FUNC,
  T_LIST,
  T_OBJECT,
  T_STR,
} from "../term/tags.ts";
import { insufficient, typeMismatch, VmError } from "./errors.ts";
import type { HostValue } from "../term/host.ts";
import type { Interpreter } from "./interp.ts";

/** CALL_FUNCTION: call the Function/Closure on top with its params bound from below it. */
export function callFunction(it: Interpreter, pcb: number, ip: number): void {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "CALL_FUNCTION");
  const callee = m.arg(pcb, 0);
  const tag = v.tag(callee);
  let fnCell: number;
  if (tag === T_FUNC) fnCell = callee;
  else if (tag === T_CLOSURE) fnCell = v.obj(callee) + 1;
  else throw typeMismatch("CALL_FUNCTION", "a function or closure", [v.debug(callee)]);
  const w0 = it.rt.mem.i32;
  const targetPc = w0[(fnCell << 2) + 1];
  const params = it.rt.image.paramLists[w0[(fnCell << 2) + 2]];
  const available = m.depth(pcb) - 1;
  if (available < params.length) throw insufficient(params.length, available);
  const nCaptured = tag === T_CLOSURE ? v.len(callee) : 0;
  m.pushFrame(pcb, (ip >> 2) + 1, FRAME_CALL, nCaptured + params.length);
  if (tag === T_CLOSURE) {
    // Captured variables first (object-format keys: atom in word 1), params shadow them.
    const o = v.obj(m.arg(pcb, 0));
    const w = it.rt.mem.i32;
    for (let i = 0; i < nCaptured; i++) {
      m.storeVar(pcb, w[((o + 2 + 2 * i) << 2) + 1], o + 3 + 2 * i);
    }
  }
  m.drop(pcb, 1);
  m.bindParams(pcb, params);
  it.rt.mem.i32[(pcb << 2) + P_PC] = targetPc;
}

/** CAPTURE name: add the variable's current value to the pending captures. */
export function capture(it: Interpreter, pcb: number, atom: number): void {
  const m = it.m, v = it.rt.values;
  m.varCell(pcb, atom); // Undefined variable check before allocating
  const pending = pcb + R_PENDING;
  if (v.tag(pending) !== T_OBJECT) v.putEmptyObject(pcb, pending);
  // Re-read the variable's cell: frames do not move during a collection, but be explicit.
  v.putObjectWith(pcb, pending, pending, atom, m.varCell(pcb, atom));
}

/** MAKE_LAMBDA target params: a Closure over the pending captures, which are then cleared. */
export function makeLambda(it: Interpreter, pcb: number, pc: number, paramList: number): void {
  const dst = it.m.push(pcb);
  it.rt.values.putClosure(pcb, dst, pc, paramList, pcb + R_PENDING);
  setNull(it.rt.mem.i32, pcb + R_PENDING);
}

/** THROW: raise the value on top (Exceptions are rethrown unchanged). */
export function throwValue(it: Interpreter, pcb: number, ip: number): never {
  const m = it.m, v = it.rt.values, rt = it.rt;
  m.need(pcb, 1, "THROW");
  const top = m.arg(pcb, 0);
  const tag = v.tag(top);
  const tmp = pcb + R_TMP0;
  let message: string;
  if (tag === T_EXCEPTION) {
    copyCell(rt.mem.i32, tmp, top);
    message = v.str(v.obj(top) + 1);
  } else {
    message = tag === T_STR || tag === T_ATOM_STR ? v.str(top) : `Thrown value: ${v.debug(top)}`;
    v.putException(pcb, tmp, message, [`at ${rt.image.location(ip >> 2)}`]);
  }
  m.drop(pcb, 1);
  throw new VmError(message, true);
}

/** EXPORT name: add a variable of the current frame to the running module's exports. */
export function exportVar(it: Interpreter, pcb: number, atom: number): void {
  const m = it.m, v = it.rt.values;
  m.varCell(pcb, atom); // Undefined variable check before allocating
  const exports = pcb + R_EXPORTS;
  if (v.tag(exports) !== T_OBJECT) v.putEmptyObject(pcb, exports);
  v.putObjectWith(pcb, exports, exports, atom, m.varCell(pcb, atom));
}

/** IMPORT module: bind cached exports, or start running the module in a MODULE frame. The
 *  cache holds two cells per module — its exports object and the version that made them — so
 *  IMPORT always binds the current version (LANGUAGE.md §9): after a load the module's
 *  top-level code runs again, from its new code. */
export function importModule(it: Interpreter, pcb: number, ip: number, module: number): void {
  const rt = it.rt, m = it.m, v = rt.values;
  const cache = pcb + R_MODCACHE;
  const cells = 2 * rt.image.modules.length;
  if (v.tag(cache) !== T_LIST) {
    v.putHost(pcb, cache, { kind: "list", items: nulls(cells) });
  } else if (v.len(cache) < cells) {
    // Hot code loading added modules since this process's first IMPORT: a longer cache,
    // holding the entries it had (R_MODCACHE stays a root while the new list is allocated).
    v.putHost(pcb, pcb + R_TMP0, { kind: "list", items: nulls(cells) });
    const w = rt.mem.i32, from = v.obj(cache) + 1, to = v.obj(pcb + R_TMP0) + 1;
    for (let i = v.len(cache) - 1; i >= 0; i--) copyCell(w, to + i, from + i);
    copyCell(w, cache, pcb + R_TMP0);
    setNull(w, pcb + R_TMP0);
  }
  const info = rt.image.modules[module];
  const entry = v.obj(cache) + 1 + 2 * module;
  if (v.tag(entry) === T_OBJECT && rt.mem.f64[((entry + 1) << 1) + 1] === info.version) {
    bindExports(it, pcb, entry);
    return;
  }
  const p = pcb << 2;
  const fp = m.pushFrame(pcb, (ip >> 2) + 1, FRAME_MODULE, 1);
  const w = rt.mem.i32;
  // hidden entry: key cell [KEY_MODULE_INFO, savedSpRel, module | version << 16,
  // prevModuleFpRel]
  const key = (fp + 1) << 2;
  w[key] = KEY_MODULE_INFO;
  w[key + 1] = w[p + P_SP];
  w[key + 2] = module | (info.version << MODULE_BITS);
  w[key + 3] = w[p + P_MODULE_FP];
  copyCell(w, fp + 2, pcb + R_EXPORTS);
  w[(fp << 2) + 2] = 1;
  w[p + P_FTOP] += 2; // the hidden entry
  w[p + P_MODULE_FP] = w[p + P_FP];
  setNull(w, pcb + R_EXPORTS);
  w[p + P_PC] = info.startPc;
}

function nulls(n: number): HostValue[] {
  return Array.from({ length: n }, () => ({ kind: "null" }));
}

/** Module numbers take the low bits of the module frame's info word, the version the rest. */
const MODULE_BITS = 16;

/** The running module reached HALT or its end: cache its exports, return to the importer and
 *  bind them there. */
export function finishModule(it: Interpreter, pcb: number): void {
  const rt = it.rt, m = it.m, v = rt.values, p = pcb << 2;
  let w = rt.mem.i32;
  if (v.tag(pcb + R_EXPORTS) !== T_OBJECT) v.putEmptyObject(pcb, pcb + R_EXPORTS);
  w = rt.mem.i32;
  const mfpRel = w[p + P_MODULE_FP];
  const mfp = w[p + P_FRAMES] + mfpRel;
  const key = (mfp + 1) << 2;
  const savedSp = w[key + 1];
  const module = w[key + 2] & ((1 << MODULE_BITS) - 1);
  const version = w[key + 2] >>> MODULE_BITS;
  // cache: the module's exports object and the version whose top-level code made them
  const entry = v.obj(pcb + R_MODCACHE) + 1 + 2 * module;
  copyCell(w, entry, pcb + R_EXPORTS);
  setSmallInt(w, rt.mem.f64, entry + 1, version);
  // keep the exports reachable while we unwind (R_TMP0 is a root)
  copyCell(w, pcb + R_TMP0, pcb + R_EXPORTS);
  const retPc = w[mfp << 2];
  m.unwindTo(pcb, mfpRel);
  m.leaveModuleFrame(pcb, m.frame(pcb));
  m.dropHandlersFrom(pcb, mfpRel);
  m.popFrame(pcb);
  w = rt.mem.i32;
  w[p + P_SP] = savedSp;
  bindExports(it, pcb, pcb + R_TMP0);
  setNull(rt.mem.i32, pcb + R_TMP0);
  rt.mem.i32[p + P_PC] = retPc;
}

function bindExports(it: Interpreter, pcb: number, objCell: number): void {
  const v = it.rt.values;
  const n = v.len(objCell);
  for (let i = 0; i < n; i++) {
    const o = v.obj(objCell); // frames may grow but the heap does not move here
    const w = it.rt.mem.i32;
    it.m.storeVar(pcb, w[((o + 1 + 2 * i) << 2) + 1], o + 2 + 2 * i);
  }
}

/** DUMP_SCOPE: `Current scope: Some({"a": Int(1)})`. */
export function dumpScope(it: Interpreter, pcb: number): string {
  const fp = it.m.frame(pcb);
  const n = it.rt.mem.i32[(fp << 2) + 2];
  return `Current scope: Some(${it.rt.values.debugMap(fp + 1, n, 0)})`;
}
