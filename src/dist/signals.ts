/**
 * Typed senders for every control message, and the node's own answers to traffic no VM
 * process handles. SignalSender turns each Erlang operation into one ControlMessage for
 * `sendControl` (implemented by DistNode: ordered per destination node, connecting on demand);
 * the destination node is the one the target pid, reference or name lives on.
 *
 * System answers (the behaviour Erlang nodes expect of any node):
 * - `net_kernel` answers `{'$gen_call', {From, Tag}, {is_auth, Node}}` with `{Tag, yes}`
 *   (that is all `net_adm:ping` needs for `pong`);
 * - `rex` answers any `$gen_call` with `{Tag, {badrpc, notsup}}`;
 * - everything else sent to a system name (e.g. `global_name_server`'s init_connect, `rex`'s
 *   features_request) is absorbed;
 * - with no VM attached, the node behaves as having no processes: LINK gets EXIT `noproc`,
 *   MONITOR_P gets a `noproc` DOWN, SPAWN_REQUEST fails `notsup` (so `rpc:call` returns
 *   `{badrpc, notsup}`), UNLINK_ID is acknowledged.
 */
import type { ControlMessage, ReceivedControl } from "./control.ts";
import {
  atom,
  type ErlAtom,
  type ErlPid,
  type ErlRef,
  type ErlTerm,
  isAtom,
  isPid,
  isTuple,
  tuple,
} from "./term.ts";

/** A process on another node named by its registered name. */
export interface RemoteName {
  name: string;
  node: string;
}

export abstract class SignalSender {
  /** Sends one control message to `node` (see DistNode.sendControl). */
  abstract sendControl(node: string, msg: ControlMessage): void;

  /** `To ! Message` (SEND_SENDER when `from` is given and the peer supports it). */
  send(from: ErlPid | undefined, to: ErlPid, message: ErlTerm): void {
    this.sendControl(to.node, { op: "SEND", from, to, message });
  }
  /** `{Name, Node} ! Message`. */
  regSend(from: ErlPid, node: string, name: string, message: ErlTerm): void {
    this.sendControl(node, { op: "REG_SEND", from, toName: name, message });
  }
  /** A message to a process alias (a reference made by erlang:alias/0). */
  aliasSend(from: ErlPid, alias: ErlRef, message: ErlTerm): void {
    this.sendControl(alias.node, { op: "ALIAS_SEND", from, alias, message });
  }
  link(from: ErlPid, to: ErlPid): void {
    this.sendControl(to.node, { op: "LINK", from, to });
  }
  /** unlink/1 (new link protocol): the peer answers with UNLINK_ID_ACK carrying `id`. */
  unlinkId(id: bigint, from: ErlPid, to: ErlPid): void {
    this.sendControl(to.node, { op: "UNLINK_ID", id, from, to });
  }
  /** Acknowledges a received UNLINK_ID; must precede any other signal from `from` to `to`. */
  unlinkIdAck(id: bigint, from: ErlPid, to: ErlPid): void {
    this.sendControl(to.node, { op: "UNLINK_ID_ACK", id, from, to });
  }
  /** The exit signal of a link: `from` ended with `reason`. */
  exit(from: ErlPid, to: ErlPid, reason: ErlTerm): void {
    this.sendControl(to.node, { op: "EXIT", from, to, reason });
  }
  /** `exit(To, Reason)` called by `from`. */
  exit2(from: ErlPid, to: ErlPid, reason: ErlTerm): void {
    this.sendControl(to.node, { op: "EXIT2", from, to, reason });
  }
  /** `erlang:monitor(process, Target)` with the reference `ref` (made by the caller). */
  monitor(from: ErlPid, target: ErlPid | RemoteName, ref: ErlRef): void {
    this.sendControl(target.node, { op: "MONITOR_P", from, to: processOf(target), ref });
  }
  demonitor(from: ErlPid, target: ErlPid | RemoteName, ref: ErlRef): void {
    this.sendControl(target.node, { op: "DEMONITOR_P", from, to: processOf(target), ref });
  }
  /** The DOWN of a monitor: `from` (a pid, or the name it was monitored by) ended. */
  monitorExit(from: ErlPid | string, to: ErlPid, ref: ErlRef, reason: ErlTerm): void {
    const who = typeof from === "string" ? atom(from) : from;
    this.sendControl(to.node, { op: "MONITOR_P_EXIT", from: who, to, ref, reason });
  }
  /** erlang:spawn_request(Node, M, F, Args, Options); the answer is a SPAWN_REPLY. */
  spawnRequest(node: string, req: {
    reqId: ErlRef;
    from: ErlPid;
    groupLeader: ErlPid;
    module: string;
    function: string;
    args: readonly ErlTerm[];
    options?: readonly ErlTerm[];
  }): void {
    this.sendControl(node, {
      op: "SPAWN_REQUEST",
      reqId: req.reqId,
      from: req.from,
      groupLeader: req.groupLeader,
      module: req.module,
      function: req.function,
      arity: req.args.length,
      args: properList(req.args),
      options: properList(req.options ?? []),
    });
  }
  /** Answers a SPAWN_REQUEST: `result` is the new pid or an error atom's name. */
  spawnReply(reqId: ErlRef, to: ErlPid, flags: number, result: ErlPid | string): void {
    const res = typeof result === "string" ? atom(result) : result;
    this.sendControl(to.node, { op: "SPAWN_REPLY", reqId, to, flags, result: res });
  }
}

function processOf(target: ErlPid | RemoteName): ErlPid | ErlAtom {
  return "t" in target ? target : atom(target.name);
}

function properList(items: readonly ErlTerm[]): ErlTerm {
  return items.length === 0 ? { t: "nil" } : { t: "list", items, tail: { t: "nil" } };
}

/** Answers a `$gen_call` sent to system name `name` (see the header); absorbs the rest. */
export function answerSystemCall(sender: SignalSender, name: string, message: ErlTerm): void {
  if (!isTuple(message, 3) || !isAtom(message.items[0], "$gen_call")) return;
  const from = message.items[1];
  if (!isTuple(from, 2) || !isPid(from.items[0])) return;
  const request = message.items[2];
  let reply: ErlTerm | undefined;
  if (name === "net_kernel" && isTuple(request, 2) && isAtom(request.items[0], "is_auth")) {
    reply = atom("yes");
  } else if (name === "rex") {
    reply = tuple(atom("badrpc"), atom("notsup"));
  }
  if (reply !== undefined) sender.send(undefined, from.items[0], tuple(from.items[1], reply));
}

/** What a node without processes answers (see the header); everything else is dropped. */
export function answerAsEmptyNode(sender: SignalSender, msg: ReceivedControl): void {
  const noproc = atom("noproc");
  switch (msg.op) {
    case "LINK":
      return sender.exit(msg.to, msg.from, noproc);
    case "MONITOR_P":
      return sender.monitorExit(isPid(msg.to) ? msg.to : msg.to.name, msg.from, msg.ref, noproc);
    case "SPAWN_REQUEST":
      return sender.spawnReply(msg.reqId, msg.from, 0, "notsup");
    case "UNLINK_ID":
      return sender.unlinkIdAck(msg.id, msg.to, msg.from);
  }
}
