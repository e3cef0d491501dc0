/**
 * The distribution bridge: this run's processes as processes of an Erlang node (LANGUAGE.md §8).
 * It lives in the port driver's world (the main thread, next to Deno's event loop), owns the
 * DistNode (src/dist/) and translates in both directions:
 *
 * - out: REQ_DIST_* requests from processes (src/cluster/protocol.ts) — signals addressed to
 *   proxy PIDs, NODES, CONNECT_NODE, MONITOR_NODE, SENDNAMED_AT, SPAWN_AT — become control
 *   messages on the node connection;
 * - in: control messages from other nodes become signals to local processes
 *   (`driver.deliverSignal`), on behalf of the sender's proxy PID.
 *
 * Proxies: a remote pid seen for the first time gets a proxy PID (ProcTable.newProxy: an entry
 * with no PCB and the node's atom, so NODE_OF and IS_ALIVE work on any thread); the same pid
 * maps to the same proxy while its node stays connected. When a node goes down its proxies are
 * marked dead, and the bridge ends what crossed that connection, as Erlang does: every link
 * gets the exit reason `noconnection`, every monitor a DOWN `noconnection`, monitors held by
 * the other side are dropped, `MONITOR_NODE` subscribers get `{type: "nodedown", node}` and a
 * pending SPAWN_AT fails. To know what crossed, the bridge records every link and monitor as
 * its signals pass (a stale record only ever produces a signal the process ignores).
 *
 * Monitor references: ttvm refs are Ints, Erlang's are references. Each monitor that crosses
 * gets an Erlang reference (ours from `makeRef`, or the peer's) paired with a local Int ref.
 *
 * The node ends when the run ends: `stop` first waits (bounded) until what was sent has been
 * written, then closes the connections and unregisters.
 */
import {
  atom,
  ControlError,
  type DistNode,
  type ErlPid,
  type ErlRef,
  type ErlTerm,
  EtfError,
  isAtom,
  isPid,
  isTuple,
  properListItems,
  type ReceivedControl,
  tuple,
} from "../dist/mod.ts";
import type { AtomTable } from "../mem/atoms.ts";
import type { ProgramImage } from "../mem/image.ts";
import type { DriverService, PortDriver } from "../ports/driver.ts";
import type { PortRequest } from "../ports/protocol.ts";
import type { Registry } from "../proc/registry.ts";
import {
  EXIT_DIRECT,
  EXIT_LINK,
  SIG_DEMONITOR,
  SIG_DOWN,
  SIG_EXIT,
  SIG_LINK,
  SIG_MONITOR,
  SIG_MSG,
  SIG_UNLINK,
} from "../proc/signals.ts";
import type { ProcTable } from "../proc/table.ts";
import type { HostValue } from "../term/host.ts";
import { ioRequestText } from "./io_server.ts";
import {
  REQ_DIST_CONNECT,
  REQ_DIST_DISCONNECT,
  REQ_DIST_MONITOR_NODE,
  REQ_DIST_NODES,
  REQ_DIST_REG_SEND,
  REQ_DIST_SIGNAL,
  REQ_DIST_SPAWN,
} from "./protocol.ts";
import {
  erlToHost,
  hostToErl,
  reasonFromErl,
  reasonToErl,
  strReason,
  type ValueContext,
} from "./values.ts";

/** What the bridge needs from the run (the driver's thread). */
export interface BridgeHost {
  driver: PortDriver;
  atoms: AtomTable;
  table: ProcTable;
  registry: Registry;
  image: ProgramImage;
  /** Fingerprint of the program (functions cross only between nodes running the same one). */
  program: number;
  /** Start a local process at `entryPc` with `bindings` in its first frame; returns its PID.
   *  Throws when it cannot (process limit). */
  spawn(entryPc: number, bindings: Array<[string, HostValue]>): number;
  /** A new monitor reference (an Int unique in the run, like MONITOR's). */
  newRef(): number;
  /** Text printed by a process of another node whose group leader is this node. */
  print(text: string): void;
  /** A problem the program cannot be told about (stderr). */
  warn(text: string): void;
}

/** The module a SPAWN_REQUEST between ttvm nodes names; the function is a label, or FUN_ENTRY
 *  with the Function value as first argument. */
export const TTVM_MODULE = "ttvm";
export const FUN_ENTRY = "$fun";
/** How long a node that ends waits for its last messages to be written. */
const FLUSH_TIMEOUT_MS = 3000;

interface MonitorRecord {
  /** "out": the local process monitors the remote one; "in": the remote one monitors it. */
  dir: "out" | "in";
  ref: ErlRef;
  local: number;
  proxy: number;
  /** "in" by name: the DOWN names the process by the name it was monitored by. */
  name?: string;
}

interface PendingSpawn {
  req: PortRequest;
  node: string;
}

function refKey(r: ErlRef): string {
  return `${r.node}\0${r.creation}\0${r.ids.join(".")}`;
}

function pidKey(p: ErlPid): string {
  return `${p.node}\0${p.id}.${p.serial}.${p.creation}`;
}

export class DistBridge implements DriverService, ValueContext {
  readonly program: number;
  private readonly proxyOf = new Map<string, number>();
  private readonly remoteOf = new Map<number, ErlPid>();
  private readonly proxiesOfNode = new Map<string, Set<number>>();
  /** proxy → local processes linked to it. */
  private readonly links = new Map<number, Set<number>>();
  /** local Int ref → monitor; and the Erlang ref's key → local ref. */
  private readonly monitors = new Map<number, MonitorRecord>();
  private readonly localRefOf = new Map<string, number>();
  private readonly spawns = new Map<string, PendingSpawn>();
  /** node → local PID → number of MONITOR_NODE subscriptions. */
  private readonly nodeMonitors = new Map<string, Map<number, number>>();
  private labels: Map<string, number> | null = null;
  private unlinkId = 0n;

  constructor(readonly node: DistNode, private readonly host: BridgeHost) {
    this.program = host.program;
    node.onControl = (from, msg) => this.incoming(from, msg);
    node.onNodeDown = (name) => this.nodeDown(name);
    const d = host.driver;
    d.on(REQ_DIST_SIGNAL, (_d, req) => this.outgoing(req));
    d.on(REQ_DIST_NODES, (_d, req) => this.nodes(req));
    d.on(REQ_DIST_CONNECT, (_d, req) => this.connect(req));
    d.on(REQ_DIST_DISCONNECT, (_d, req) => this.disconnect(req));
    d.on(REQ_DIST_MONITOR_NODE, (_d, req) => this.monitorNode(req));
    d.on(REQ_DIST_REG_SEND, (_d, req) => this.regSend(req));
    d.on(REQ_DIST_SPAWN, (_d, req) => this.spawnAt(req));
    d.addService(this);
  }

  // ── the run ──────────────────────────────────────────────────────────────────────────────

  /** A distributed node does not end by quiescence while any of its processes lives. */
  canWake(): boolean {
    return this.host.table.live > 0;
  }

  async stop(): Promise<void> {
    await this.node.flush(FLUSH_TIMEOUT_MS);
    await this.node.stop();
  }

  // ── pids ─────────────────────────────────────────────────────────────────────────────────

  localPc(pc: number): number {
    return this.host.image.localPc(pc);
  }

  toErlPid(n: number): ErlPid {
    return this.remoteOf.get(n) ?? this.node.pidOf(n);
  }

  fromErlPid(pid: ErlPid): number {
    const local = this.node.localNumberOf(pid);
    if (local !== undefined) return local;
    const key = pidKey(pid);
    const known = this.proxyOf.get(key);
    if (known !== undefined) return known;
    const table = this.host.table;
    const proxy = table.newProxy(this.host.atoms.intern(pid.node));
    this.remoteOf.set(proxy, pid);
    // A pid of an earlier incarnation of this node names a process that is gone.
    if (pid.node === this.node.name) {
      table.markProxyDead(proxy);
      return proxy;
    }
    this.proxyOf.set(key, proxy);
    let set = this.proxiesOfNode.get(pid.node);
    if (!set) this.proxiesOfNode.set(pid.node, set = new Set());
    set.add(proxy);
    return proxy;
  }

  private deliver(pid: number, kind: number, from: number, a: number, value: HostValue): boolean {
    return this.host.driver.deliverSignal(pid, kind, from, a, value);
  }

  // ── out: signals of local processes to proxies ───────────────────────────────────────────

  private outgoing(req: PortRequest): void {
    const proxy = req.handle, to = this.remoteOf.get(proxy);
    if (to === undefined) return;
    const local = req.from, from = this.node.pidOf(local);
    const value = req.args[0] ?? { kind: "null" };
    try {
      switch (req.a) {
        case SIG_MSG:
          this.node.send(from, to, hostToErl(value, this));
          return;
        case SIG_LINK:
          this.addLink(proxy, local);
          this.node.link(from, to);
          return;
        case SIG_UNLINK:
          this.removeLink(proxy, local);
          this.node.unlinkId(++this.unlinkId, from, to);
          return;
        case SIG_EXIT:
          if (req.b === EXIT_LINK) {
            this.removeLink(proxy, local);
            this.node.exit(from, to, reasonToErl(value, this));
          } else {
            this.node.exit2(from, to, reasonToErl(value, this));
          }
          return;
        case SIG_MONITOR: {
          const ref = this.node.makeRef();
          this.addMonitor(req.b, { dir: "out", ref, local, proxy });
          this.node.monitor(from, to, ref);
          return;
        }
        case SIG_DEMONITOR: {
          const m = this.takeMonitor(req.b);
          if (m) this.node.demonitor(from, to, m.ref);
          return;
        }
        case SIG_DOWN: {
          const m = this.takeMonitor(req.b);
          if (m) this.node.monitorExit(m.name ?? from, to, m.ref, reasonToErl(value, this));
          return;
        }
      }
    } catch (e) {
      this.problem(e);
    }
  }

  private problem(e: unknown): void {
    if (e instanceof EtfError || e instanceof ControlError) {
      this.host.warn(`ttvm: distribution: ${e.message}\n`);
    } else {
      throw e;
    }
  }

  private addLink(proxy: number, local: number): void {
    let set = this.links.get(proxy);
    if (!set) this.links.set(proxy, set = new Set());
    set.add(local);
  }

  private removeLink(proxy: number, local: number): void {
    const set = this.links.get(proxy);
    if (set?.delete(local) && set.size === 0) this.links.delete(proxy);
  }

  private addMonitor(localRef: number, m: MonitorRecord): void {
    this.monitors.set(localRef, m);
    this.localRefOf.set(refKey(m.ref), localRef);
  }

  private takeMonitor(localRef: number): MonitorRecord | undefined {
    const m = this.monitors.get(localRef);
    if (m) {
      this.monitors.delete(localRef);
      this.localRefOf.delete(refKey(m.ref));
    }
    return m;
  }

  // ── in: signals from other nodes to local processes ──────────────────────────────────────

  private incoming(_fromNode: string, msg: ReceivedControl): void {
    switch (msg.op) {
      case "SEND": {
        const to = this.node.localNumberOf(msg.to);
        if (to === undefined) return;
        if (to === 0) return this.groupLeader(msg.message);
        const from = msg.from ? this.fromErlPid(msg.from) : 0;
        this.deliver(to, SIG_MSG, from, 0, erlToHost(msg.message, this));
        return;
      }
      case "REG_SEND": {
        const to = this.host.registry.whereis(this.host.atoms.intern(msg.toName));
        if (to === 0) return; // as Erlang: a message to an unregistered remote name is dropped
        this.deliver(to, SIG_MSG, this.fromErlPid(msg.from), 0, erlToHost(msg.message, this));
        return;
      }
      case "ALIAS_SEND": {
        // ttvm has no aliases of its own; a reference the node gave out for a monitor or a
        // spawn request stands for the process that holds it, as an Erlang alias would.
        const localRef = this.localRefOf.get(refKey(msg.alias));
        const to = localRef !== undefined
          ? this.monitors.get(localRef)?.local
          : this.spawns.get(refKey(msg.alias))?.req.from;
        if (to === undefined) return;
        this.deliver(to, SIG_MSG, this.fromErlPid(msg.from), 0, erlToHost(msg.message, this));
        return;
      }
      case "LINK": {
        const to = this.node.localNumberOf(msg.to), proxy = this.fromErlPid(msg.from);
        if (to === 0) return; // the node itself (see monitorIn): a link to it never breaks
        if (to !== undefined && this.deliver(to, SIG_LINK, proxy, 0, NULL)) {
          this.addLink(proxy, to);
        } else {
          this.node.exit(msg.to, msg.from, atom("noproc"));
        }
        return;
      }
      case "UNLINK":
      case "UNLINK_ID": {
        const to = this.node.localNumberOf(msg.to), proxy = this.fromErlPid(msg.from);
        // The acknowledgement precedes any later signal of ours to the sender (link protocol).
        if (msg.op === "UNLINK_ID") this.node.unlinkIdAck(msg.id, msg.to, msg.from);
        if (to === undefined) return;
        this.removeLink(proxy, to);
        this.deliver(to, SIG_UNLINK, proxy, 0, NULL);
        return;
      }
      case "UNLINK_ID_ACK":
        return;
      case "EXIT":
      case "EXIT2": {
        const to = this.node.localNumberOf(msg.to), proxy = this.fromErlPid(msg.from);
        if (to === undefined) return;
        if (msg.op === "EXIT") {
          // A link's exit signal: the sender has ended.
          this.host.table.markProxyDead(proxy);
          this.removeLink(proxy, to);
        }
        const mode = msg.op === "EXIT" ? EXIT_LINK : EXIT_DIRECT;
        this.deliver(to, SIG_EXIT, proxy, mode, reasonFromErl(msg.reason, this));
        return;
      }
      case "MONITOR_P":
        return this.monitorIn(msg.from, msg.to, msg.ref);
      case "DEMONITOR_P": {
        const localRef = this.localRefOf.get(refKey(msg.ref));
        const m = localRef !== undefined ? this.monitors.get(localRef) : undefined;
        if (!m || m.dir !== "in") return;
        this.takeMonitor(localRef!);
        this.deliver(m.local, SIG_DEMONITOR, m.proxy, localRef!, NULL);
        return;
      }
      case "MONITOR_P_EXIT": {
        const localRef = this.localRefOf.get(refKey(msg.ref));
        const m = localRef !== undefined ? this.monitors.get(localRef) : undefined;
        if (!m || m.dir !== "out") return;
        this.takeMonitor(localRef!);
        this.host.table.markProxyDead(m.proxy);
        this.deliver(m.local, SIG_DOWN, m.proxy, localRef!, reasonFromErl(msg.reason, this));
        return;
      }
      case "SPAWN_REQUEST":
        return this.spawnRequest(msg);
      case "SPAWN_REPLY": {
        const pending = this.spawns.get(refKey(msg.reqId));
        if (!pending) return;
        this.spawns.delete(refKey(msg.reqId));
        const r = msg.result;
        if (isPid(r)) {
          this.host.driver.reply(pending.req, {
            kind: "int",
            value: BigInt(this.fromErlPid(r)),
            pid: true,
          });
        } else {
          this.host.driver.fail(pending.req, `Cannot spawn on ${pending.node}: ${r.name}`);
        }
        return;
      }
      case "GROUP_LEADER":
      case "NODE_LINK":
        return;
    }
  }

  private monitorIn(fromPid: ErlPid, target: ErlPid | { t: "atom"; name: string }, ref: ErlRef) {
    const byName = isPid(target) ? undefined : target.name;
    const to = byName === undefined
      ? this.node.localNumberOf(target as ErlPid)
      : this.host.registry.whereis(this.host.atoms.intern(byName));
    // The node itself (pid number 0, the group leader it gives processes it spawns elsewhere)
    // lives as long as the node: a monitor on it never fires, as on Erlang's system processes.
    if (to === 0 && byName === undefined) return;
    const proxy = this.fromErlPid(fromPid);
    const localRef = this.host.newRef();
    if (to !== undefined && to !== 0) {
      this.addMonitor(localRef, { dir: "in", ref, local: to, proxy, name: byName });
      if (this.deliver(to, SIG_MONITOR, proxy, localRef, NULL)) return;
      this.takeMonitor(localRef);
    }
    this.node.monitorExit(byName ?? (target as ErlPid), fromPid, ref, atom("noproc"));
  }

  // ── a node went away ─────────────────────────────────────────────────────────────────────

  private nodeDown(name: string): void {
    const proxies = this.proxiesOfNode.get(name) ?? new Set<number>();
    this.proxiesOfNode.delete(name);
    const noconnection = strReason("noconnection");
    for (const proxy of proxies) {
      this.host.table.markProxyDead(proxy);
      this.proxyOf.delete(pidKey(this.remoteOf.get(proxy)!));
      for (const local of this.links.get(proxy) ?? []) {
        this.deliver(local, SIG_EXIT, proxy, EXIT_LINK, noconnection);
      }
      this.links.delete(proxy);
    }
    for (const [localRef, m] of [...this.monitors]) {
      if (!proxies.has(m.proxy)) continue;
      this.takeMonitor(localRef);
      if (m.dir === "out") this.deliver(m.local, SIG_DOWN, m.proxy, localRef, noconnection);
      else this.deliver(m.local, SIG_DEMONITOR, m.proxy, localRef, NULL);
    }
    for (const [key, pending] of [...this.spawns]) {
      if (pending.node !== name) continue;
      this.spawns.delete(key);
      this.host.driver.fail(pending.req, `Cannot spawn on ${name}: noconnection`);
    }
    const subscribers = this.nodeMonitors.get(name);
    this.nodeMonitors.delete(name);
    for (const [pid, count] of subscribers ?? []) {
      for (let i = 0; i < count; i++) {
        this.deliver(pid, SIG_MSG, 0, 0, {
          kind: "object",
          entries: [
            ["type", { kind: "str", value: "nodedown" }],
            ["node", { kind: "atom", name }],
          ],
        });
      }
    }
  }

  // ── requests of the distribution opcodes ─────────────────────────────────────────────────

  private nodes(req: PortRequest): void {
    const items: HostValue[] = this.node.nodes().map((name) => ({ kind: "atom", name }));
    this.host.driver.reply(req, { kind: "list", items });
  }

  private nodeArg(req: PortRequest, i = 0): string {
    const v = req.args[i];
    return v?.kind === "str" ? v.value : v?.kind === "atom" ? v.name : "";
  }

  private connect(req: PortRequest): void {
    const name = this.nodeArg(req);
    this.host.driver.start(req, async () => ({
      kind: "bool",
      value: await this.node.connect(name),
    }));
  }

  private disconnect(req: PortRequest): void {
    this.host.driver.reply(req, { kind: "bool", value: this.node.disconnect(this.nodeArg(req)) });
  }

  private monitorNode(req: PortRequest): void {
    const name = this.nodeArg(req), pid = req.from;
    if (name === this.node.name) return; // this node never goes down while it runs
    let subs = this.nodeMonitors.get(name);
    if (req.a === 0) {
      const n = subs?.get(pid) ?? 0;
      if (n <= 1) subs?.delete(pid);
      else subs!.set(pid, n - 1);
      return;
    }
    if (!subs) this.nodeMonitors.set(name, subs = new Map());
    subs.set(pid, (subs.get(pid) ?? 0) + 1);
    if (this.node.isConnected(name)) return;
    // Not connected: try, as Erlang does; a failure is a nodedown for the subscriber. (A name
    // the node cannot even try fails without one: report it here.)
    this.host.driver.begin();
    this.node.connect(name).then((ok) => {
      if (!ok && this.nodeMonitors.get(name)?.has(pid)) this.nodeDown(name);
    }).finally(() => this.host.driver.end());
  }

  private regSend(req: PortRequest): void {
    const [node, name, message] = req.args;
    if (node?.kind !== "str" || name?.kind !== "str" || message === undefined) return;
    try {
      this.node.regSend(
        this.node.pidOf(req.from),
        node.value,
        name.value,
        hostToErl(message, this),
      );
    } catch (e) {
      this.problem(e);
    }
  }

  private spawnAt(req: PortRequest): void {
    const [nodeV, callable, ...args] = req.args;
    const nodeName = nodeV?.kind === "str" ? nodeV.value : "";
    let module: string, fn: string, callArgs: ErlTerm[];
    if (callable?.kind === "tuple") {
      const [m, f, a] = callable.items;
      if (m?.kind !== "atom" || f?.kind !== "atom" || a?.kind !== "list") {
        return this.host.driver.fail(req, "SPAWN_AT: expected {module, function, args}");
      }
      module = m.name, fn = f.name, callArgs = a.items.map((x) => hostToErl(x, this));
    } else if (callable?.kind === "str") {
      module = TTVM_MODULE, fn = callable.value, callArgs = [];
    } else if (callable?.kind === "function" || callable?.kind === "closure") {
      module = TTVM_MODULE, fn = FUN_ENTRY;
      callArgs = [callable, ...args].map((x) => hostToErl(x, this));
    } else {
      return this.host.driver.fail(req, "SPAWN_AT: bad callable");
    }
    const reqId = this.node.makeRef();
    try {
      this.node.spawnRequest(nodeName, {
        reqId,
        from: this.node.pidOf(req.from),
        groupLeader: this.node.pidOf(0),
        module,
        function: fn,
        args: callArgs,
      });
    } catch (e) {
      return this.host.driver.fail(req, `Cannot spawn on ${nodeName}: ${(e as Error).message}`);
    }
    this.spawns.set(refKey(reqId), { req, node: nodeName });
  }

  // ── spawn requests from other nodes ──────────────────────────────────────────────────────

  private spawnRequest(msg: ReceivedControl & { op: "SPAWN_REQUEST" }): void {
    const reply = (result: ErlPid | string) => this.node.spawnReply(msg.reqId, msg.from, 0, result);
    // Only ttvm code runs here: an Erlang {M, F, A} has nothing to run on this node.
    if (msg.module !== TTVM_MODULE) return reply("notsup");
    const options = properListItems(msg.options) ?? [];
    const linkOrMonitor = options.some((o) =>
      isAtom(o, "link") || isAtom(o, "monitor") || (isTuple(o, 2) && isAtom(o.items[0], "monitor"))
    );
    if (linkOrMonitor) return reply("badopt");
    const args = (properListItems(msg.args) ?? []).map((a) => erlToHost(a, this));
    let entryPc: number;
    const bindings: Array<[string, HostValue]> = [];
    // Hot code loading may have published a new image (new pcs, labels of new versions).
    if (this.host.image.refresh()) this.labels = null;
    if (msg.function === FUN_ENTRY) {
      const f = args[0];
      if (f?.kind !== "function" && f?.kind !== "closure") return reply("badarg");
      const rest = args.slice(1);
      const pc = f.code?.pc ?? -1;
      if (rest.length !== f.params.length || pc < 0 || pc >= this.host.image.nInstr) {
        return reply("badarg");
      }
      if (f.kind === "closure") bindings.push(...f.captured);
      f.params.forEach((p, i) => bindings.push([p, rest[i]]));
      entryPc = pc;
    } else {
      const pc = this.labelPc(msg.function);
      if (pc === undefined || args.length !== 0) return reply("badarg");
      entryPc = pc;
    }
    let pid: number;
    try {
      pid = this.host.spawn(entryPc, bindings);
    } catch {
      return reply("system_limit");
    }
    reply(this.node.pidOf(pid));
  }

  private labelPc(name: string): number | undefined {
    if (this.labels === null) {
      this.labels = new Map();
      // Later modules first, so that main-file labels win when names clash (as SPAWN does).
      for (const l of [...this.host.image.labels].sort((a, b) => b.module - a.module)) {
        this.labels.set(l.name, l.pc);
      }
    }
    return this.labels.get(name);
  }

  // ── this node as a group leader ──────────────────────────────────────────────────────────

  /** Erlang processes started by SPAWN_AT have this node (pid number 0) as group leader: their
   *  output requests are printed here and answered, as Erlang's own group leader would. */
  private groupLeader(message: ErlTerm): void {
    if (!isTuple(message, 4) || !isAtom(message.items[0], "io_request")) return;
    const [, from, replyAs, request] = message.items;
    if (!isPid(from)) return;
    const text = ioRequestText(request);
    if (text !== undefined) this.host.print(text);
    const result = text === undefined ? tuple(atom("error"), atom("enotsup")) : atom("ok");
    try {
      this.node.send(this.node.pidOf(0), from, tuple(atom("io_reply"), replyAs, result));
    } catch (e) {
      this.problem(e);
    }
  }
}

const NULL: HostValue = { kind: "null" };
