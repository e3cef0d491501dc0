/**
 * Control messages: the signals nodes exchange once connected, as typed values.
 *
 * On the wire a control message is a tuple whose first element is the operation, optionally
 * followed by a second term (the message, exit reason or spawn arguments):
 *
 *   LINK 1 {1, From, To}                    SEND 2 {2, '', To} + Msg
 *   EXIT 3 {3, From, To, Reason}            UNLINK 4 {4, From, To} (obsolete, decoded only)
 *   NODE_LINK 5 {5}                         REG_SEND 6 {6, From, '', ToName} + Msg
 *   GROUP_LEADER 7 {7, From, To}            EXIT2 8 {8, From, To, Reason}
 *   SEND_TT 12, EXIT_TT 13, REG_SEND_TT 16, EXIT2_TT 18: the same + a trace token
 *   MONITOR_P 19 {19, From, ToPidOrName, Ref}     DEMONITOR_P 20 {20, From, ToPidOrName, Ref}
 *   MONITOR_P_EXIT 21 {21, FromPidOrName, To, Ref, Reason}
 *   SEND_SENDER 22 {22, From, To} + Msg     SEND_SENDER_TT 23 {23, From, To, Token} + Msg
 *   PAYLOAD_EXIT 24 {24, From, To} + Reason (TT 25), PAYLOAD_EXIT2 26 (TT 27),
 *   PAYLOAD_MONITOR_P_EXIT 28 {28, FromPidOrName, To, Ref} + Reason
 *   SPAWN_REQUEST 29 {29, ReqId, From, GroupLeader, {M, F, Arity}, Opts} + Args (TT 30)
 *   SPAWN_REPLY 31 {31, ReqId, To, Flags, Result} (TT 32)
 *   ALIAS_SEND 33 {33, From, Alias} + Msg (TT 34)
 *   UNLINK_ID 35 {35, Id, From, To}         UNLINK_ID_ACK 36 {36, Id, From, To}
 *
 * decodeControl folds each family (plain / _TT / SENDER / PAYLOAD variants) into one typed
 * message and refuses malformed ones with ControlError (the connection is then dropped, as
 * Erlang drops it). encodeControl picks the variant the peer's flags call for.
 */
import { DFLAG } from "./handshake.ts";
import {
  atom,
  type ErlAtom,
  type ErlPid,
  type ErlRef,
  type ErlTerm,
  isAtom,
  isPid,
  isRef,
  isTuple,
  properListItems,
  tuple,
} from "./term.ts";

export const DOP = {
  LINK: 1,
  SEND: 2,
  EXIT: 3,
  UNLINK: 4,
  NODE_LINK: 5,
  REG_SEND: 6,
  GROUP_LEADER: 7,
  EXIT2: 8,
  SEND_TT: 12,
  EXIT_TT: 13,
  REG_SEND_TT: 16,
  EXIT2_TT: 18,
  MONITOR_P: 19,
  DEMONITOR_P: 20,
  MONITOR_P_EXIT: 21,
  SEND_SENDER: 22,
  SEND_SENDER_TT: 23,
  PAYLOAD_EXIT: 24,
  PAYLOAD_EXIT_TT: 25,
  PAYLOAD_EXIT2: 26,
  PAYLOAD_EXIT2_TT: 27,
  PAYLOAD_MONITOR_P_EXIT: 28,
  SPAWN_REQUEST: 29,
  SPAWN_REQUEST_TT: 30,
  SPAWN_REPLY: 31,
  SPAWN_REPLY_TT: 32,
  ALIAS_SEND: 33,
  ALIAS_SEND_TT: 34,
  UNLINK_ID: 35,
  UNLINK_ID_ACK: 36,
} as const;

/** SPAWN_REPLY flag bits. */
export const SPAWN_REPLY_LINKED = 1, SPAWN_REPLY_MONITORED = 2;

interface Traced {
  /** Sequential-trace token of the _TT variants (carried, not interpreted). */
  traceToken?: ErlTerm;
}

export type ControlMessage =
  | { op: "LINK"; from: ErlPid; to: ErlPid }
  | { op: "SEND"; from?: ErlPid; to: ErlPid; message: ErlTerm } & Traced
  | { op: "REG_SEND"; from: ErlPid; toName: string; message: ErlTerm } & Traced
  | { op: "EXIT"; from: ErlPid; to: ErlPid; reason: ErlTerm } & Traced
  | { op: "EXIT2"; from: ErlPid; to: ErlPid; reason: ErlTerm } & Traced
  | { op: "UNLINK"; from: ErlPid; to: ErlPid }
  | { op: "UNLINK_ID"; id: bigint; from: ErlPid; to: ErlPid }
  | { op: "UNLINK_ID_ACK"; id: bigint; from: ErlPid; to: ErlPid }
  | { op: "MONITOR_P"; from: ErlPid; to: ErlPid | ErlAtom; ref: ErlRef }
  | { op: "DEMONITOR_P"; from: ErlPid; to: ErlPid | ErlAtom; ref: ErlRef }
  | { op: "MONITOR_P_EXIT"; from: ErlPid | ErlAtom; to: ErlPid; ref: ErlRef; reason: ErlTerm }
  | {
    op: "SPAWN_REQUEST";
    reqId: ErlRef;
    from: ErlPid;
    groupLeader: ErlPid;
    module: string;
    function: string;
    arity: number;
    /** The spawn options, a proper list (e.g. `link`, `monitor`, `{reply, yes}`). */
    options: ErlTerm;
    /** The arguments, a proper list of `arity` terms. */
    args: ErlTerm;
  } & Traced
  | {
    op: "SPAWN_REPLY";
    reqId: ErlRef;
    to: ErlPid;
    /** SPAWN_REPLY_LINKED | SPAWN_REPLY_MONITORED. */
    flags: number;
    /** The new process, or an error atom (e.g. `badarg`, `system_limit`, `notsup`). */
    result: ErlPid | ErlAtom;
  } & Traced
  | { op: "ALIAS_SEND"; from: ErlPid; alias: ErlRef; message: ErlTerm } & Traced
  | { op: "GROUP_LEADER"; from: ErlPid; to: ErlPid }
  | { op: "NODE_LINK" };

export type ControlOp = ControlMessage["op"];

export class ControlError extends Error {
  override name = "ControlError";
}

/** A decoded control message plus the raw terms it came from. */
export type ReceivedControl = ControlMessage & { control: ErlTerm; payload?: ErlTerm };

function pidAt(items: readonly ErlTerm[], i: number, what: string): ErlPid {
  const x = items[i];
  if (x === undefined || !isPid(x)) throw new ControlError(`${what} is not a pid`);
  return x;
}
function refAt(items: readonly ErlTerm[], i: number, what: string): ErlRef {
  const x = items[i];
  if (x === undefined || !isRef(x)) throw new ControlError(`${what} is not a reference`);
  return x;
}
function procAt(items: readonly ErlTerm[], i: number, what: string): ErlPid | ErlAtom {
  const x = items[i];
  if (x !== undefined && (isPid(x) || isAtom(x))) return x;
  throw new ControlError(`${what} is neither a pid nor a name`);
}
function idAt(items: readonly ErlTerm[], i: number): bigint {
  const x = items[i];
  if (typeof x !== "bigint" || x < 0n) throw new ControlError("unlink id is not an integer");
  return x;
}

/** Turns a received control tuple (and its payload term, if any) into a typed message. */
export function decodeControl(control: ErlTerm, payload?: ErlTerm): ReceivedControl {
  if (!isTuple(control) || control.items.length === 0 || typeof control.items[0] !== "bigint") {
    throw new ControlError("control message is not a tuple starting with an integer");
  }
  const it = control.items, n = it.length, op = Number(it[0]);
  const need = (arity: number, withPayload: boolean) => {
    if (n !== arity) throw new ControlError(`control ${op} has ${n} elements, not ${arity}`);
    if (withPayload && payload === undefined) {
      throw new ControlError(`control ${op} lacks its payload`);
    }
  };
  const raw = { control, payload };
  switch (op) {
    case DOP.LINK:
    case DOP.UNLINK:
    case DOP.GROUP_LEADER:
      need(3, false);
      return {
        op: op === DOP.LINK ? "LINK" : op === DOP.UNLINK ? "UNLINK" : "GROUP_LEADER",
        from: pidAt(it, 1, "from"),
        to: pidAt(it, 2, "to"),
        ...raw,
      };
    case DOP.NODE_LINK:
      need(1, false);
      return { op: "NODE_LINK", ...raw };
    case DOP.SEND:
    case DOP.SEND_TT:
      need(op === DOP.SEND ? 3 : 4, true);
      return { op: "SEND", to: pidAt(it, 2, "to"), message: payload!, traceToken: it[3], ...raw };
    case DOP.SEND_SENDER:
    case DOP.SEND_SENDER_TT:
      need(op === DOP.SEND_SENDER ? 3 : 4, true);
      return {
        op: "SEND",
        from: pidAt(it, 1, "from"),
        to: pidAt(it, 2, "to"),
        message: payload!,
        traceToken: it[3],
        ...raw,
      };
    case DOP.REG_SEND:
    case DOP.REG_SEND_TT: {
      need(op === DOP.REG_SEND ? 4 : 5, true);
      const name = it[3];
      if (!isAtom(name)) throw new ControlError("REG_SEND name is not an atom");
      return {
        op: "REG_SEND",
        from: pidAt(it, 1, "from"),
        toName: name.name,
        message: payload!,
        traceToken: it[4],
        ...raw,
      };
    }
    case DOP.EXIT:
    case DOP.EXIT2:
    case DOP.EXIT_TT:
    case DOP.EXIT2_TT: {
      const traced = op === DOP.EXIT_TT || op === DOP.EXIT2_TT;
      need(traced ? 5 : 4, false);
      return {
        op: op === DOP.EXIT || op === DOP.EXIT_TT ? "EXIT" : "EXIT2",
        from: pidAt(it, 1, "from"),
        to: pidAt(it, 2, "to"),
        reason: it[traced ? 4 : 3],
        traceToken: traced ? it[3] : undefined,
        ...raw,
      };
    }
    case DOP.PAYLOAD_EXIT:
    case DOP.PAYLOAD_EXIT2:
    case DOP.PAYLOAD_EXIT_TT:
    case DOP.PAYLOAD_EXIT2_TT: {
      const traced = op === DOP.PAYLOAD_EXIT_TT || op === DOP.PAYLOAD_EXIT2_TT;
      need(traced ? 4 : 3, true);
      return {
        op: op === DOP.PAYLOAD_EXIT || op === DOP.PAYLOAD_EXIT_TT ? "EXIT" : "EXIT2",
        from: pidAt(it, 1, "from"),
        to: pidAt(it, 2, "to"),
        reason: payload!,
        traceToken: it[3],
        ...raw,
      };
    }
    case DOP.MONITOR_P:
    case DOP.DEMONITOR_P:
      need(4, false);
      return {
        op: op === DOP.MONITOR_P ? "MONITOR_P" : "DEMONITOR_P",
        from: pidAt(it, 1, "from"),
        to: procAt(it, 2, "monitored process"),
        ref: refAt(it, 3, "monitor reference"),
        ...raw,
      };
    case DOP.MONITOR_P_EXIT:
    case DOP.PAYLOAD_MONITOR_P_EXIT:
      need(op === DOP.MONITOR_P_EXIT ? 5 : 4, op === DOP.PAYLOAD_MONITOR_P_EXIT);
      return {
        op: "MONITOR_P_EXIT",
        from: procAt(it, 1, "monitored process"),
        to: pidAt(it, 2, "to"),
        ref: refAt(it, 3, "monitor reference"),
        reason: op === DOP.MONITOR_P_EXIT ? it[4] : payload!,
        ...raw,
      };
    case DOP.SPAWN_REQUEST:
    case DOP.SPAWN_REQUEST_TT: {
      need(op === DOP.SPAWN_REQUEST ? 6 : 7, true);
      const mfa = it[4];
      if (
        !isTuple(mfa, 3) || !isAtom(mfa.items[0]) || !isAtom(mfa.items[1]) ||
        typeof mfa.items[2] !== "bigint"
      ) throw new ControlError("SPAWN_REQUEST entry point is not {Module, Function, Arity}");
      if (!properListItems(it[5])) throw new ControlError("SPAWN_REQUEST options not a list");
      const args = properListItems(payload!);
      if (!args || BigInt(args.length) !== mfa.items[2]) {
        throw new ControlError("SPAWN_REQUEST arguments do not match the arity");
      }
      return {
        op: "SPAWN_REQUEST",
        reqId: refAt(it, 1, "request id"),
        from: pidAt(it, 2, "from"),
        groupLeader: pidAt(it, 3, "group leader"),
        module: mfa.items[0].name,
        function: mfa.items[1].name,
        arity: args.length,
        options: it[5],
        args: payload!,
        traceToken: it[6],
        ...raw,
      };
    }
    case DOP.SPAWN_REPLY:
    case DOP.SPAWN_REPLY_TT: {
      need(op === DOP.SPAWN_REPLY ? 5 : 6, false);
      const flags = it[3];
      if (typeof flags !== "bigint") throw new ControlError("SPAWN_REPLY flags not an integer");
      return {
        op: "SPAWN_REPLY",
        reqId: refAt(it, 1, "request id"),
        to: pidAt(it, 2, "to"),
        flags: Number(flags),
        result: procAt(it, 4, "spawn result"),
        traceToken: it[5],
        ...raw,
      };
    }
    case DOP.ALIAS_SEND:
    case DOP.ALIAS_SEND_TT:
      need(op === DOP.ALIAS_SEND ? 3 : 4, true);
      return {
        op: "ALIAS_SEND",
        from: pidAt(it, 1, "from"),
        alias: refAt(it, 2, "alias"),
        message: payload!,
        traceToken: it[3],
        ...raw,
      };
    case DOP.UNLINK_ID:
    case DOP.UNLINK_ID_ACK:
      need(4, false);
      return {
        op: op === DOP.UNLINK_ID ? "UNLINK_ID" : "UNLINK_ID_ACK",
        id: idAt(it, 1),
        from: pidAt(it, 2, "from"),
        to: pidAt(it, 3, "to"),
        ...raw,
      };
    default:
      throw new ControlError(`unknown control operation ${op}`);
  }
}

const EMPTY = atom("");

/** The control tuple (and payload) for `msg`, in the variant the peer's `flags` call for. */
export function encodeControl(
  msg: ControlMessage,
  flags: bigint,
): { control: ErlTerm; payload?: ErlTerm } {
  const has = (bit: bigint) => (flags & bit) !== 0n;
  const t = (op: number, ...rest: ErlTerm[]) => tuple(BigInt(op), ...rest);
  const tt = msg.op !== "NODE_LINK" && "traceToken" in msg ? msg.traceToken : undefined;
  switch (msg.op) {
    case "LINK":
      return { control: t(DOP.LINK, msg.from, msg.to) };
    case "UNLINK":
      return { control: t(DOP.UNLINK, msg.from, msg.to) };
    case "GROUP_LEADER":
      return { control: t(DOP.GROUP_LEADER, msg.from, msg.to) };
    case "NODE_LINK":
      return { control: t(DOP.NODE_LINK) };
    case "SEND":
      if (msg.from && has(DFLAG.SEND_SENDER)) {
        return {
          control: tt === undefined
            ? t(DOP.SEND_SENDER, msg.from, msg.to)
            : t(DOP.SEND_SENDER_TT, msg.from, msg.to, tt),
          payload: msg.message,
        };
      }
      return {
        control: tt === undefined ? t(DOP.SEND, EMPTY, msg.to) : t(DOP.SEND_TT, EMPTY, msg.to, tt),
        payload: msg.message,
      };
    case "REG_SEND": {
      const name = atom(msg.toName);
      return {
        control: tt === undefined
          ? t(DOP.REG_SEND, msg.from, EMPTY, name)
          : t(DOP.REG_SEND_TT, msg.from, EMPTY, name, tt),
        payload: msg.message,
      };
    }
    case "EXIT":
    case "EXIT2": {
      const exit = msg.op === "EXIT";
      if (has(DFLAG.EXIT_PAYLOAD)) {
        const op = exit
          ? (tt === undefined ? DOP.PAYLOAD_EXIT : DOP.PAYLOAD_EXIT_TT)
          : (tt === undefined ? DOP.PAYLOAD_EXIT2 : DOP.PAYLOAD_EXIT2_TT);
        const control = tt === undefined ? t(op, msg.from, msg.to) : t(op, msg.from, msg.to, tt);
        return { control, payload: msg.reason };
      }
      if (tt === undefined) {
        return { control: t(exit ? DOP.EXIT : DOP.EXIT2, msg.from, msg.to, msg.reason) };
      }
      return { control: t(exit ? DOP.EXIT_TT : DOP.EXIT2_TT, msg.from, msg.to, tt, msg.reason) };
    }
    case "UNLINK_ID":
    case "UNLINK_ID_ACK":
      return {
        control: t(
          msg.op === "UNLINK_ID" ? DOP.UNLINK_ID : DOP.UNLINK_ID_ACK,
          msg.id,
          msg.from,
          msg.to,
        ),
      };
    case "MONITOR_P":
    case "DEMONITOR_P":
      return {
        control: t(
          msg.op === "MONITOR_P" ? DOP.MONITOR_P : DOP.DEMONITOR_P,
          msg.from,
          msg.to,
          msg.ref,
        ),
      };
    case "MONITOR_P_EXIT":
      if (has(DFLAG.EXIT_PAYLOAD)) {
        return {
          control: t(DOP.PAYLOAD_MONITOR_P_EXIT, msg.from, msg.to, msg.ref),
          payload: msg.reason,
        };
      }
      return { control: t(DOP.MONITOR_P_EXIT, msg.from, msg.to, msg.ref, msg.reason) };
    case "SPAWN_REQUEST": {
      if (!has(DFLAG.SPAWN)) throw new ControlError("the peer does not support SPAWN_REQUEST");
      const mfa = tuple(atom(msg.module), atom(msg.function), BigInt(msg.arity));
      const rest: ErlTerm[] = [msg.reqId, msg.from, msg.groupLeader, mfa, msg.options];
      return {
        control: tt === undefined
          ? t(DOP.SPAWN_REQUEST, ...rest)
          : t(DOP.SPAWN_REQUEST_TT, ...rest, tt),
        payload: msg.args,
      };
    }
    case "SPAWN_REPLY": {
      const rest: ErlTerm[] = [msg.reqId, msg.to, BigInt(msg.flags), msg.result];
      return {
        control: tt === undefined
          ? t(DOP.SPAWN_REPLY, ...rest)
          : t(DOP.SPAWN_REPLY_TT, ...rest, tt),
      };
    }
    case "ALIAS_SEND":
      if (!has(DFLAG.ALIAS)) throw new ControlError("the peer does not support ALIAS_SEND");
      return {
        control: tt === undefined
          ? t(DOP.ALIAS_SEND, msg.from, msg.alias)
          : t(DOP.ALIAS_SEND_TT, msg.from, msg.alias, tt),
        payload: msg.message,
      };
  }
}
