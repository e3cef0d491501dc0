/**
 * Port instructions (LANGUAGE.md §7): sockets, UDP, DNS, HTTP client and server, futures,
 * streams, databases. Each checks its operands here, in the process — types, and that the
 * Connection operand belongs to the caller (the port table says so on every thread) — then
 * either answers at once (CONN_PORT, a handover, a close, an HTTP answer) or sends the port
 * driver a request and suspends its process until the reply (src/vm/ops_io.ts sendRequest /
 * finishRequest). Errors the program can act on are catchable VmErrors with the texts of §7.
 */
import { FLAG_IO_WAIT, FLAG_USES_PORTS, P_FLAGS, P_PID } from "../proc/pcb.ts";
import { PS_ANSWERED, PS_CLOSED } from "../ports/port_table.ts";
import { REQ_CLOSE, REQ_HANDOVER } from "../ports/protocol.ts";
import { WRITE_WINDOW_BYTES } from "../ports/protocol.ts";
import type { HostValue } from "../term/host.ts";
import {
  CONN_KINDS,
  setConn,
  setSmallInt,
  T_ATOM,
  T_BOOL,
  T_BYTES,
  T_CONN,
  T_LIST,
  T_OBJECT,
} from "../term/tags.ts";
import { typeMismatch, VmError } from "./errors.ts";
import type { Interpreter } from "./interp.ts";
import { R_CONTINUE } from "./results.ts";
import { finishRequest, sendRequest } from "./ops_io.ts";
import { OP_BY_CODE } from "../isa/opcodes.ts";

/** Connection kinds (indices into CONN_KINDS). */
export const K_TCP = 0;
export const K_LISTENER = 1;
export const K_UDP = 2;
export const K_HTTP_LISTENER = 3;
export const K_HTTP_REQUEST = 4;
export const K_FUTURE = 5;
export const K_DB = 6;
export const K_STREAM = 7;

const str = (value: string): HostValue => ({ kind: "str", value });
const int = (n: number): HostValue => ({ kind: "int", value: BigInt(n) });

/** How a Connection prints (for error texts). */
export function connText(kind: number, id: number): string {
  return `Connection(${CONN_KINDS[kind] ?? "?"}#${id})`;
}

function opName(op: number): string {
  return OP_BY_CODE[op]!.name;
}

/** The Connection operand k from the top: its handle id, after checking its kind, that it is
 *  open and that the caller owns it (any holder may answer an HTTP request). */
function connArg(it: Interpreter, pcb: number, k: number, op: number, kinds: number[]): number {
  const c = it.m.arg(pcb, k), v = it.rt.values, w = it.rt.mem.i32;
  const name = opName(op);
  if (v.tag(c) !== T_CONN) {
    throw typeMismatch(name, `a ${kinds.map((x) => CONN_KINDS[x]).join(" or ")} connection`, [
      v.debug(c),
    ]);
  }
  const id = w[(c << 2) + 1], kind = w[(c << 2) + 2];
  if (!kinds.includes(kind)) {
    throw typeMismatch(name, `a ${kinds.map((x) => CONN_KINDS[x]).join(" or ")} connection`, [
      connText(kind, id),
    ]);
  }
  const table = it.rt.ports.table;
  if (kind === K_HTTP_REQUEST) return id;
  if (table.state(id) & PS_CLOSED) throw new VmError(`Connection closed: ${connText(kind, id)}`);
  if (table.owner(id) !== w[(pcb << 2) + P_PID]) {
    throw new VmError(`Not the owner of ${connText(kind, id)}`);
  }
  return id;
}

function strArg(it: Interpreter, pcb: number, k: number, op: number, what: string): string {
  const c = it.m.arg(pcb, k), v = it.rt.values;
  if (!v.isStr(c)) throw typeMismatch(opName(op), what, [v.debug(c)]);
  return v.str(c);
}

function portArg(it: Interpreter, pcb: number, k: number, op: number): number {
  const c = it.m.arg(pcb, k), v = it.rt.values;
  if (!v.isInt(c)) throw typeMismatch(opName(op), "an int port number", [v.debug(c)]);
  const n = v.intNumber(c);
  if (n < 0 || n > 65535) throw new VmError(`Invalid port: ${n}`);
  return n;
}

function intArg(it: Interpreter, pcb: number, k: number, op: number, what: string): number {
  const c = it.m.arg(pcb, k), v = it.rt.values;
  if (!v.isInt(c)) throw typeMismatch(opName(op), what, [v.debug(c)]);
  return v.intNumber(c);
}

/** A Str (sent as UTF-8) or Bytes operand. */
function dataArg(it: Interpreter, pcb: number, k: number, op: number): HostValue {
  const c = it.m.arg(pcb, k), v = it.rt.values;
  if (v.isStr(c)) return str(v.str(c));
  if (v.tag(c) === T_BYTES) return { kind: "bytes", value: v.bytes(c) };
  throw typeMismatch(opName(op), "a string or bytes", [v.debug(c)]);
}

/** An Object operand as host value (headers, query parameters). */
function objectArg(it: Interpreter, pcb: number, k: number, op: number, what: string): HostValue {
  const c = it.m.arg(pcb, k), v = it.rt.values;
  if (v.tag(c) !== T_OBJECT) throw typeMismatch(opName(op), what, [v.debug(c)]);
  return v.toHost(c);
}

/** A port instruction. Returns R_CONTINUE, or R_WAIT while its request is out. */
export function portOp(it: Interpreter, pcb: number, op: number, ip: number): number {
  if (it.rt.mem.i32[(pcb << 2) + P_FLAGS] & FLAG_IO_WAIT) return finishRequest(it, pcb, op, ip);
  const m = it.m, v = it.rt.values;
  const name = opName(op);
  const pops = OP_BY_CODE[op]!.pops;
  if (pops > 0) m.need(pcb, pops, name);
  const send = (handle: number, args: HostValue[], a = 0) =>
    sendRequest(it, pcb, op, ip, handle, args, a);
  switch (op) {
    // ── TCP ──
    case 0xb3: // TCP_LISTEN
      return send(0, [str("127.0.0.1"), int(portArg(it, pcb, 0, op))]);
    case 0xba: // TCP_LISTEN_ON
      return send(0, [str(strArg(it, pcb, 1, op, "a host string")), int(portArg(it, pcb, 0, op))]);
    case 0xbb: // TCP_ACCEPT
      return send(connArg(it, pcb, 0, op, [K_LISTENER]), []);
    case 0xb2: // TCP_CONNECT
      return send(0, [str(strArg(it, pcb, 1, op, "a host string")), int(portArg(it, pcb, 0, op))]);
    case 0xb4: // TCP_SEND
      return tcpSend(it, pcb, op, ip);
    case 0xb5: { // TCP_RECV
      const id = connArg(it, pcb, 1, op, [K_TCP]);
      const size = intArg(it, pcb, 0, op, "an int size");
      if (size < 0) throw new VmError(`TCP_RECV size must be >= 0, got ${size}`);
      return send(id, [], size);
    }
    case 0xbc: // TCP_RECV_LINE
      return send(connArg(it, pcb, 0, op, [K_TCP]), []);
    // ── UDP ──
    case 0xb6: // UDP_BIND
      return send(0, [str("127.0.0.1"), int(portArg(it, pcb, 0, op))]);
    case 0xd4: // UDP_BIND_ON
      return send(0, [str(strArg(it, pcb, 1, op, "a host string")), int(portArg(it, pcb, 0, op))]);
    case 0xb7: { // UDP_SEND
      const id = connArg(it, pcb, 3, op, [K_UDP]);
      const host = strArg(it, pcb, 2, op, "a host string");
      return send(id, [str(host), int(portArg(it, pcb, 1, op)), dataArg(it, pcb, 0, op)]);
    }
    case 0xb8: // UDP_RECV
      return send(connArg(it, pcb, 0, op, [K_UDP]), []);
    // ── DNS, HTTP client ──
    case 0xb9: // DNS_RESOLVE
      return send(0, [str(strArg(it, pcb, 0, op, "a host name string"))]);
    case 0xb0: // HTTP_GET
      return send(0, [
        str("GET"),
        str(strArg(it, pcb, 0, op, "a URL string")),
        emptyObject(),
        str(""),
      ]);
    case 0xb1: // HTTP_POST
      return send(0, [
        str("POST"),
        str(strArg(it, pcb, 1, op, "a URL string")),
        emptyObject(),
        dataArg(it, pcb, 0, op),
      ]);
    case 0xd5: // HTTP_REQUEST
      return send(0, [
        str(strArg(it, pcb, 3, op, "a method string")),
        str(strArg(it, pcb, 2, op, "a URL string")),
        objectArg(it, pcb, 1, op, "an object of headers"),
        dataArg(it, pcb, 0, op),
      ]);
    // ── HTTP server ──
    case 0xd6: // HTTP_LISTEN
      return send(0, [str("127.0.0.1"), int(portArg(it, pcb, 0, op))]);
    case 0xd7: // HTTP_LISTEN_ON
      return send(0, [str(strArg(it, pcb, 1, op, "a host string")), int(portArg(it, pcb, 0, op))]);
    case 0xd8: // HTTP_RESPOND
      return respond(it, pcb);
    // ── futures ──
    case 0xc0: // ASYNC_READ
      return startFuture(it, pcb, op, [str(strArg(it, pcb, 0, op, "a string filename"))]);
    case 0xc1: { // ASYNC_WRITE
      const content = dataArg(it, pcb, 1, op);
      return startFuture(it, pcb, op, [str(strArg(it, pcb, 0, op, "a string filename")), content]);
    }
    case 0xc2: // AWAIT
      return send(connArg(it, pcb, 0, op, [K_FUTURE]), []);
    // ── streams ──
    case 0xc3: { // STREAM_CREATE
      const mode = strArg(it, pcb, 0, op, 'a mode string ("r", "w" or "a")');
      if (mode !== "r" && mode !== "w" && mode !== "a") {
        throw new VmError(`Invalid stream mode: ${mode} (expected "r", "w" or "a")`);
      }
      return send(0, [str(strArg(it, pcb, 1, op, "a string filename")), str(mode)]);
    }
    case 0xc4: { // STREAM_READ
      const id = connArg(it, pcb, 1, op, [K_STREAM]);
      const size = intArg(it, pcb, 0, op, "an int size");
      if (size < 1) throw new VmError(`STREAM_READ size must be >= 1, got ${size}`);
      return send(id, [], size);
    }
    case 0xc5: { // STREAM_WRITE
      const id = connArg(it, pcb, 1, op, [K_STREAM]);
      return send(id, [dataArg(it, pcb, 0, op)]);
    }
    case 0xc6: // STREAM_CLOSE
      return send(connArg(it, pcb, 0, op, [K_STREAM]), []);
    // ── databases ──
    case 0xd0: // DB_CONNECT
      return send(0, [str(strArg(it, pcb, 0, op, 'a database path or ":memory:"'))]);
    case 0xd1: // DB_QUERY
    case 0xd2: { // DB_EXEC
      const id = connArg(it, pcb, 2, op, [K_DB]);
      const sql = strArg(it, pcb, 1, op, "an SQL string");
      const params = it.m.arg(pcb, 0);
      if (v.tag(params) !== T_LIST && v.tag(params) !== 0) {
        throw typeMismatch(name, "a list of parameters (or null)", [v.debug(params)]);
      }
      return send(id, [
        str(sql),
        v.tag(params) === 0 ? { kind: "list", items: [] } : v.toHost(params),
      ]);
    }
    // ── answered at once ──
    case 0xbf: { // CONN_PORT
      const id = connArg(it, pcb, 0, op, [K_TCP, K_LISTENER, K_UDP, K_HTTP_LISTENER]);
      const w = it.rt.mem.i32;
      setSmallInt(w, it.rt.mem.f64, m.arg(pcb, 0), it.rt.ports.table.localPort(id));
      return R_CONTINUE;
    }
    case 0xbe: // CONN_CLOSE
      return close(it, pcb);
    case 0xbd: // TCP_ACTIVE
      return setActive(it, pcb, op);
    case 0xd3: // CONN_HANDOVER
      return handover(it, pcb);
  }
  throw new Error(`internal error: portOp(${op})`);
}

const emptyObject = (): HostValue => ({ kind: "object", entries: [] });

/** CONN_CLOSE: closing twice (or a handle the peer closed) is a no-op. */
function close(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values, w = it.rt.mem.i32;
  const c = m.arg(pcb, 0);
  if (v.tag(c) !== T_CONN) throw typeMismatch("CONN_CLOSE", "a connection", [v.debug(c)]);
  const id = w[(c << 2) + 1], kind = w[(c << 2) + 2];
  const table = it.rt.ports.table;
  if (!(table.state(id) & PS_CLOSED)) {
    if (kind !== K_HTTP_REQUEST && table.owner(id) !== w[(pcb << 2) + P_PID]) {
      throw new VmError(`Not the owner of ${connText(kind, id)}`);
    }
    if (table.setState(id, PS_CLOSED)) it.rt.ports.cast(pcb, REQ_CLOSE, id);
  }
  m.drop(pcb, 1);
  return R_CONTINUE;
}

const encoder = new TextEncoder();

/** TCP_SEND: the bytes go out without waiting while the socket's unwritten bytes stay within
 *  the window; beyond it the process waits until this write is done (back-pressure). */
function tcpSend(it: Interpreter, pcb: number, op: number, ip: number): number {
  const m = it.m, mem = it.rt.mem;
  const id = connArg(it, pcb, 1, op, [K_TCP]);
  const data = dataArg(it, pcb, 0, op);
  const bytes = data.kind === "str"
    ? encoder.encode(data.value)
    : (data as { value: Uint8Array }).value;
  const queued = it.rt.ports.table.addPendingWrite(id, bytes.length);
  const args: HostValue[] = [{ kind: "bytes", value: bytes }];
  if (queued > WRITE_WINDOW_BYTES) return sendRequest(it, pcb, op, ip, id, args);
  it.rt.ports.cast(pcb, op, id, args);
  m.drop(pcb, 2);
  setSmallInt(mem.i32, mem.f64, m.push(pcb), bytes.length);
  return R_CONTINUE;
}

/** TCP_ACTIVE conn mode: true, false or "once" (also for UDP sockets). No wait: requests of
 *  one process reach the driver in order, so a receive after it sees the new mode. */
function setActive(it: Interpreter, pcb: number, op: number): number {
  const m = it.m, v = it.rt.values;
  const id = connArg(it, pcb, 1, op, [K_TCP, K_UDP]);
  const c = m.arg(pcb, 0);
  let mode: number;
  if (v.tag(c) === T_BOOL) mode = v.aux(c) ? 1 : 0;
  else if (v.isStr(c) && v.str(c) === "once") mode = 2;
  else if (v.tag(c) === T_ATOM && it.rt.atoms.name(v.aux(c)) === "once") mode = 2;
  else throw typeMismatch("TCP_ACTIVE", 'true, false or "once"', [v.debug(c)]);
  it.rt.ports.cast(pcb, op, id, [], mode);
  m.drop(pcb, 2);
  return R_CONTINUE;
}

/** CONN_HANDOVER conn pid: the new owner gets active messages and may use the handle. */
function handover(it: Interpreter, pcb: number): number {
  const m = it.m, v = it.rt.values, w = it.rt.mem.i32;
  const id = connArg(it, pcb, 1, 0xd3, [K_TCP, K_LISTENER, K_UDP, K_HTTP_LISTENER, K_DB, K_STREAM]);
  const target = m.arg(pcb, 0);
  if (!v.isInt(target)) throw typeMismatch("CONN_HANDOVER", "a pid (int)", [v.debug(target)]);
  const to = v.intNumber(target);
  const self = w[(pcb << 2) + P_PID];
  if (to !== self) {
    if (!it.rt.procs.table.isAlive(to)) throw new VmError("noproc");
    if (!it.rt.ports.table.transfer(id, self, to)) {
      throw new VmError(`Not the owner of ${connText(it.rt.ports.table.kind(id), id)}`);
    }
    it.rt.ports.cast(pcb, REQ_HANDOVER, id, [], to);
  }
  m.drop(pcb, 2);
  return R_CONTINUE;
}

/** HTTP_RESPOND request status headers body: whoever holds the request answers it, once. */
function respond(it: Interpreter, pcb: number): number {
  const m = it.m;
  const id = connArg(it, pcb, 3, 0xd8, [K_HTTP_REQUEST]);
  const status = intArg(it, pcb, 2, 0xd8, "an int status");
  if (status < 100 || status > 599) throw new VmError(`Invalid HTTP status: ${status}`);
  const headers = objectArg(it, pcb, 1, 0xd8, "an object of headers");
  const body = dataArg(it, pcb, 0, 0xd8);
  if (!it.rt.ports.table.setState(id, PS_ANSWERED)) {
    throw new VmError(`Already answered: ${connText(K_HTTP_REQUEST, id)}`);
  }
  it.rt.ports.cast(pcb, 0xd8, id, [int(status), headers, body]);
  m.drop(pcb, 4);
  return R_CONTINUE;
}

/** ASYNC_READ / ASYNC_WRITE: the Future is created here and returned at once; the driver does
 *  the work and keeps the result for AWAIT. */
function startFuture(it: Interpreter, pcb: number, op: number, args: HostValue[]): number {
  const m = it.m, w = it.rt.mem.i32, p = pcb << 2;
  const id = it.rt.ports.table.create(K_FUTURE, w[p + P_PID]);
  w[p + P_FLAGS] |= FLAG_USES_PORTS;
  it.rt.ports.cast(pcb, op, id, args);
  m.drop(pcb, OP_BY_CODE[op]!.pops);
  setConn(it.rt.mem.i32, m.push(pcb), K_FUTURE, id);
  return R_CONTINUE;
}
