/**
 * A stand-in for the VM in the distribution tests: it owns a DistNode, gives out local
 * processes (a pid and a mailbox each, no code) and routes every received signal to the target
 * process's mailbox, where a test waits for it with a bounded receive. It shows the intended use
 * of DistNode's interface: pidOf / onControl / typed senders.
 *
 * Routing: SEND and REG_SEND (by registered name) and ALIAS_SEND (by alias ref) arrive as
 * messages; every other signal arrives as a "signal" entry. Unknown targets behave as in Erlang:
 * a monitor on a name nobody has fires `noproc`, everything else to nobody is dropped.
 */
import type { ReceivedControl } from "../../src/dist/control.ts";
import { DistNode, type DistNodeOptions } from "../../src/dist/node.ts";
import { formatErlTerm } from "../../src/dist/format.ts";
import {
  atom,
  binary,
  type ErlPid,
  type ErlRef,
  type ErlTerm,
  isAtom,
  isTuple,
  list,
  properListItems,
  termEquals,
  tuple,
} from "../../src/dist/term.ts";

export type Entry =
  | { kind: "message"; message: ErlTerm; msg: ReceivedControl }
  | { kind: "signal"; msg: ReceivedControl };

export class Proc {
  readonly entries: Entry[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly vm: MiniVm, readonly pid: ErlPid) {}

  deliver(entry: Entry): void {
    this.entries.push(entry);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Removes and returns the first entry `pick` accepts, waiting at most `timeoutMs`. */
  async receive<T>(
    pick: (e: Entry) => T | undefined,
    timeoutMs = 30_000,
    what = "entry",
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = 0; i < this.entries.length; i++) {
        const got = pick(this.entries[i]);
        if (got !== undefined) {
          this.entries.splice(i, 1);
          return got;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.entries.map((e) =>
          e.kind === "message"
            ? formatErlTerm(e.message)
            : `${e.msg.op} ${formatErlTerm(e.msg.control)}`
        );
        throw new Error(
          `no ${what} for ${formatErlTerm(this.pid)} within ${timeoutMs} ms; has: ${seen}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** The next message matching `pick`. */
  message<T>(pick: (m: ErlTerm) => T | undefined, timeoutMs = 30_000): Promise<T> {
    return this.receive(
      (e) => e.kind === "message" ? pick(e.message) : undefined,
      timeoutMs,
      "message",
    );
  }

  /** The next signal with operation `op`. */
  signal<Op extends ReceivedControl["op"]>(
    op: Op,
    timeoutMs = 30_000,
  ): Promise<Extract<ReceivedControl, { op: Op }>> {
    return this.receive(
      (e) =>
        e.kind === "signal" && e.msg.op === op
          ? e.msg as Extract<ReceivedControl, { op: Op }>
          : undefined,
      timeoutMs,
      `${op} signal`,
    );
  }
}

export class MiniVm {
  readonly procs = new Map<number, Proc>();
  readonly names = new Map<string, Proc>();
  readonly aliases = new Map<string, Proc>();
  readonly ups: string[] = [];
  readonly downs: { node: string; reason: string }[] = [];
  private nextNumber = 1;
  private downWaiters: (() => void)[] = [];

  node!: DistNode;

  static async start(opts: DistNodeOptions): Promise<MiniVm> {
    const vm = new MiniVm();
    vm.node = await DistNode.start({
      ...opts,
      onControl: (from, msg) => vm.route(from, msg),
      onNodeUp: (n) => vm.ups.push(n),
      onNodeDown: (n, reason) => {
        vm.downs.push({ node: n, reason });
        for (const w of vm.downWaiters.splice(0)) w();
      },
    });
    return vm;
  }

  spawn(name?: string): Proc {
    const proc = new Proc(this, this.node.pidOf(this.nextNumber++));
    this.procs.set(this.node.localNumberOf(proc.pid)!, proc);
    if (name) this.names.set(name, proc);
    return proc;
  }

  /** Makes `ref` an alias of `proc` (what erlang:alias/0 does). */
  alias(proc: Proc): ErlRef {
    const ref = this.node.makeRef();
    this.aliases.set(formatErlTerm(ref), proc);
    return ref;
  }

  private procOf(p: ErlPid): Proc | undefined {
    const n = this.node.localNumberOf(p);
    return n === undefined ? undefined : this.procs.get(n);
  }

  private route(_from: string, msg: ReceivedControl): void {
    switch (msg.op) {
      case "SEND":
        return this.procOf(msg.to)?.deliver({ kind: "message", message: msg.message, msg });
      case "REG_SEND":
        return this.names.get(msg.toName)?.deliver({ kind: "message", message: msg.message, msg });
      case "ALIAS_SEND":
        return this.aliases.get(formatErlTerm(msg.alias))?.deliver({
          kind: "message",
          message: msg.message,
          msg,
        });
      case "MONITOR_P": {
        const target = isAtom(msg.to) ? this.names.get(msg.to.name) : this.procOf(msg.to);
        if (target) return target.deliver({ kind: "signal", msg });
        const who = isAtom(msg.to) ? msg.to.name : msg.to;
        return this.node.monitorExit(who, msg.from, msg.ref, atom("noproc"));
      }
      case "DEMONITOR_P": {
        const target = isAtom(msg.to) ? this.names.get(msg.to.name) : this.procOf(msg.to);
        return target?.deliver({ kind: "signal", msg });
      }
      case "SPAWN_REQUEST":
        return this.procOf(msg.groupLeader)?.deliver({ kind: "signal", msg }) ??
          this.spawnDefault(msg);
      case "NODE_LINK":
        return;
      default:
        return this.procOf(msg.to)?.deliver({ kind: "signal", msg });
    }
  }

  /** Spawn requests from other nodes: a new (code-less) process, linked/monitored as asked. */
  private spawnDefault(msg: Extract<ReceivedControl, { op: "SPAWN_REQUEST" }>): void {
    const proc = this.spawn();
    const opts = properListItems(msg.options) ?? [];
    const flags = (opts.some((o) => isAtom(o, "link")) ? 1 : 0) |
      (opts.some((o) => isAtom(o, "monitor")) ? 2 : 0);
    proc.deliver({ kind: "signal", msg });
    this.node.spawnReply(msg.reqId, msg.from, flags, proc.pid);
  }

  /** Waits until onNodeDown has fired for `node`; returns its reason. */
  async nodeDown(node: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.downs.find((d) => d.node === node);
      if (hit) return hit.reason;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no nodedown for ${node} within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        this.downWaiters.push(r);
        timer = setTimeout(r, left);
      });
      clearTimeout(timer);
    }
  }

  private evalCount = 0;
  /**
   * Evaluates Erlang `code` on `peerNode` (tests/dist/ttvm_peer.erl's `peer` server) with the
   * given variable bindings; returns the value, throws with the Erlang error.
   */
  async eval(
    peerNode: string,
    code: string,
    bindings: Record<string, ErlTerm> = {},
    timeoutMs = 10_000,
  ): Promise<ErlTerm> {
    const caller = this.spawn(`eval_${++this.evalCount}`);
    const ref = this.node.makeRef();
    const bound = Object.entries(bindings).map(([k, v]) => tuple(atom(k), v));
    this.node.regSend(
      caller.pid,
      peerNode,
      "peer",
      tuple(atom("eval"), caller.pid, ref, binary(code), list(bound)),
    );
    const result = await caller.message(
      (m) => isTuple(m, 2) && termEquals(m.items[0], ref) ? m.items[1] : undefined,
      timeoutMs,
    );
    if (isTuple(result, 2) && isAtom(result.items[0], "ok")) return result.items[1];
    throw new Error(`Erlang evaluation failed: ${formatErlTerm(result)}\ncode: ${code}`);
  }

  stop(): Promise<void> {
    return this.node.stop();
  }
}
