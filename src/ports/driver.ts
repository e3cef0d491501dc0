/**
 * The port driver: the one I/O owner of a run (OTP's shape — see docs/ARCHITECTURE.md, "I/O").
 * It lives on the main thread, next to Deno's event loop, and holds everything that waits on
 * the outside world: sockets, listeners, HTTP servers and requests, child processes, files in
 * flight, standard input, databases, and every timer. Processes never touch those objects;
 * they send requests (src/ports/protocol.ts) and get their completions back as signals, so a
 * process that waits is simply WAITING and its scheduler runs the others.
 *
 * Invariants:
 * - Only the driver's thread touches `handles` and the JavaScript objects in them.
 * - A completion is delivered (signal pushed, process made runnable — H_ACTIVE incremented)
 *   *before* the driver forgets the work that produced it (`inflight` decremented), so the
 *   quiescence test — no active process and nothing in the driver that can wake one — never
 *   sees a moment where both are zero while a wake-up is on its way.
 * - A handle belongs to its owner process; when that process exits (REQ_EXITED) the driver
 *   closes everything it still owns.
 */
import type { Memory } from "../mem/memory.ts";
import { P_TIMER_SEQ } from "../proc/pcb.ts";
import {
  freeNode,
  N_VALUE_CELL,
  newNode,
  OVER_LIMIT,
  PUSHED,
  pushMessage,
  pushSignal,
  SIG_IO_REPLY,
  SIG_MSG,
  SIG_TIMEOUT,
  TARGET_GONE,
} from "../proc/signals.ts";
import { type ProcTable, ST_RUNNABLE, ST_WAITING } from "../proc/table.ts";
import type { HostValue } from "../term/host.ts";
import type { Values } from "../term/values.ts";
import { PortTable } from "./port_table.ts";
import {
  NEVER_MS,
  type PortRequest,
  REPLY_ERROR,
  REPLY_OK,
  REQ_CLOSE,
  REQ_EXITED,
  REQ_HANDOVER,
  REQ_RESUME,
  REQ_TIMER,
} from "./protocol.ts";
import { TimerHeap } from "./timers.ts";
import { osErrorText } from "../vm/errors.ts";

/** An error whose message is shown to the program as is (a catchable VM error). */
export class PortError extends Error {}

/** Makes a process runnable after a signal was pushed (single scheduler or SMP injection). */
export interface Waker {
  /** `pid` got a signal: if it was WAITING, make it RUNNABLE and queue it. */
  wake(pid: number): void;
}

/** What a handle (socket, server, request, …) must offer the driver. */
export interface PortHandle {
  readonly id: number;
  /** Index into CONN_KINDS. */
  readonly kind: number;
  /** True while it can deliver messages on its own (active socket, HTTP listener): the run
   *  is not quiescent while such a handle's owner lives. */
  isSource(): boolean;
  /** Release the OS resources (idempotent). A handle that finishes in the background (a
   *  server answering its last requests, a socket writing what was sent before the close)
   *  returns the promise of that; the run waits for it before it ends. */
  close(): void | Promise<void>;
  /** The owner changed (CONN_HANDOVER): active delivery goes to the new owner. */
  ownerChanged?(pid: number): void;
  /** The owner drained its backlog of active messages (flow control). */
  resume?(): void;
}

/** Something long-lived in the driver's world besides handles (the distribution node,
 *  src/cluster/): it keeps the run alive while `canWake()` is true and is stopped with the
 *  driver. */
export interface DriverService {
  canWake(): boolean;
  /** The run is over: release everything; resolves when done. */
  stop(): Promise<void>;
}

/** A request handler: starts the work; replies (now or later) through the driver. */
export type Handler = (driver: PortDriver, req: PortRequest) => void;

export interface DriverHost {
  mem: Memory;
  values: Values;
  table: ProcTable;
  /** A process's limit of unreceived message cells (its memory limit). */
  queueLimitCells: number;
  clock(): number;
  /** Flush program output (before a child process inherits the terminal, at exit). */
  flushOutput(): void;
}

export { NEVER_MS };

export class PortDriver {
  readonly ports: PortTable;
  readonly timers: TimerHeap = new TimerHeap();
  private readonly handles = new Map<number, PortHandle>();
  private readonly owned = new Map<number, Set<number>>();
  private readonly handlers = new Map<number, Handler>();
  /** Work started and not yet completed. */
  private inflight = 0;
  /** Called after anything that may have made a process runnable or changed whether the
   *  driver can still wake one (the scheduler loop or the SMP serve loop re-checks). */
  onActivity: (() => void) | null = null;
  /** Set once the run ended: late completions are dropped. */
  private closed = false;
  private readonly services: DriverService[] = [];
  /** Hot code loading (src/ports/code.ts; set by createDriver): --reload loads through it. */
  codeLoader: { load(path: string): void; moduleFiles(): Map<string, number> } | null = null;
  private servicesStopped: Promise<unknown> = Promise.resolve();

  constructor(readonly host: DriverHost, private readonly waker: Waker) {
    this.ports = new PortTable(host.mem);
  }

  addService(service: DriverService): void {
    this.services.push(service);
  }

  /** Register the handler of a request kind (each src/ports module registers its own). */
  on(kind: number, handler: Handler): void {
    if (this.handlers.has(kind)) throw new Error(`port driver: kind ${kind} registered twice`);
    this.handlers.set(kind, handler);
  }

  // ── requests ────────────────────────────────────────────────────────────────────────────

  accept(req: PortRequest): void {
    if (this.closed) return;
    switch (req.kind) {
      case REQ_TIMER:
        this.timers.push(req.a, req.from, req.seq);
        return;
      case REQ_EXITED:
        this.ownerExited(req.from);
        return;
      case REQ_HANDOVER:
        this.handedOver(req.handle, req.from, req.a);
        return;
      case REQ_RESUME:
        this.handles.get(req.handle)?.resume?.();
        return;
      case REQ_CLOSE:
        this.closeHandle(req.handle);
        return;
    }
    const handler = this.handlers.get(req.kind);
    if (!handler) {
      this.fail(req, `internal error: no port handler for request ${req.kind}`);
      return;
    }
    try {
      handler(this, req);
    } catch (e) {
      this.fail(req, errorText(e));
    }
  }

  /** Run `work` for `req`: its result (or error) becomes the reply. */
  start(req: PortRequest, work: () => Promise<HostValue>): void {
    this.inflight++;
    let p: Promise<HostValue>;
    try {
      p = work();
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => this.reply(req, v),
      (e) => this.fail(req, errorText(e)),
    ).finally(() => {
      this.inflight--;
      this.activity();
    });
  }

  /** Count outside work that will complete by itself (a handle's pending read, …). */
  begin(): void {
    this.inflight++;
  }
  end(): void {
    this.inflight--;
    this.activity();
  }

  reply(req: PortRequest, value: HostValue): void {
    if (req.seq !== 0) this.signal(req.from, SIG_IO_REPLY, req.seq, REPLY_OK, value);
  }

  fail(req: PortRequest, message: string): void {
    if (req.seq !== 0) {
      this.signal(req.from, SIG_IO_REPLY, req.seq, REPLY_ERROR, { kind: "str", value: message });
    }
  }

  /** An ordinary message to `pid`; `handle` (non-zero) marks active-mode data of that handle
   *  for flow control (the receiver decrements its unreceived count). */
  message(pid: number, value: HostValue, handle = 0): boolean {
    if (handle !== 0) this.ports.addUnreceived(handle, 1);
    const ok = this.signal(pid, SIG_MSG, 0, 0, value, handle);
    if (!ok && handle !== 0) this.ports.addUnreceived(handle, -1);
    return ok;
  }

  /** Deliver any signal to a local process on behalf of `from` (a proxy PID of a remote
   *  process, or 0 for the runtime): SIG_MSG, SIG_EXIT (a = exit mode), SIG_LINK, SIG_UNLINK,
   *  SIG_MONITOR / SIG_DEMONITOR / SIG_DOWN (a = ref). False when `pid` is gone. */
  deliverSignal(pid: number, kind: number, from: number, a: number, value: HostValue): boolean {
    return this.signal(pid, kind, a, 0, value, 0, from);
  }

  /** A signal without a value from the runtime (SIG_PURGE: a and b are its pc range); false
   *  when `pid` is gone. */
  signalProcess(pid: number, kind: number, a: number, b: number): boolean {
    return this.signal(pid, kind, a, b, { kind: "null" });
  }

  /** Build a signal node carrying `value` and deliver it; false when `pid` is gone. */
  private signal(
    pid: number,
    kind: number,
    a: number,
    b: number,
    value: HostValue,
    port = 0,
    from = 0,
  ): boolean {
    if (this.closed) return false;
    const { mem, values, table } = this.host;
    // The runtime's own allocation: a reply must not fail because processes used the memory.
    const node = mem.system(() => newNode(mem, kind, from, a, values.hostCells(value)));
    const w = mem.i32;
    w[(node << 2) + 5] = kind === SIG_MSG ? port : b;
    let next = node + 3;
    values.writeHostWith(node + N_VALUE_CELL, value, (cells) => {
      const at = next;
      next += cells;
      return at;
    });
    const r = kind === SIG_MSG
      ? pushMessage(mem, table, pid, node, this.host.queueLimitCells)
      : (pushSignal(mem, table, pid, node) ? PUSHED : TARGET_GONE);
    if (r !== PUSHED) {
      freeNode(mem, node);
      if (r === OVER_LIMIT) this.waker.wake(pid);
      return false;
    }
    this.waker.wake(pid);
    return true;
  }

  // ── timers ──────────────────────────────────────────────────────────────────────────────

  /** Fire every timer due at `now`; returns how many fired. */
  fireDue(now: number): number {
    const timers = this.timers;
    let fired = 0;
    while (timers.size > 0 && timers.peek() <= now) {
      const [pid, seq] = timers.pop();
      if (!this.stillWaits(pid, seq)) continue;
      const { mem, table } = this.host;
      const node = mem.system(() => newNode(mem, SIG_TIMEOUT, 0, seq));
      if (pushSignal(mem, table, pid, node)) this.waker.wake(pid);
      else freeNode(mem, node);
      fired++;
    }
    return fired;
  }

  /** Milliseconds until the earliest timer (Infinity when none). */
  nextTimerInMs(now: number): number {
    const d = this.timers.peek();
    return d >= NEVER_MS ? Infinity : Math.max(0, d - now);
  }

  private stillWaits(pid: number, seq: number): boolean {
    const { mem, table } = this.host;
    const pcb = table.pcbOf(pid);
    return pcb !== 0 && Atomics.load(mem.i32, (pcb << 2) + P_TIMER_SEQ) === seq;
  }

  /** Whether some process still waits for one of the timers. Stale timers (the receive they
   *  guarded got its message, the process is gone) must not keep a finished run alive; they
   *  are dropped once none is live. Stops at the first live timer, so an idle check costs
   *  O(1) while one is live — no rebuild of the heap. Call only while no process runs, when
   *  P_TIMER_SEQ words are stable. */
  private hasLiveTimer(): boolean {
    if (this.timers.size === 0) return false;
    if (this.timers.some((pid, seq) => this.stillWaits(pid, seq))) return true;
    this.timers.clear();
    return false;
  }

  // ── handles ─────────────────────────────────────────────────────────────────────────────

  /** Register a handle created for `owner` (its id comes from the port table). */
  add(handle: PortHandle, owner: number): void {
    this.handles.set(handle.id, handle);
    let set = this.owned.get(owner);
    if (!set) this.owned.set(owner, set = new Set());
    set.add(handle.id);
  }

  get(id: number): PortHandle | undefined {
    return this.handles.get(id);
  }

  /** Close and forget a handle (idempotent). */
  closeHandle(id: number): void {
    const h = this.handles.get(id);
    if (!h) return;
    this.handles.delete(id);
    const owner = this.ports.owner(id);
    this.owned.get(owner)?.delete(id);
    this.ports.release(id);
    try {
      const finishing = h.close();
      if (finishing) this.finishing.add(finishing.finally(() => this.finishing.delete(finishing)));
    } catch {
      // Closing a socket the peer already reset: nothing left to release.
    }
    this.activity();
  }

  /** Closes still finishing in the background (see PortHandle.close). */
  private readonly finishing = new Set<Promise<void>>();

  private handedOver(id: number, from: number, to: number): void {
    this.owned.get(from)?.delete(id);
    let set = this.owned.get(to);
    if (!set) this.owned.set(to, set = new Set());
    set.add(id);
    this.handles.get(id)?.ownerChanged?.(to);
    // The new owner may already be gone: it could not have told us.
    if (!this.host.table.isAlive(to)) this.ownerExited(to);
  }

  private ownerExited(pid: number): void {
    const set = this.owned.get(pid);
    this.owned.delete(pid);
    if (set) {
      for (const id of set) {
        // Handed over meanwhile? The new owner keeps it.
        const owner = this.ports.owner(id);
        if (owner === pid || owner === 0) this.closeHandle(id);
      }
    }
    for (const h of this.handles.values()) {
      if (h.kind === HTTP_REQUEST_KIND && this.ports.owner(h.id) === pid) this.closeHandle(h.id);
    }
    this.activity();
  }

  // ── quiescence ──────────────────────────────────────────────────────────────────────────

  /** Whether anything the driver holds can still make a process runnable: work in flight,
   *  a timer someone waits for, or a handle that delivers messages by itself. */
  canWake(): boolean {
    return this.waitsOnOutside() || this.hasLiveTimer();
  }

  /** Work in flight, handles and services that deliver by themselves: what only Deno's event
   *  loop can complete (timers the scheduler fires itself). */
  waitsOnOutside(): boolean {
    if (this.inflight > 0) return true;
    for (const h of this.handles.values()) if (h.isSource()) return true;
    for (const s of this.services) if (s.canWake()) return true;
    return false;
  }

  /** Open handles (for the leak checks of the tests and --stats). */
  get openHandles(): number {
    return this.handles.size;
  }

  private activity(): void {
    this.onActivity?.();
  }

  /** The run is over: close every handle; later completions are dropped. Resolves when the
   *  closes have finished their background work (last HTTP responses, writes sent before a
   *  close), at most `lingerMs` later — so the process does not exit under them. */
  async shutdown(lingerMs = 5000): Promise<void> {
    for (const id of [...this.handles.keys()]) this.closeHandle(id);
    this.closed = true;
    this.servicesStopped = Promise.allSettled(this.services.splice(0).map((s) => s.stop()));
    if (this.finishing.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.finishing]),
      new Promise<void>((resolve) => timer = setTimeout(resolve, lingerMs)),
    ]);
    clearTimeout(timer);
  }

  /** Resolves when the services stopped by `shutdown` have finished stopping. */
  async stopped(): Promise<void> {
    await this.servicesStopped;
  }
}

/** CONN_KINDS index of an HTTP request handle (answered 503 when its holder dies). */
export const HTTP_REQUEST_KIND = 4;

/** The message of an error thrown by port work, as the program sees it. */
export function errorText(e: unknown): string {
  if (e instanceof PortError) return e.message;
  return osErrorText(e);
}

/** A Waker for the single scheduler: `enqueue` is the scheduler's. */
export function casWaker(table: ProcTable, enqueue: (pid: number) => void): Waker {
  return {
    wake(pid: number) {
      if (table.casStatus(pid, ST_WAITING, ST_RUNNABLE)) enqueue(pid);
    },
  };
}
