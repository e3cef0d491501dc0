/**
 * Concurrency instructions (LANGUAGE.md §3–§4): spawning, sending, receiving, registry, links,
 * monitors, exit signals and supervisors. Each returns the slice result (R_CONTINUE to go on).
 *
 * Receive: a blocked receive leaves its operands on the stack and pc on itself, so the same
 * instruction runs again when the process is woken (by a signal or its timer). Selective
 * receive remembers the last message it rejected (P_SAVE_NODE, valid while P_SAVE_PC is this
 * instruction), so a wake-up only scans messages that arrived since — a server with 100,000
 * queued messages it does not want pays for each of them once, not once per wake-up.
 */
import { copyValue, takeCopiedConn } from "../term/copy.ts";
import { matches } from "../term/match.ts";
import { drainWorkReductions } from "../term/work.ts";
import {
  FLAG_TRAP_EXIT,
  P_DEADLINE,
  P_FLAGS,
  P_PC,
  P_PID,
  P_SAVE_PC,
  P_SP,
  P_STACK,
  P_TIMER_SEQ,
  R_REASON,
  R_TMP0,
} from "../proc/pcb.ts";
import { REL_LINK, REL_MON, REL_NAME, REL_WATCH } from "../proc/relations.ts";
import {
  EXIT_DIRECT,
  freeNode,
  hasSignalsAt,
  nodeValueCells,
  valueCellOf,
} from "../proc/signals.ts";
import { RESTART_EXIT_NOW, RESTART_WAIT } from "../proc/supervisor.ts";
import {
  copyCell,
  HDR_LEN,
  isSelfContainedTag,
  setBool,
  setNull,
  setPid,
  setSmallInt,
  smallIntOf,
  T_BOOL,
  T_CLOSURE,
  T_FLOAT,
  T_FUNC,
} from "../term/tags.ts";
import { insufficient, typeMismatch, underflow, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import type { Runtime } from "./runtime.ts";
import { R_CONTINUE, R_DONE, R_WAIT, R_YIELD } from "./results.ts";

const NO_PARAMS = new Int32Array(0);
const NO_BINDINGS = Object.freeze([]) as unknown as Array<[number, number]>;

/** SPAWN / SPAWN_LINK / SPAWN_MONITOR. */
export function spawn(it: Interpreter, pcb: number, op: number): number {
  const rt = it.rt, m = it.m, v = rt.values, procs = rt.procs;
  const name = op === 0x80 ? "SPAWN" : op === 0x91 ? "SPAWN_LINK" : "SPAWN_MONITOR";
  m.need(pcb, 1, name);
  const callable = m.arg(pcb, 0);
  const tag = v.tag(callable);
  let entryPc: number;
  let params: Int32Array = NO_PARAMS;
  let fnCell = -1;
  if (v.isStr(callable)) {
    entryPc = rt.supervisors.labelPc(v.str(callable));
  } else if (tag === T_FUNC || tag === T_CLOSURE) {
    fnCell = tag === T_FUNC ? callable : v.obj(callable) + 1;
    entryPc = rt.mem.i32[(fnCell << 2) + 1];
    params = rt.image.paramLists[rt.mem.i32[(fnCell << 2) + 2]];
  } else {
    throw typeMismatch(name, "a function, closure or label name", [v.debug(callable)]);
  }
  const available = m.depth(pcb) - 1;
  if (available < params.length) throw insufficient(params.length, available);
  const self = rt.mem.i32[(pcb << 2) + P_PID];
  const { pid, pcb: child } = procs.create(self, entryPc);
  if (fnCell >= 0) {
    // A function without parameters (most spawns) binds nothing: no array is made for it.
    const bindings: Array<[number, number]> = tag === T_CLOSURE || params.length > 0
      ? []
      : NO_BINDINGS;
    if (tag === T_CLOSURE) {
      const o = v.obj(callable), n = rt.mem.i32[(o << 2) + HDR_LEN];
      for (let i = 0; i < n; i++) {
        bindings.push([rt.mem.i32[((o + 2 + 2 * i) << 2) + 1], o + 3 + 2 * i]);
      }
    }
    for (let i = 0; i < params.length; i++) {
      bindings.push([params[i], m.arg(pcb, params.length - i)]);
    }
    procs.bindEntryFrame(child, bindings);
  }
  m.drop(pcb, 1 + params.length);
  let ref = 0;
  if (op === 0x91) { // SPAWN_LINK: both sides linked before the child runs
    procs.rel.add(pcb, REL_LINK, pid);
    procs.rel.add(child, REL_LINK, self);
  } else if (op === 0x92) { // SPAWN_MONITOR
    ref = procs.newRef();
    procs.rel.add(pcb, REL_MON, ref, pid);
    procs.rel.add(child, REL_WATCH, ref, self);
  }
  setPid(rt.mem.i32, rt.mem.f64, m.push(pcb), pid);
  if (op === 0x92) setSmallInt(rt.mem.i32, rt.mem.f64, m.push(pcb), ref);
  procs.start(pid);
  return R_CONTINUE;
}

/** The PID operand: the literal when non-zero, else popped from below `above` other args. */
function pidArg(it: Interpreter, pcb: number, literal: number, op: string, above: number): number {
  if (literal > 0) return literal;
  const m = it.m;
  m.need(pcb, above + 1, op);
  return pidIn(it, m.arg(pcb, above), op);
}

/** The PID in cell `c`, an operand of `op`. */
function pidIn(it: Interpreter, c: number, op: string): number {
  const v = it.rt.values;
  if (!v.isInt(c)) throw typeMismatch(op, "a pid (int)", [v.debug(c)]);
  return smallIntOf(v.intNumber(c));
}

/** SEND: the stack words are read directly, not through `pidArg` and the Machine (the most
 *  frequent slow-path instruction: that was 4 % of counting). */
export function send(it: Interpreter, pcb: number, literal: number): number {
  const rt = it.rt, w = rt.mem.i32, p = pcb << 2;
  const depth = w[p + P_SP], operands = literal > 0 ? 1 : 2;
  if (depth < operands) throw underflow("SEND");
  const value = w[p + P_STACK] + depth - 1;
  const to = literal > 0 ? literal : pidIn(it, value - 1, "SEND");
  rt.procs.send(w[p + P_PID], to, value);
  rt.mem.i32[p + P_SP] = depth - operands; // the copy may have grown the buffer
  return R_CONTINUE;
}

export function sendNamed(it: Interpreter, pcb: number, atom: number): number {
  const m = it.m, procs = it.rt.procs;
  m.need(pcb, 1, "SEND_NAMED");
  const to = procs.registry.whereis(atom);
  if (to === 0) throw new VmError(`No process registered as ${it.rt.atoms.name(atom)}`);
  procs.send(procs.pid(pcb), to, m.arg(pcb, 0));
  m.drop(pcb, 1);
  return R_CONTINUE;
}

const RECEIVE_NAMES = ["RECEIVE", "", "RECEIVE_MATCH", "RECEIVE_AFTER", "RECEIVE_MATCH_AFTER"];

/** RECEIVE, RECEIVE_AFTER, RECEIVE_MATCH, RECEIVE_MATCH_AFTER. */
export function receive(it: Interpreter, pcb: number, op: number, ip: number): number {
  const rt = it.rt, m = it.m, v = rt.values, procs = rt.procs;
  const p = pcb << 2;
  const pc = ip >> 2;
  if (op === 0x8c) return receiveAny(it, pcb, pc);
  const hasPattern = op === 0x8e || op === 0x90;
  const hasTimeout = op === 0x8f || op === 0x90;
  const nArgs = (hasPattern ? 1 : 0) + (hasTimeout ? 1 : 0);
  const name = RECEIVE_NAMES[op - 0x8c];
  if (nArgs > 0) m.need(pcb, nArgs, name);
  let timeoutMs = -1;
  if (hasTimeout) {
    const c = m.arg(pcb, 0);
    if (v.isInt(c)) timeoutMs = v.intNumber(c);
    else if (v.tag(c) === T_FLOAT) timeoutMs = Math.trunc(v.num(c));
    else throw typeMismatch(name, "an int timeout (milliseconds)", [v.debug(c)]);
    timeoutMs = Math.max(0, timeoutMs);
  }
  const pid = rt.mem.i32[p + P_PID], e = procs.table.entry(pid);
  if (procs.handleSignalsAt(pcb, pid, e, false)) return R_DONE;
  const w = rt.mem.i32;
  const pattern = hasPattern ? m.arg(pcb, hasTimeout ? 1 : 0) : -1;
  const resuming = w[p + P_SAVE_PC] === pc;
  const mailbox = procs.mailbox;
  let node: number;
  if (pattern < 0) {
    node = mailbox.takeOldest(pcb, e, pc);
  } else {
    node = mailbox.select(pcb, pc, (cell) => matches(v, pattern, cell));
    if (node !== 0) mailbox.take(pcb, e, node);
  }
  if (node !== 0) {
    takeMessage(it, pcb, node, nArgs);
    return R_CONTINUE;
  }
  if (hasTimeout) {
    const now = rt.clock();
    if (w[p + P_DEADLINE] < 0 || !resuming) {
      if (timeoutMs === 0) return timeout(it, pcb, nArgs, rt.image.code[ip + 1]);
      // The clock counts whole milliseconds (rounded down): one more so that at least the
      // full timeout passes.
      w[p + P_DEADLINE] = now + timeoutMs + 1;
      const seq = ++w[p + P_TIMER_SEQ];
      rt.procs.sched.armTimer(procs.pid(pcb), w[p + P_DEADLINE], seq);
    } else if (now >= w[p + P_DEADLINE]) {
      return timeout(it, pcb, nArgs, rt.image.code[ip + 1]);
    }
  }
  w[p + P_PC] = pc; // run this receive again when woken
  return R_WAIT;
}

/** RECEIVE (no pattern, no timeout): the oldest message, or wait. */
export function receiveAny(it: Interpreter, pcb: number, pc: number): number {
  const procs = it.rt.procs, p = pcb << 2;
  const pid = it.rt.mem.i32[p + P_PID], e = procs.table.entry(pid);
  if (procs.handleSignalsAt(pcb, pid, e, false)) return R_DONE;
  const node = procs.mailbox.takeOldest(pcb, e, pc);
  if (node === 0) {
    it.rt.mem.i32[p + P_PC] = pc; // run this receive again when woken
    return R_WAIT;
  }
  takeMessage(it, pcb, node, 0);
  return R_CONTINUE;
}

function timeout(it: Interpreter, pcb: number, nArgs: number, label: number): number {
  const w = it.rt.mem.i32, p = pcb << 2;
  it.m.drop(pcb, nArgs);
  it.rt.procs.mailbox.endReceive(pcb);
  w[p + P_DEADLINE] = -1;
  w[p + P_TIMER_SEQ]++; // disarm
  w[p + P_PC] = label;
  return R_CONTINUE;
}

/** Copy a message into the heap, replace the receive's operands with it, free the node
 *  (which the mailbox's take or takeOldest unlinked, ending the receive). */
function takeMessage(it: Interpreter, pcb: number, node: number, nArgs: number): void {
  const rt = it.rt, p = pcb << 2;
  const src = valueCellOf(rt.mem.i32, node);
  if (!isSelfContainedTag(rt.mem.i32[src << 2])) {
    rt.heap.reserve(pcb, nodeValueCells(rt.mem.i32, node)); // no walk to size the copy
  }
  const value = copyOut(rt, pcb, src);
  // The stack has room where the operands were (or grows without collecting).
  it.m.drop(pcb, nArgs);
  const dst = it.m.push(pcb); // before reading mem.i32: a stack growth may grow the buffer
  const w = rt.mem.i32;
  copyCell(w, dst, value);
  if (value !== src) setNull(w, value);
  freeNode(rt.mem, node);
  if (w[p + P_DEADLINE] >= 0) {
    w[p + P_DEADLINE] = -1;
    w[p + P_TIMER_SEQ]++; // disarm
  }
}

/** The cell holding a message's value ready for the stack: the node's own cell for a
 *  scalar; otherwise R_TMP0, after copying the value into the heap (whose room the caller
 *  made) and adopting any port handle in it. */
function copyOut(rt: Runtime, pcb: number, src: number): number {
  if (isSelfContainedTag(rt.mem.i32[src << 2])) return src;
  copyValue(rt.mem.i32, src, pcb + R_TMP0, rt.heap.bumpFor(pcb));
  if (takeCopiedConn()) rt.ports.adopt(pcb, pcb + R_TMP0);
  return pcb + R_TMP0;
}

/**
 * A plain RECEIVE for compiled code (src/jit/tier.ts `receive`), when nothing but the take
 * has to happen: no signal pending, no receive timer armed, a message in the mailbox, and its
 * value a scalar or heap objects that fit in the free heap (never a collection; never under
 * --stress-gc). Takes the oldest message onto stack cell `dst` (which has room) and returns
 * the reductions its copy's work costs (0 for a scalar); otherwise changes nothing and returns
 * -1, and the interpreter's receive runs (it handles the signals, collects, disarms the timer
 * or waits). A signal that arrives just after the check is one that arrived after the
 * receive. Small on purpose: V8 inlines it into compiled message loops, which most often take
 * scalars; a composite's copy is `receiveComposite`'s.
 */
export function receiveDirect(rt: Runtime, pcb: number, dst: number): number {
  const procs = rt.procs, w = rt.mem.i32, p = pcb << 2;
  if (w[p + P_DEADLINE] >= 0) return -1;
  const e = procs.table.entry(w[p + P_PID]);
  if (hasSignalsAt(rt.mem, e)) return -1;
  const node = procs.mailbox.oldest(pcb);
  if (node === 0) return -1;
  const src = valueCellOf(rt.mem.i32, node);
  if (!isSelfContainedTag(w[src << 2])) return receiveComposite(rt, pcb, dst, e, node);
  procs.mailbox.takeOldest(pcb, e, 0); // unlinks `node`: the mailbox is not empty
  copyCell(w, dst, src);
  freeNode(rt.mem, node);
  return 0;
}

/** receiveDirect for a value with heap objects: only when they fit in the free heap. */
function receiveComposite(rt: Runtime, pcb: number, dst: number, e: number, node: number): number {
  if (!rt.heap.hasRoom(pcb, nodeValueCells(rt.mem.i32, node))) return -1;
  rt.procs.mailbox.takeOldest(pcb, e, 0); // unlinks `node`: the mailbox is not empty
  const value = copyOut(rt, pcb, valueCellOf(rt.mem.i32, node));
  const w = rt.mem.i32; // adopting a port may have grown the buffer
  copyCell(w, dst, value);
  setNull(w, value);
  freeNode(rt.mem, node);
  return drainWorkReductions(); // the copy's work, charged as slowAt charges it
}

/** SLEEP: suspend only this process; messages do not end the sleep. */
export function sleep(it: Interpreter, pcb: number, ip: number): number {
  const rt = it.rt, m = it.m, v = rt.values, p = pcb << 2, pc = ip >> 2;
  m.need(pcb, 1, "SLEEP");
  const c = m.arg(pcb, 0);
  let ms: number;
  if (v.isInt(c)) ms = v.intNumber(c);
  else if (v.tag(c) === T_FLOAT) ms = Math.trunc(v.num(c));
  else throw typeMismatch("SLEEP", "int or float (milliseconds)", [v.debug(c)]);
  const w = rt.mem.i32;
  const now = rt.clock();
  if (w[p + P_SAVE_PC] !== pc || w[p + P_DEADLINE] < 0) {
    if (ms <= 0) {
      m.drop(pcb, 1);
      return R_YIELD;
    }
    w[p + P_SAVE_PC] = pc;
    w[p + P_DEADLINE] = now + ms + 1; // whole milliseconds, rounded down: see receive
    rt.procs.sched.armTimer(rt.procs.pid(pcb), w[p + P_DEADLINE], ++w[p + P_TIMER_SEQ]);
  } else if (now >= w[p + P_DEADLINE]) {
    m.drop(pcb, 1);
    w[p + P_SAVE_PC] = -1;
    w[p + P_DEADLINE] = -1;
    return R_CONTINUE;
  }
  w[p + P_PC] = pc;
  return R_WAIT;
}

export function register(it: Interpreter, pcb: number, atom: number): number {
  const procs = it.rt.procs;
  if (!procs.registry.register(atom, procs.pid(pcb))) {
    throw new VmError(`Name already registered: ${it.rt.atoms.name(atom)}`);
  }
  procs.rel.add(pcb, REL_NAME, atom);
  return R_CONTINUE;
}

export function unregister(it: Interpreter, atom: number): number {
  if (!it.rt.procs.registry.unregister(atom)) {
    throw new VmError(`Name not registered: ${it.rt.atoms.name(atom)}`);
  }
  return R_CONTINUE;
}

export function whereis(it: Interpreter, pcb: number, atom: number): number {
  const pid = it.rt.procs.registry.whereis(atom);
  if (pid === 0) setSmallInt(it.rt.mem.i32, it.rt.mem.f64, it.m.push(pcb), 0);
  else setPid(it.rt.mem.i32, it.rt.mem.f64, it.m.push(pcb), pid);
  return R_CONTINUE;
}

export function link(it: Interpreter, pcb: number, literal: number): number {
  const procs = it.rt.procs;
  const target = pidArg(it, pcb, literal, "LINK", 0);
  if (literal === 0) it.m.drop(pcb, 1);
  if (!procs.link(pcb, target)) {
    if (procs.flags(pcb) & FLAG_TRAP_EXIT) {
      procs.notifyNoproc(pcb, target);
    } else {
      throw new VmError("noproc");
    }
  }
  return R_CONTINUE;
}

export function unlink(it: Interpreter, pcb: number, literal: number): number {
  const target = pidArg(it, pcb, literal, "UNLINK", 0);
  if (literal === 0) it.m.drop(pcb, 1);
  it.rt.procs.unlink(pcb, target);
  return R_CONTINUE;
}

export function monitor(it: Interpreter, pcb: number, literal: number): number {
  const target = pidArg(it, pcb, literal, "MONITOR", 0);
  if (literal === 0) it.m.drop(pcb, 1);
  const ref = it.rt.procs.monitor(pcb, target);
  setSmallInt(it.rt.mem.i32, it.rt.mem.f64, it.m.push(pcb), ref);
  return R_CONTINUE;
}

export function demonitor(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "DEMONITOR");
  const c = m.arg(pcb, 0);
  if (!v.isInt(c)) throw typeMismatch("DEMONITOR", "a monitor reference (int)", [v.debug(c)]);
  it.rt.procs.demonitor(pcb, v.intNumber(c));
  m.drop(pcb, 1);
  return R_CONTINUE;
}

export function trapExit(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values, w = it.rt.mem.i32, p = pcb << 2;
  m.need(pcb, 1, "TRAP_EXIT");
  const c = m.arg(pcb, 0);
  if (v.tag(c) !== T_BOOL) throw new VmError("Type error: TRAP_EXIT requires boolean value");
  if (v.aux(c)) w[p + P_FLAGS] |= FLAG_TRAP_EXIT;
  else w[p + P_FLAGS] &= ~FLAG_TRAP_EXIT;
  m.drop(pcb, 1);
  return R_CONTINUE;
}

export function exitSelf(it: Interpreter, pcb: number): number {
  const m = it.m;
  m.need(pcb, 1, "EXIT_SELF");
  copyCell(it.rt.mem.i32, pcb + R_REASON, m.arg(pcb, 0));
  m.drop(pcb, 1);
  return R_DONE;
}

export function exitSignal(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values, procs = it.rt.procs;
  m.need(pcb, 2, "EXIT_SIGNAL");
  const target = m.arg(pcb, 1);
  if (!v.isInt(target)) throw typeMismatch("EXIT_SIGNAL", "a pid (int)", [v.debug(target)]);
  const pid = v.intNumber(target);
  procs.sendExitCell(procs.pid(pcb), pid, m.arg(pcb, 0), EXIT_DIRECT);
  m.drop(pcb, 2);
  // A signal to oneself takes effect now, as in Erlang.
  if (pid === procs.pid(pcb) && procs.handleSignals(pcb)) return R_DONE;
  return R_CONTINUE;
}

export function isAlive(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "IS_ALIVE");
  const c = m.arg(pcb, 0);
  if (!v.isInt(c)) throw typeMismatch("IS_ALIVE", "a pid (int)", [v.debug(c)]);
  setBool(it.rt.mem.i32, c, it.rt.procs.table.isAlive(v.intNumber(c)));
  return R_CONTINUE;
}

export function self(it: Interpreter, pcb: number): number {
  const w = it.rt.mem.i32;
  setPid(w, it.rt.mem.f64, it.m.push(pcb), w[(pcb << 2) + P_PID]);
  return R_CONTINUE;
}

// ── supervisors ─────────────────────────────────────────────────────────────────────────────

export function supervisorOp(it: Interpreter, pcb: number, op: number, ip: number): number {
  const sup = it.rt.supervisors, code = it.rt.image.code;
  const a = code[ip + 1], b = code[ip + 2], c = code[ip + 3];
  switch (op) {
    case 0x88: // START_SUPERVISOR
      sup.start(pcb, a, b, c);
      break;
    case 0x89: // SUPERVISE_CHILD
      sup.superviseChild(pcb, a, b, c);
      break;
    case 0x8a: { // RESTART_CHILD
      const r = sup.restartChild(pcb, a);
      if (r === RESTART_EXIT_NOW) return R_DONE;
      if (r === RESTART_WAIT) return R_WAIT; // supervising only, until the children are gone
      break;
    }
    case 0x99: { // WHICH_CHILDREN
      const children = sup.whichChildren(pcb);
      const dst = it.m.push(pcb);
      it.rt.values.putHost(pcb, dst, {
        kind: "list",
        items: children.map((ch) => ({
          kind: "object" as const,
          entries: [["id", { kind: "str", value: ch.id }], ["pid", {
            kind: "int",
            value: BigInt(ch.pid),
            pid: ch.pid !== 0,
          }]] as Array<
            [string, { kind: "str"; value: string } | { kind: "int"; value: bigint; pid: boolean }]
          >,
        })),
      });
      break;
    }
  }
  return R_CONTINUE;
}
