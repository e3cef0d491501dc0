/**
 * Processes: spawning, signals, mailboxes, links, monitors and exits — the actor semantics of
 * LANGUAGE.md §2–§3 on top of the shared process table. One instance per thread; all state is
 * in shared memory.
 *
 * Who touches what: a process's PCB, mailbox and relations are touched only by the thread
 * running that process; other processes reach it only through `pushSignal` + `wake`. The
 * scheduler is told about runnable processes through `Scheduler.enqueue`, which is only called
 * after the CAS that made the process RUNNABLE.
 */
import type { Memory } from "../mem/memory.ts";
import { copyValue, takeCopiedConn, valueCells } from "../term/copy.ts";
import {
  objectCells,
  setAtomStr,
  setNull,
  setPid,
  setPtr,
  setSmallInt,
  T_ATOM_STR,
  T_OBJECT,
  T_STR,
} from "../term/tags.ts";
import type { Values } from "../term/values.ts";
import {
  DEFAULT_LIMITS,
  FLAG_CRASHED,
  FLAG_IO_WAIT,
  FLAG_PARKED,
  FLAG_SUPERVISOR,
  FLAG_TRAP_EXIT,
  FLAG_USES_PORTS,
  FRAME_CALL,
  P_DEADLINE,
  P_EXIT_PC,
  P_FLAGS,
  P_FP,
  P_FRAMES,
  P_GC_CELLS_COPIED,
  P_GC_COUNT,
  P_MBOX_LEN,
  P_PARENT,
  P_PC,
  P_PID,
  P_SAVE_NODE,
  P_TIMER_SEQ,
  R_REASON,
  R_TMP1,
  SparePcbs,
} from "./pcb.ts";
import { Registry } from "./registry.ts";
import { Mailbox, N_ORIGIN, ORIGIN_DOWN, ORIGIN_EXIT } from "./mailbox.ts";
import { REL_LINK, REL_MON, REL_NAME, REL_WATCH, Relations } from "./relations.ts";
import {
  closeSignals,
  copyIntoNode,
  EXIT_DIRECT,
  EXIT_LINK,
  EXIT_UNTRAPPABLE,
  freeNode,
  hasSignals,
  hasSignalsAt,
  N_FROM,
  N_KIND,
  N_NEXT,
  N_VALUE_CELL,
  newNode,
  newValueNode,
  NODE_HEADER_CELLS,
  OVER_LIMIT,
  pendingMessages,
  PUSHED,
  pushMessageAt,
  pushSignal,
  pushSignalAt,
  SIG_DEMONITOR,
  SIG_DOWN,
  SIG_EXIT,
  SIG_INFO,
  SIG_IO_REPLY,
  SIG_LINK,
  SIG_MONITOR,
  SIG_MSG,
  SIG_NAME,
  SIG_PURGE,
  SIG_TIMEOUT,
  SIG_UNLINK,
  takeSignalsAt,
  TARGET_GONE,
} from "./signals.ts";
import {
  E_FLAGS,
  E_STATUS,
  EF_OVER_LIMIT,
  ProcTable,
  ST_PROXY,
  ST_RUNNABLE,
  ST_WAITING,
} from "./table.ts";
import { H_NEXT_REF } from "../mem/layout.ts";
import type { Machine } from "../vm/machine.ts";
import type { ProgramImage } from "../mem/image.ts";
import type { AtomTable } from "../mem/atoms.ts";
import type { HostValue } from "../term/host.ts";
import { REPLY_OK } from "../ports/protocol.ts";
import {
  type InfoContext,
  processInfo,
  STATUS_RUNNABLE,
  STATUS_RUNNING,
  STATUS_WAITING,
} from "./introspect.ts";

/** What the process table needs from a scheduler. */
export interface Scheduler {
  /** pid has just been made RUNNABLE (by CAS); put it in a run queue. */
  enqueue(pid: number): void;
  /** Make pid runnable (if still WAITING with timer `seq`) at time `deadlineMs`. */
  armTimer(pid: number, deadlineMs: number, seq: number): void;
}

/** The scheduler of a process layer not yet attached to one. */
const UNATTACHED: Scheduler = {
  enqueue(pid: number): void {
    throw new Error(`internal error: process ${pid} made runnable before a scheduler was attached`);
  },
  armTimer(pid: number): void {
    throw new Error(
      `internal error: timer of process ${pid} armed before a scheduler was attached`,
    );
  },
};

/** onLinkExit results. */
export const SUP_NOT_CHILD = 0;
export const SUP_HANDLED = 1;
/** The supervisor must exit now (its reason is in R_REASON). */
export const SUP_EXIT_NOW = 2;

/** Hooks the supervisor logic installs (src/proc/supervisor.ts). */
export interface SupervisorHooks {
  /** A supervisor got an EXIT through a link from `fromPid`; SUP_* above. */
  onLinkExit(pcb: number, fromPid: number, reasonCell: number): number;
  /** The supervisor must exit with the reason in R_REASON: terminate the children first.
   *  Returns true when it can exit now, false when it waits for children to finish. */
  beginShutdown(pcb: number): boolean;
  /** A supervisor is exiting: terminate whatever children are still running. */
  onExit(pcb: number): void;
}

/** The reason of a process ended by its memory limit (LANGUAGE.md §2). */
export const HEAP_LIMIT_REASON = "Heap limit exceeded";

export interface ExitReport {
  pid: number;
  reason: string;
  crashed: boolean;
}

export class Processes {
  readonly table: ProcTable;
  readonly registry: Registry;
  readonly rel: Relations;
  readonly mailbox: Mailbox;
  /** This thread's PCBs of exited processes, kept for the next ones (see SparePcbs). */
  readonly spare: SparePcbs;
  /** Cells of unreceived messages a process may have queued (its memory limit). */
  queueLimitCells = DEFAULT_LIMITS.maxHeapCells;
  /** The driver of this thread's processes, attached once it exists (the Vm, the SMP worker,
   *  the pool's main thread); until then making a process runnable is an internal error. */
  sched: Scheduler = UNATTACHED;
  supervisor: SupervisorHooks | null = null;
  /** Called for every exit (for --verbose, crash reports, the main process's status). */
  onExit: ((pcb: number, report: ExitReport) => void) | null = null;
  /** Called when a process that used ports exits (the driver closes what it owns). */
  portsExit: ((pid: number) => void) | null = null;
  /** A new process got Connections in its arguments (it becomes the HTTP requests' holder). */
  adopt: ((pcb: number, cell: number) => void) | null = null;
  /** Called when a process is made runnable for the first time (--trace-procs). */
  onStart: ((pid: number) => void) | null = null;
  private readonly normalAtom: number;
  private readonly notifyAtoms: Record<
    "type" | "ref" | "pid" | "from" | "reason" | "EXIT" | "DOWN" | "noproc",
    number
  >;
  private readonly killAtom: number;
  private readonly shutdownAtom: number;

  constructor(
    readonly mem: Memory,
    readonly values: Values,
    readonly atoms: AtomTable,
    readonly image: ProgramImage,
    private readonly machine: Machine,
  ) {
    this.table = new ProcTable(mem);
    this.registry = new Registry(mem);
    this.rel = new Relations(mem);
    this.mailbox = new Mailbox(mem, this.table);
    this.spare = new SparePcbs(mem);
    this.normalAtom = atoms.intern("normal");
    this.notifyAtoms = {
      type: atoms.intern("type"),
      ref: atoms.intern("ref"),
      pid: atoms.intern("pid"),
      from: atoms.intern("from"),
      reason: atoms.intern("reason"),
      EXIT: atoms.intern("EXIT"),
      DOWN: atoms.intern("DOWN"),
      noproc: atoms.intern("noproc"),
    };
    this.killAtom = atoms.intern("kill");
    this.shutdownAtom = atoms.intern("shutdown");
  }

  pid(pcb: number): number {
    return this.mem.i32[(pcb << 2) + P_PID];
  }

  flags(pcb: number): number {
    return this.mem.i32[(pcb << 2) + P_FLAGS];
  }

  // ── spawning ────────────────────────────────────────────────────────────────────────────

  /** Create a process that starts at `entryPc` (not yet runnable). */
  create(parentPid: number, entryPc: number): { pid: number; pcb: number } {
    const pid = this.table.newPid();
    const pcb = this.spare.take(pid, entryPc);
    this.mem.i32[(pcb << 2) + P_PARENT] = parentPid;
    this.table.attach(pid, pcb);
    return { pid, pcb };
  }

  /** Bind arguments in a new process's first frame: a CALL frame returning to the program's
   *  END, so that returning from the entry function ends the process normally. `bindings` are
   *  (atom, source cell) pairs; sources are deep-copied into the child's heap. */
  bindEntryFrame(childPcb: number, bindings: Array<[number, number]>): void {
    const m = this.machine;
    m.pushFrame(childPcb, this.image.modules[0].endPc, FRAME_CALL, bindings.length);
    if (bindings.length === 0) return; // a function without parameters (most spawns)
    let total = 0;
    for (let i = 0; i < bindings.length; i++) total += valueCells(this.mem.i32, bindings[i][1]);
    const heap = this.values.heap;
    heap.reserve(childPcb, total);
    for (const [atom, src] of bindings) {
      copyValue(this.mem.i32, src, childPcb + R_TMP1, heap.bumpFor(childPcb));
      if (takeCopiedConn()) this.adopt?.(childPcb, childPcb + R_TMP1);
      m.storeVar(childPcb, atom, childPcb + R_TMP1);
    }
    setNull(this.mem.i32, childPcb + R_TMP1);
  }

  /** Make a created process runnable. */
  start(pid: number): void {
    this.onStart?.(pid);
    this.table.setStatus(pid, ST_RUNNABLE);
    this.sched.enqueue(pid);
  }

  newRef(): number {
    return this.mem.add(H_NEXT_REF, 1) + 1;
  }

  // ── signals ─────────────────────────────────────────────────────────────────────────────

  /** Called before any signal leaves this thread (SMP: flush output, so that a line printed
   *  before a SEND appears before anything the receiver prints; --trace-procs: message
   *  flows). */
  beforeDeliver: ((toPid: number, node: number) => void) | null = null;
  /** A signal whose target refused it (dead, or a proxy: src/proc/table.ts ST_PROXY) is offered
   *  here: the distribution bridge takes (and frees) the node when `toPid` is a proxy and returns
   *  true. So every signal to a process on another node leaves through `deliver`, like a local
   *  one. Null when the run is not distributed. */
  remote: ((toPid: number, node: number) => boolean) | null = null;

  /** Deliver a signal node; wakes the target. False (node freed) when the target is dead. A
   *  message beyond the target's memory limit is refused and the target woken to end with
   *  `Heap limit exceeded` (src/proc/signals.ts pushMessage). */
  deliver(toPid: number, node: number): boolean {
    return this.deliverAt(this.table.entry(toPid), toPid, node);
  }

  /** deliver, with toPid's table entry `e` already looked up (0: none). */
  private deliverAt(e: number, toPid: number, node: number): boolean {
    this.beforeDeliver?.(toPid, node);
    const w = this.mem.i32;
    if (w[(node << 2) + N_KIND] === SIG_MSG) {
      const r = e === 0 ? TARGET_GONE : pushMessageAt(this.mem, e, node, this.queueLimitCells);
      if (r !== PUSHED) {
        if (r === TARGET_GONE && this.remote?.(toPid, node)) return true;
        freeNode(this.mem, node);
        if (r === OVER_LIMIT) this.wake(toPid);
        return false;
      }
    } else if (e === 0 || !pushSignalAt(this.mem, e, node)) {
      if (this.remote?.(toPid, node)) return true;
      freeNode(this.mem, node);
      return false;
    }
    this.wakeAt(e, toPid);
    return true;
  }

  /** A sender found this process's unreceived messages over its memory limit: it ends now
   *  (reason in R_REASON). Checked at the start of every slice. */
  overLimit(pcb: number): boolean {
    return this.overLimitAt(pcb, this.table.entry(this.pid(pcb)));
  }

  /** overLimit, with the process's table entry `e` already looked up. */
  overLimitAt(pcb: number, e: number): boolean {
    if ((this.mem.load((e << 2) + E_FLAGS) & EF_OVER_LIMIT) === 0) return false;
    this.setReasonText(pcb, HEAP_LIMIT_REASON);
    const w = this.mem.i32, p = pcb << 2;
    w[p + P_FLAGS] |= FLAG_CRASHED;
    w[p + P_EXIT_PC] = w[p + P_PC]; // where it waited or was preempted
    return true;
  }

  /** A WAITING process becomes RUNNABLE (the CAS decides who enqueues it). */
  wake(pid: number): void {
    const e = this.table.entry(pid);
    if (e !== 0) this.wakeAt(e, pid);
  }

  /** wake, with pid's table entry `e` (non-zero) already looked up. The plain load first skips
   *  the CAS when the target is running or queued already (most sends); it cannot lose a
   *  wake-up: the signal was pushed before this load, and a parking process publishes
   *  WAITING before it re-checks its queue (src/sched/slice.ts park), so one of the two sees
   *  the other. */
  private wakeAt(e: number, pid: number): void {
    const slot = (e << 2) + E_STATUS, mem = this.mem;
    if (
      mem.load(slot) === ST_WAITING && mem.cas(slot, ST_WAITING, ST_RUNNABLE) === ST_WAITING
    ) this.sched.enqueue(pid);
  }

  /** Send a deep copy of the value in `cell`. Dropped silently if the target is dead. */
  send(fromPid: number, toPid: number, cell: number): void {
    const e = this.table.entry(toPid);
    if (e === 0) return;
    this.deliverAt(e, toPid, newValueNode(this.mem, SIG_MSG, fromPid, cell));
  }

  /** A message node holding `{type: "EXIT", from, reason}` or `{type: "DOWN", ref, pid, reason}`
   *  built directly in the node (these are frequent: every monitored exit makes one). The reason
   *  is copied from `reasonCell`, or is the atom `reasonAtom` when reasonCell < 0. */
  notificationNode(
    fromPid: number,
    ref: number,
    reasonCell: number,
    reasonAtom = -1,
  ): number {
    const mem = this.mem, a = this.notifyAtoms;
    const down = ref > 0;
    const fields = down ? 4 : 3;
    const extra = reasonCell >= 0 ? valueCells(mem.i32, reasonCell) : 0;
    const node = newNode(mem, SIG_MSG, fromPid, 0, objectCells(fields) + extra);
    const w = mem.i32, f = mem.f64;
    const o = node + NODE_HEADER_CELLS;
    const h = o << 2;
    w[h] = T_OBJECT;
    w[h + 1] = fields;
    w[h + 2] = objectCells(fields);
    w[h + 3] = 0;
    // Entries of 2 cells (key, value) from cell o + 1, written without a closure (this runs
    // once per monitored exit).
    const typeKey = o + 1, second = o + 3, third = o + 5, fourth = o + 7;
    setAtomStr(w, typeKey, a.type);
    setAtomStr(w, typeKey + 1, down ? a.DOWN : a.EXIT);
    let reasonKey: number;
    if (down) {
      setAtomStr(w, second, a.ref);
      setSmallInt(w, f, second + 1, ref);
      setAtomStr(w, third, a.pid);
      setPid(w, f, third + 1, fromPid);
      reasonKey = fourth;
    } else {
      setAtomStr(w, second, a.from);
      setPid(w, f, second + 1, fromPid);
      reasonKey = third;
    }
    setAtomStr(w, reasonKey, a.reason);
    if (reasonCell >= 0) copyIntoNode(w, reasonCell, reasonKey + 1, o + objectCells(fields));
    else setAtomStr(w, reasonKey + 1, reasonAtom);
    setPtr(w, node + N_VALUE_CELL, T_OBJECT, o);
    w[(node << 2) + N_ORIGIN] = down ? ORIGIN_DOWN : ORIGIN_EXIT;
    if (down) w[(node << 2) + 4] = ref;
    return node;
  }

  /** The DOWN signal an exiting process `pid` sends for monitor `ref` to the watcher whose
   *  table entry is `e`. For a local watcher the node is the DOWN message itself, built once
   *  here; it stays a SIG_DOWN until the watcher, still monitoring, accepts it (handleOne).
   *  A proxy's bridge (src/cluster/forward.ts) reads the reason from the value cell: for a
   *  watcher on another node the node carries the reason alone. */
  private downSignal(pid: number, ref: number, reasonCell: number, e: number): number {
    if (e !== 0 && this.mem.load((e << 2) + E_STATUS) === ST_PROXY) {
      return newValueNode(this.mem, SIG_DOWN, pid, reasonCell, ref);
    }
    const node = this.notificationNode(pid, ref, reasonCell);
    this.mem.i32[(node << 2) + N_KIND] = SIG_DOWN;
    return node;
  }

  /** Handle every pending signal of a running process. Returns true when one of them ends
   *  the process (its reason is then in R_REASON). `sliceStart`: called by the scheduler
   *  before the slice's code runs (rather than from inside a receive). */
  handleSignals(pcb: number, sliceStart = false): boolean {
    const pid = this.pid(pcb);
    return this.handleSignalsAt(pcb, pid, this.table.entry(pid), sliceStart);
  }

  /** handleSignals, with the process's pid and table entry `e` already looked up. */
  handleSignalsAt(pcb: number, pid: number, e: number, sliceStart: boolean): boolean {
    let node = takeSignalsAt(this.mem, e);
    if (node === 0 && !sliceStart) return false;
    this.rel.compact(pcb); // no relation index is held here
    while (node !== 0) {
      const w = this.mem.i32, next = w[(node << 2) + N_NEXT];
      if (w[(node << 2) + N_KIND] === SIG_MSG) {
        // Most signals: a message goes to the mailbox, and cannot end the process.
        this.mailbox.append(pcb, node);
      } else if (this.handleOne(pcb, pid, node, sliceStart)) {
        // The rest are dropped by the exit (closeSignals gets none of them: free them here).
        for (let n = next; n !== 0;) {
          const nn = this.mem.i32[(n << 2) + N_NEXT];
          this.respondToDead(pid, n);
          n = nn;
        }
        return true;
      }
      node = next;
    }
    return false;
  }

  /** Handle one signal node (which it consumes). True when the process must exit. */
  private handleOne(pcb: number, pid: number, node: number, sliceStart: boolean): boolean {
    const w = this.mem.i32;
    const kind = w[(node << 2) + N_KIND];
    const from = w[(node << 2) + N_FROM];
    const a = w[(node << 2) + 4];
    const rel = this.rel;
    switch (kind) {
      case SIG_MSG:
        this.mailbox.append(pcb, node);
        return false;
      case SIG_LINK:
        if (rel.find(pcb, REL_LINK, from) < 0) rel.add(pcb, REL_LINK, from);
        break;
      case SIG_UNLINK: {
        const i = rel.find(pcb, REL_LINK, from);
        if (i >= 0) rel.remove(pcb, i);
        break;
      }
      case SIG_MONITOR:
        rel.add(pcb, REL_WATCH, a, from);
        break;
      case SIG_DEMONITOR: {
        const i = rel.find(pcb, REL_WATCH, a);
        if (i >= 0) rel.remove(pcb, i);
        break;
      }
      case SIG_DOWN: {
        const i = rel.find(pcb, REL_MON, a);
        if (i < 0) break; // demonitored meanwhile: dropped
        rel.remove(pcb, i);
        if (w[(node << 2) + N_ORIGIN] === ORIGIN_DOWN) {
          // Built as the DOWN message by the process that exited (downSignal): it becomes one.
          w[(node << 2) + N_KIND] = SIG_MSG;
          this.mailbox.append(pcb, node);
          return false;
        }
        this.mailbox.append(pcb, this.notificationNode(from, a, node + N_VALUE_CELL));
        break;
      }
      case SIG_EXIT:
        if (this.handleExitSignal(pcb, pid, from, a, node + N_VALUE_CELL)) {
          freeNode(this.mem, node);
          return true;
        }
        break;
      case SIG_IO_REPLY: {
        // Kept for the waiting instruction, which takes it when it runs again.
        const p = pcb << 2;
        if (
          (w[p + P_FLAGS] & FLAG_IO_WAIT) && w[p + P_TIMER_SEQ] === a && w[p + P_SAVE_NODE] === 0
        ) {
          w[p + P_SAVE_NODE] = node;
          return false;
        }
        break;
      }
      case SIG_NAME:
        if (this.registry.whereis(a) === pid && rel.find(pcb, REL_NAME, a) < 0) {
          rel.add(pcb, REL_NAME, a);
        }
        break;
      case SIG_TIMEOUT: {
        // The receive or SLEEP armed with this serial is due (a stale serial is ignored).
        const p = pcb << 2;
        if (w[p + P_TIMER_SEQ] === a && w[p + P_DEADLINE] >= 0) w[p + P_DEADLINE] = 0;
        break;
      }
      case SIG_INFO:
        // Answered at slice start only, when the slice's counters are in and the status is
        // known; inside a receive it goes back on the queue (so a parking receive requeues).
        if (!sliceStart) {
          pushSignal(this.mem, this.table, pid, node);
          return false;
        }
        this.answerInfo(pcb, pid, node);
        break;
      case SIG_PURGE:
        // Hot code loading purged code [a, b]: a process still running it is killed (its
        // registers are in the PCB here, at slice start and inside a receive alike).
        if (this.runsCodeIn(pcb, a, w[(node << 2) + 5])) {
          freeNode(this.mem, node);
          this.setReasonText(pcb, "killed");
          return this.flags(pcb) & FLAG_SUPERVISOR ? this.supervisor!.beginShutdown(pcb) : true;
        }
        break;
    }
    freeNode(this.mem, node);
    return false;
  }

  /** Whether any frame of the process runs code in [fromPc, toPc]: the current pc (the top
   *  frame's code) or a frame's return address (the code of the frame below it). Only the
   *  process itself walks its frames. */
  private runsCodeIn(pcb: number, fromPc: number, toPc: number): boolean {
    const w = this.mem.i32, p = pcb << 2;
    const inside = (pc: number) => pc >= fromPc && pc <= toPc;
    if (inside(w[p + P_PC])) return true;
    const base = w[p + P_FRAMES];
    for (let fpRel = w[p + P_FP];;) {
      const h = (base + fpRel) << 2;
      if (inside(w[h])) return true;
      const prev = w[h + 1];
      if (fpRel === 0 || prev >= fpRel) return false; // the root frame
      fpRel = prev;
    }
  }

  /** Answer the SIG_INFO `node` (still linked to the signals taken after it). */
  private answerInfo(pcb: number, pid: number, node: number): void {
    const w = this.mem.i32;
    const from = w[(node << 2) + N_FROM], seq = w[(node << 2) + 4];
    // Its queue: the mailbox, messages taken with this request, messages sent since.
    let queued = w[(pcb << 2) + P_MBOX_LEN] + pendingMessages(this.mem, this.table, pid);
    for (let n = w[(node << 2) + N_NEXT]; n !== 0; n = w[(n << 2) + N_NEXT]) {
      if (w[(n << 2) + N_KIND] === SIG_MSG) queued++;
    }
    const reply = this.infoReply(pcb, pid, from, seq, queued);
    // Asking about oneself: the reply is kept at once for the waiting PROCESS_INFO.
    if (from === pid) this.handleOne(pcb, pid, reply, true);
    else this.deliver(from, reply);
  }

  /** PROCESS_INFO answered by the process itself at the start of a slice (LANGUAGE.md §9): a
   *  SIG_IO_REPLY for the asker's request `seq`. Its status is what it was doing when asked:
   *  parked (waiting: in a receive, sleep or I/O wait), preempted or not yet run (runnable),
   *  or asking about itself (running). */
  private infoReply(pcb: number, pid: number, from: number, seq: number, queued: number): number {
    const w = this.mem.i32, p = pcb << 2;
    const status = from === pid
      ? STATUS_RUNNING
      : w[p + P_FLAGS] & FLAG_PARKED
      ? STATUS_WAITING
      : STATUS_RUNNABLE;
    const info = processInfo(this.infoContext, pcb, status, w[p + P_PC], queued);
    return this.replyNode(pid, seq, info);
  }

  private get infoContext(): InfoContext {
    return {
      mem: this.mem,
      table: this.table,
      rel: this.rel,
      atoms: this.atoms,
      image: this.image,
    };
  }

  /** A SIG_IO_REPLY node from `fromPid` for request `seq`, carrying `value`. */
  private replyNode(fromPid: number, seq: number, value: HostValue): number {
    const mem = this.mem, values = this.values;
    const node = mem.system(() =>
      newNode(mem, SIG_IO_REPLY, fromPid, seq, values.hostCells(value))
    );
    mem.i32[(node << 2) + 5] = REPLY_OK;
    let next = node + NODE_HEADER_CELLS;
    values.writeHostWith(node + N_VALUE_CELL, value, (cells) => {
      const at = next;
      next += cells;
      return at;
    });
    return node;
  }

  /** Erlang exit-signal semantics. True when the process must exit (reason → R_REASON). */
  private handleExitSignal(
    pcb: number,
    pid: number,
    from: number,
    mode: number,
    reason: number,
  ): boolean {
    const rel = this.rel;
    const flags = this.flags(pcb);
    const isAtom = (atom: number) => this.isStrAtom(reason, atom);
    if (mode === EXIT_DIRECT && isAtom(this.killAtom)) {
      this.setReasonText(pcb, "killed");
      // A killed supervisor runs no more code, but its children go before its own EXIT
      // leaves: whoever restarts it must not meet the old children's names.
      return flags & FLAG_SUPERVISOR ? this.supervisor!.beginShutdown(pcb) : true;
    }
    if (mode === EXIT_LINK) {
      const i = rel.find(pcb, REL_LINK, from);
      if (i < 0) return false; // unlinked meanwhile
      rel.remove(pcb, i);
    }
    if (flags & FLAG_SUPERVISOR) {
      // Supervisors trap exits; their children's exits are handled by the runtime.
      if (mode === EXIT_LINK) {
        const r = this.supervisor!.onLinkExit(pcb, from, reason);
        if (r === SUP_HANDLED) return false;
        if (r === SUP_EXIT_NOW) return true;
      }
      if (mode !== EXIT_UNTRAPPABLE && isAtom(this.normalAtom)) return false;
      this.setReason(pcb, reason);
      return this.supervisor!.beginShutdown(pcb);
    }
    if (mode === EXIT_UNTRAPPABLE) return this.setReason(pcb, reason);
    if (flags & FLAG_TRAP_EXIT) {
      this.mailbox.append(pcb, this.notificationNode(from, 0, reason));
      return false;
    }
    if (isAtom(this.normalAtom)) {
      return from === pid && mode === EXIT_DIRECT ? this.setReason(pcb, reason) : false;
    }
    return this.setReason(pcb, reason);
  }

  private isStrAtom(cell: number, atom: number): boolean {
    const v = this.values;
    const t = v.tag(cell);
    if (t === T_ATOM_STR) return v.aux(cell) === atom;
    return t === T_STR && v.str(cell) === this.atoms.name(atom);
  }

  /** Copy a reason value into the process's R_REASON. Returns true. */
  private setReason(pcb: number, reasonCell: number): boolean {
    const heap = this.values.heap;
    heap.reserve(pcb, valueCells(this.mem.i32, reasonCell));
    copyValue(this.mem.i32, reasonCell, pcb + R_REASON, heap.bumpFor(pcb));
    return true;
  }

  setReasonText(pcb: number, text: string): boolean {
    this.values.putStr(pcb, pcb + R_REASON, text);
    return true;
  }

  /** A signal reached a process that is gone: answer links and monitors with `noproc`, as
   *  Erlang does. */
  private respondToDead(deadPid: number, node: number): void {
    const w = this.mem.i32;
    const kind = w[(node << 2) + N_KIND], from = w[(node << 2) + N_FROM];
    if (kind === SIG_LINK) this.sendExit(deadPid, from, this.notifyAtoms.noproc);
    else if (kind === SIG_NAME) this.registry.unregister(w[(node << 2) + 4], deadPid);
    else if (kind === SIG_INFO) {
      this.deliver(from, this.replyNode(deadPid, w[(node << 2) + 4], { kind: "null" }));
    } else if (kind === SIG_MONITOR) {
      this.deliver(
        from,
        this.atomSignal(SIG_DOWN, deadPid, w[(node << 2) + 4], this.notifyAtoms.noproc),
      );
    }
    freeNode(this.mem, node);
  }

  /** Send an exit signal whose reason is an atom (the runtime's own reasons: noproc, shutdown). */
  sendExit(fromPid: number, toPid: number, reasonAtom: number, mode = EXIT_LINK): void {
    this.deliver(toPid, this.atomSignal(SIG_EXIT, fromPid, mode, reasonAtom));
  }

  private atomSignal(kind: number, fromPid: number, extra: number, reasonAtom: number): number {
    const node = newNode(this.mem, kind, fromPid, extra);
    setAtomStr(this.mem.i32, node + N_VALUE_CELL, reasonAtom);
    return node;
  }

  /** Send an exit signal carrying a copy of the value in `reasonCell`. */
  sendExitCell(fromPid: number, toPid: number, reasonCell: number, mode: number): boolean {
    return this.deliver(toPid, newValueNode(this.mem, SIG_EXIT, fromPid, reasonCell, mode));
  }

  /** An EXIT message with reason `noproc` directly to oneself (LINK to a dead process while
   *  trapping exits). */
  notifyNoproc(pcb: number, from: number): void {
    this.mailbox.append(pcb, this.notificationNode(from, 0, -1, this.notifyAtoms.noproc));
  }

  // ── links and monitors (called by the process itself) ──────────────────────────────────

  /** LINK: true on success, false when the target is dead (caller applies noproc rules). */
  link(pcb: number, target: number): boolean {
    const pid = this.pid(pcb);
    if (target === pid) return true;
    if (!this.table.isAlive(target)) return false;
    if (this.rel.find(pcb, REL_LINK, target) < 0) this.rel.add(pcb, REL_LINK, target);
    if (!this.deliver(target, newNode(this.mem, SIG_LINK, pid))) {
      this.rel.remove(pcb, this.rel.find(pcb, REL_LINK, target));
      return false;
    }
    return true;
  }

  unlink(pcb: number, target: number): void {
    const i = this.rel.find(pcb, REL_LINK, target);
    if (i >= 0) this.rel.remove(pcb, i);
    this.deliver(target, newNode(this.mem, SIG_UNLINK, this.pid(pcb)));
  }

  /** MONITOR: returns the new ref; a dead target yields an immediate DOWN(noproc). */
  monitor(pcb: number, target: number): number {
    const pid = this.pid(pcb);
    const ref = this.newRef();
    const alive = this.table.isAlive(target) && target !== pid;
    if (alive) {
      this.rel.add(pcb, REL_MON, ref, target);
      if (this.deliver(target, newNode(this.mem, SIG_MONITOR, pid, ref))) return ref;
      this.rel.remove(pcb, this.rel.find(pcb, REL_MON, ref));
    }
    if (target !== pid) {
      this.mailbox.append(pcb, this.notificationNode(target, ref, -1, this.notifyAtoms.noproc));
    }
    return ref;
  }

  /** DEMONITOR: after this returns no DOWN for `ref` is delivered (pending ones are flushed). */
  demonitor(pcb: number, ref: number): void {
    const i = this.rel.find(pcb, REL_MON, ref);
    if (i >= 0) {
      const target = this.rel.word(pcb, i, 2);
      this.rel.remove(pcb, i);
      this.deliver(target, newNode(this.mem, SIG_DEMONITOR, this.pid(pcb), ref));
    }
    this.mailbox.flushDown(pcb, this.pid(pcb), ref);
  }

  // ── exit ────────────────────────────────────────────────────────────────────────────────

  /** End a process: reason in R_REASON (Null = normal). Notifies links and monitors, frees
   *  names, mailbox and memory. Returns the exit report. */
  exit(pcb: number, crashed: boolean): ExitReport {
    // The runtime's own allocations: a process that ran out of memory still dies cleanly.
    // (Memory.system's bracket, written out: no closure per exit.)
    const mem = this.mem;
    mem.systemDepth++;
    try {
      return this.exitNow(pcb, crashed);
    } finally {
      mem.systemDepth--;
    }
  }

  private exitNow(pcb: number, crashed: boolean): ExitReport {
    const mem = this.mem, w = mem.i32, v = this.values;
    const pid = this.pid(pcb);
    if (v.tag(pcb + R_REASON) === 0) setAtomStr(w, pcb + R_REASON, this.normalAtom);
    const reasonCell = pcb + R_REASON;
    // A supervisor whose own code crashed cannot wait for its children: they get `shutdown`
    // now. (After an exit signal, `kill` or the intensity limit they are gone already.)
    if ((this.flags(pcb) & FLAG_SUPERVISOR) && this.supervisor) this.supervisor.onExit(pcb);
    // Names are freed before the queue closes: whoever finds this process dead (noproc) or
    // hears of its death (DOWN, EXIT) finds its names free.
    const rel = this.rel;
    const n = rel.count(pcb);
    for (let i = 0; i < n; i++) {
      if (rel.type(pcb, i) === REL_NAME) this.registry.unregister(rel.word(pcb, i, 1), pid);
    }
    // Signals that arrive from now on are refused; answer the ones already queued.
    for (let node = closeSignals(mem, this.table, pid); node !== 0;) {
      const next = mem.i32[(node << 2) + N_NEXT];
      this.respondToDead(pid, node);
      node = next;
    }
    // The crash report is out before any EXIT or DOWN leaves.
    const report: ExitReport = { pid, reason: v.display(reasonCell), crashed };
    this.onExit?.(pcb, report);
    // Links before monitors: a supervisor (linked) has its child's EXIT queued before any
    // watcher gets the DOWN, so a request a watcher sends after the DOWN reaches the
    // supervisor after the EXIT (it answers with the child already restarted).
    for (let i = 0; i < n; i++) {
      if (rel.type(pcb, i) === REL_LINK) {
        this.sendExitCell(pid, rel.word(pcb, i, 1), reasonCell, EXIT_LINK);
      }
    }
    for (let i = 0; i < n; i++) {
      const type = rel.type(pcb, i), a = rel.word(pcb, i, 1), b = rel.word(pcb, i, 2);
      if (type === REL_WATCH) {
        const e = this.table.entry(b);
        this.deliverAt(e, b, this.downSignal(pid, a, reasonCell, e));
      } else if (type === REL_MON) this.deliver(b, newNode(mem, SIG_DEMONITOR, pid, a));
    }
    // A reply that arrived for a request it no longer waits for; handles it still owns.
    const flags = this.flags(pcb);
    if ((flags & FLAG_IO_WAIT) && w[(pcb << 2) + P_SAVE_NODE] !== 0) {
      freeNode(mem, w[(pcb << 2) + P_SAVE_NODE]);
    }
    if (flags & FLAG_USES_PORTS) this.portsExit?.(pid);
    // Free the mailbox, relations and memory.
    this.mailbox.clear(pcb, pid);
    this.gcCount += w[(pcb << 2) + P_GC_COUNT];
    this.gcCellsCopied += mem.i32[(pcb << 2) + P_GC_CELLS_COPIED];
    rel.release(pcb);
    this.table.detach(pid);
    this.spare.give(pcb);
    return report;
  }

  gcCount = 0;
  gcCellsCopied = 0;

  /** Would a waiting process have something to do? (lost-wake-up re-check) */
  hasSignals(pid: number): boolean {
    return hasSignals(this.mem, this.table, pid);
  }

  /** hasSignals, with pid's table entry `e` (non-zero) already looked up. */
  hasSignalsAt(e: number): boolean {
    return hasSignalsAt(this.mem, e);
  }
}
