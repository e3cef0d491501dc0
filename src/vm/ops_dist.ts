/**
 * Distribution instructions (LANGUAGE.md §8): NODE, NODE_OF, NODES, CONNECT_NODE,
 * DISCONNECT_NODE, MONITOR_NODE, SENDNAMED_AT and SPAWN_AT. They run on any thread: what only
 * the node knows (its connections) is asked of the distribution bridge on the driver's thread
 * (src/cluster/bridge.ts) with a request, like file I/O, and the process waits for the reply;
 * what every thread can read is answered at once — this node's name (H_NODE_ATOM) and the node
 * of a proxy PID (its process-table entry).
 *
 * On a run that is not distributed the node is `nonode@nohost`: NODES is empty, CONNECT_NODE
 * and DISCONNECT_NODE answer false, and MONITOR_NODE, SENDNAMED_AT and SPAWN_AT towards
 * another node are the catchable error `Not a distributed node (start ttvm with --sname or
 * --name)`; towards this node SENDNAMED_AT and SPAWN_AT act locally.
 */
import { NO_NODE } from "../cluster/protocol.ts";
import {
  REQ_DIST_CONNECT,
  REQ_DIST_DISCONNECT,
  REQ_DIST_MONITOR_NODE,
  REQ_DIST_NODES,
  REQ_DIST_REG_SEND,
  REQ_DIST_SPAWN,
} from "../cluster/protocol.ts";
import { H_NODE_ATOM } from "../mem/layout.ts";
import { FLAG_IO_WAIT, P_FLAGS } from "../proc/pcb.ts";
import type { HostValue } from "../term/host.ts";
import {
  copyCell,
  setAtom,
  setBool,
  T_ATOM,
  T_BOOL,
  T_CLOSURE,
  T_FUNC,
  T_LIST,
  T_TUPLE,
} from "../term/tags.ts";
import { insufficient, typeMismatch, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { R_CONTINUE } from "./results.ts";
import { finishRequest, sendRequest } from "./ops_io.ts";
import * as proc from "./ops_proc.ts";

const NOT_DISTRIBUTED = "Not a distributed node (start ttvm with --sname or --name)";

/** This node's atom id (nonode@nohost when not distributed). */
function nodeAtom(it: Interpreter): number {
  const stored = Atomics.load(it.rt.mem.i32, H_NODE_ATOM);
  return stored !== 0 ? stored - 1 : it.rt.atoms.intern(NO_NODE);
}

function distributed(it: Interpreter): boolean {
  return Atomics.load(it.rt.mem.i32, H_NODE_ATOM) !== 0;
}

/** The node operand k from the top: an Atom or a Str naming a node. */
function nodeArg(it: Interpreter, pcb: number, k: number, op: string): string {
  const v = it.rt.values, c = it.m.arg(pcb, k);
  if (v.tag(c) === T_ATOM) return it.rt.atoms.name(v.aux(c));
  if (v.isStr(c)) return v.str(c);
  throw typeMismatch(op, "a node name (atom or string)", [v.debug(c)]);
}

const str = (value: string): HostValue => ({ kind: "str", value });

/** A node to send to or spawn on must be `name@host` (Erlang raises badarg otherwise). */
function checkNodeName(node: string): void {
  const at = node.indexOf("@");
  if (at <= 0 || at === node.length - 1 || node.indexOf("@", at + 1) >= 0) {
    throw new VmError(`Bad node name: ${node} (expected name@host)`);
  }
}

export function node(it: Interpreter, pcb: number): number {
  setAtom(it.rt.mem.i32, it.m.push(pcb), nodeAtom(it));
  return R_CONTINUE;
}

export function nodeOf(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 1, "NODE_OF");
  const c = m.arg(pcb, 0);
  if (!v.isInt(c)) throw typeMismatch("NODE_OF", "a pid (int)", [v.debug(c)]);
  const n = v.int(c);
  const remote = n > 0n && n <= 0x7fffffffn ? it.rt.procs.table.proxyNode(Number(n)) : -1;
  setAtom(it.rt.mem.i32, c, remote >= 0 ? remote : nodeAtom(it));
  return R_CONTINUE;
}

/** NODES, CONNECT_NODE, DISCONNECT_NODE: answered by the bridge. */
export function askNode(it: Interpreter, pcb: number, op: number, ip: number): number {
  if (it.rt.mem.i32[(pcb << 2) + P_FLAGS] & FLAG_IO_WAIT) return finishRequest(it, pcb, op, ip);
  const m = it.m;
  if (op === 0xe2) { // NODES
    if (!distributed(it)) {
      it.rt.values.putHost(pcb, m.push(pcb), { kind: "list", items: [] });
      return R_CONTINUE;
    }
    return sendRequest(it, pcb, REQ_DIST_NODES, ip, 0, []);
  }
  const name = op === 0xe3 ? "CONNECT_NODE" : "DISCONNECT_NODE";
  m.need(pcb, 1, name);
  const target = nodeArg(it, pcb, 0, name);
  if (!distributed(it)) {
    setBool(it.rt.mem.i32, m.arg(pcb, 0), target === NO_NODE && op === 0xe3);
    return R_CONTINUE;
  }
  const kind = op === 0xe3 ? REQ_DIST_CONNECT : REQ_DIST_DISCONNECT;
  return sendRequest(it, pcb, kind, ip, 0, [str(target)]);
}

export function monitorNode(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values;
  m.need(pcb, 2, "MONITOR_NODE");
  const target = nodeArg(it, pcb, 1, "MONITOR_NODE");
  const flag = m.arg(pcb, 0);
  if (v.tag(flag) !== T_BOOL) throw typeMismatch("MONITOR_NODE", "a bool flag", [v.debug(flag)]);
  if (!distributed(it)) throw new VmError(NOT_DISTRIBUTED);
  it.rt.ports.cast(pcb, REQ_DIST_MONITOR_NODE, 0, [str(target)], v.aux(flag) ? 1 : 0);
  m.drop(pcb, 2);
  return R_CONTINUE;
}

/** SENDNAMED_AT name: `{Name, Node} ! Msg`. */
export function sendNamedAt(it: Interpreter, pcb: number, nameAtom: number): number {
  const m = it.m, rt = it.rt;
  m.need(pcb, 2, "SENDNAMED_AT");
  const target = nodeArg(it, pcb, 1, "SENDNAMED_AT");
  if (target === rt.atoms.name(nodeAtom(it))) {
    // This node: SENDNAMED's semantics (an unregistered name is an error, as in Erlang).
    copyCell(rt.mem.i32, m.arg(pcb, 1), m.arg(pcb, 0));
    m.drop(pcb, 1);
    return proc.sendNamed(it, pcb, nameAtom);
  }
  if (!distributed(it)) throw new VmError(NOT_DISTRIBUTED);
  checkNodeName(target);
  const message = rt.values.toHost(m.arg(pcb, 0));
  rt.io.stdout.flush(); // causal output: what was printed before the send goes first
  rt.ports.cast(pcb, REQ_DIST_REG_SEND, 0, [str(target), str(rt.atoms.name(nameAtom)), message]);
  m.drop(pcb, 2);
  return R_CONTINUE;
}

/** Parameters a SPAWN_AT callable binds from the stack (label names and MFAs bind none). */
function callableParams(it: Interpreter, c: number): number {
  const v = it.rt.values, tag = v.tag(c);
  if (tag !== T_FUNC && tag !== T_CLOSURE) return 0;
  const fnCell = tag === T_FUNC ? c : v.obj(c) + 1;
  return it.rt.image.paramLists[it.rt.mem.i32[(fnCell << 2) + 2]].length;
}

/** SPAWN_AT: `[args…] node callable → pid`. */
export function spawnAt(it: Interpreter, pcb: number, ip: number): number {
  const m = it.m, rt = it.rt, v = rt.values;
  if (rt.mem.i32[(pcb << 2) + P_FLAGS] & FLAG_IO_WAIT) {
    return finishRequest(it, pcb, 0xe7, ip, 2 + callableParams(it, m.arg(pcb, 0)));
  }
  m.need(pcb, 2, "SPAWN_AT");
  const target = nodeArg(it, pcb, 1, "SPAWN_AT");
  const callable = m.arg(pcb, 0), tag = v.tag(callable);
  const mfa = tag === T_TUPLE;
  if (mfa) {
    const o = v.obj(callable);
    if (
      v.len(callable) !== 3 || v.tag(o + 1) !== T_ATOM || v.tag(o + 2) !== T_ATOM ||
      v.tag(o + 3) !== T_LIST
    ) {
      throw typeMismatch("SPAWN_AT", "{module, function, args} (atom, atom, list)", [
        v.debug(callable),
      ]);
    }
  } else if (!v.isStr(callable) && tag !== T_FUNC && tag !== T_CLOSURE) {
    throw typeMismatch("SPAWN_AT", "a function, closure, label name or {module, function, args}", [
      v.debug(callable),
    ]);
  }
  if (target === rt.atoms.name(nodeAtom(it))) {
    if (mfa) throw new VmError("SPAWN_AT: {module, function, args} names Erlang code, not ttvm's");
    // This node: SPAWN with the node operand removed.
    copyCell(rt.mem.i32, m.arg(pcb, 1), callable);
    m.drop(pcb, 1);
    return proc.spawn(it, pcb, 0x80);
  }
  if (!distributed(it)) throw new VmError(NOT_DISTRIBUTED);
  checkNodeName(target);
  const n = callableParams(it, callable);
  const available = m.depth(pcb) - 2;
  if (available < n) throw insufficient(n, available);
  const args: HostValue[] = [str(target), v.toHost(callable)];
  for (let i = 0; i < n; i++) args.push(v.toHost(m.arg(pcb, n + 1 - i)));
  rt.io.stdout.flush();
  return sendRequest(it, pcb, REQ_DIST_SPAWN, ip, 0, args);
}
