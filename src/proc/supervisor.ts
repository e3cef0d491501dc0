/**
 * Supervisors, done by the runtime as OTP's supervisor does (LANGUAGE.md §4). A supervisor is
 * an ordinary process with FLAG_SUPERVISOR; its children are linked to it and their exits reach
 * it as link EXIT signals, which this module handles invisibly to the supervisor's bytecode.
 *
 * State lives in the supervisor's relations block: one REL_SUP entry (strategy, intensity,
 * period), one REL_CHILD entry per child in start order [type|restart<<8, id atom, pid, entry
 * pc] and REL_RESTART entries holding the times of recent restarts.
 *
 * Terminating a child = send it an untrappable exit signal with reason `shutdown` and wait for
 * its EXIT (the link stays) before starting anything again — as OTP does — so a restarted
 * child never meets its predecessor's registered names (nor, for a nested supervisor, the
 * predecessor's children). Several children (one_for_all, rest_for_one, the supervisor's own
 * shutdown) are terminated one at a time in reverse start order: the next `shutdown` is sent
 * only when the previous child's EXIT has arrived, so their deaths are ordered on any number
 * of workers. A supervisor that must exit (exit signal, `kill`, intensity exceeded) runs no
 * more code and exits when the last child is gone; killed, it stops them with `killed` (what
 * its links would carry in Erlang), so a parent restarting it never meets the old children's
 * names. Only a supervisor whose own code crashed signals all children at once.
 *
 * Child entry word 0: REL_CHILD | restart << 8 | state << 16 (C_TERMINATING, C_START_AFTER,
 * C_STOP_QUEUED).
 */
import {
  FLAG_SHUTTING_DOWN,
  FLAG_SUPERVISING,
  FLAG_SUPERVISOR,
  FLAG_TRAP_EXIT,
  P_FLAGS,
  R_REASON,
} from "./pcb.ts";
import { type Processes, SUP_EXIT_NOW, SUP_HANDLED, SUP_NOT_CHILD } from "./procs.ts";
import { EXIT_UNTRAPPABLE } from "./signals.ts";
import { REL_CHILD, REL_LINK, REL_NAME, REL_RESTART, REL_SUP } from "./relations.ts";
import { VmError } from "../vm/errors.ts";
import { T_ATOM_STR, T_STR } from "../term/tags.ts";

export const ONE_FOR_ONE = 0;
export const ONE_FOR_ALL = 1;
export const REST_FOR_ONE = 2;
const STRATEGIES = ["one_for_one", "one_for_all", "rest_for_one"];

export const PERMANENT = 0;
export const TRANSIENT = 1;
export const TEMPORARY = 2;
const RESTARTS = ["permanent", "transient", "temporary"];

export const DEFAULT_MAX_RESTARTS = 3;
export const DEFAULT_PERIOD_S = 60;

/** Child is being terminated; its EXIT is awaited. */
const C_TERMINATING = 1;
/** Start (again) once no child is terminating any more. */
const C_START_AFTER = 2;
/** To be terminated after the children started later than it (reverse start order). */
const C_STOP_QUEUED = 4;

/** Result of RESTART_CHILD for the interpreter. */
export const RESTART_DONE = 0;
export const RESTART_EXIT_NOW = 1;
export const RESTART_WAIT = 2;

export class Supervisors {
  constructor(private readonly procs: Processes, private readonly nowMs: () => number) {
    procs.supervisor = {
      onLinkExit: (pcb, from, reason) => this.childExited(pcb, from, reason),
      beginShutdown: (pcb) => this.beginShutdown(pcb),
      onExit: (pcb) => this.terminateAllAtOnce(pcb),
    };
  }

  /** START_SUPERVISOR [strategy [max [period]]] (operands: atom or -1, ints or -1). */
  start(pcb: number, strategyAtom: number, maxRestarts: number, periodS: number): void {
    const procs = this.procs;
    if (procs.flags(pcb) & FLAG_SUPERVISOR) throw new VmError("Already a supervisor");
    let strategy = ONE_FOR_ONE;
    if (strategyAtom >= 0) {
      const name = procs.atoms.name(strategyAtom);
      strategy = STRATEGIES.indexOf(name);
      if (strategy < 0) throw new VmError(`Unknown supervisor strategy: ${name}`);
    }
    procs.rel.add(
      pcb,
      REL_SUP,
      strategy,
      maxRestarts >= 0 ? maxRestarts : DEFAULT_MAX_RESTARTS,
      periodS >= 0 ? periodS : DEFAULT_PERIOD_S,
    );
    procs.mem.i32[(pcb << 2) + P_FLAGS] |= FLAG_SUPERVISOR | FLAG_TRAP_EXIT;
  }

  /** SUPERVISE_CHILD id [label] [restart]. */
  superviseChild(pcb: number, idAtom: number, labelAtom: number, restartAtom: number): void {
    const procs = this.procs;
    this.needSupervisor(pcb);
    const id = procs.atoms.name(idAtom);
    if (this.childIndex(pcb, idAtom) >= 0) throw new VmError(`Child already exists: ${id}`);
    const label = labelAtom >= 0 ? procs.atoms.name(labelAtom) : id;
    const entryPc = this.labelPc(label);
    let restart = PERMANENT;
    if (restartAtom >= 0) {
      const name = procs.atoms.name(restartAtom);
      restart = RESTARTS.indexOf(name);
      if (restart < 0) throw new VmError(`Unknown restart type: ${name}`);
    }
    if (procs.registry.whereis(idAtom) !== 0) throw new VmError(`Name already registered: ${id}`);
    const i = procs.rel.add(pcb, REL_CHILD | (restart << 8), idAtom, 0, entryPc);
    this.startChild(pcb, i);
  }

  /** RESTART_CHILD id: terminate the child (if alive) and start it again. */
  restartChild(pcb: number, idAtom: number): number {
    const procs = this.procs;
    this.needSupervisor(pcb);
    const i = this.childIndex(pcb, idAtom);
    if (i < 0) throw new VmError(`Unknown child: ${procs.atoms.name(idAtom)}`);
    if (!this.countRestart(pcb)) {
      procs.values.putStr(pcb, pcb + R_REASON, "shutdown");
      return this.beginShutdown(pcb) ? RESTART_EXIT_NOW : RESTART_WAIT;
    }
    this.setState(pcb, i, this.state(pcb, i) | C_START_AFTER | C_STOP_QUEUED);
    this.stopNext(pcb);
    this.startPending(pcb);
    return RESTART_DONE;
  }

  /** WHICH_CHILDREN: [{id, pid}] in start order (pid 0 = not running). */
  whichChildren(pcb: number): Array<{ id: string; pid: number }> {
    const procs = this.procs, rel = procs.rel;
    return this.childIndices(pcb).map((i) => ({
      id: procs.atoms.name(rel.word(pcb, i, 1)),
      pid: this.state(pcb, i) & C_TERMINATING ? 0 : rel.word(pcb, i, 2),
    }));
  }

  // ── reacting to exits ───────────────────────────────────────────────────────────────────

  private childExited(pcb: number, from: number, reasonCell: number): number {
    const procs = this.procs, rel = procs.rel;
    const i = this.childByPid(pcb, from);
    if (i < 0) return SUP_NOT_CHILD;
    rel.setWord(pcb, i, 2, 0);
    // A child we were stopping, or were about to stop (it died first on its own).
    if (this.state(pcb, i) & (C_TERMINATING | C_STOP_QUEUED)) {
      this.setState(pcb, i, this.state(pcb, i) & ~(C_TERMINATING | C_STOP_QUEUED));
      return this.afterTermination(pcb);
    }
    if (procs.flags(pcb) & FLAG_SHUTTING_DOWN) return this.afterTermination(pcb);
    const restart = (rel.word(pcb, i, 0) >> 8) & 0xff;
    const reason = this.reasonText(reasonCell);
    const abnormal = reason !== "normal" && reason !== "shutdown";
    if (restart === TEMPORARY || (restart === TRANSIENT && !abnormal)) return SUP_HANDLED;
    if (!this.countRestart(pcb)) {
      procs.values.putStr(pcb, pcb + R_REASON, "shutdown");
      return this.beginShutdown(pcb) ? SUP_EXIT_NOW : SUP_HANDLED;
    }
    const strategy = rel.word(pcb, this.supIndex(pcb), 1);
    const children = this.childIndices(pcb);
    const affected = strategy === ONE_FOR_ONE
      ? [i]
      : strategy === ONE_FOR_ALL
      ? children
      : children.slice(children.indexOf(i));
    for (const c of affected) {
      const r = (rel.word(pcb, c, 0) >> 8) & 0xff;
      let state = this.state(pcb, c);
      if (c === i || r !== TEMPORARY) state |= C_START_AFTER;
      if (c !== i) state |= C_STOP_QUEUED;
      this.setState(pcb, c, state);
    }
    return this.afterTermination(pcb);
  }

  /** A child is gone: stop the next queued one, or — when none is left — exit (when shutting
   *  down) or start the pending ones. */
  private afterTermination(pcb: number): number {
    this.stopNext(pcb);
    if (this.busy(pcb)) return SUP_HANDLED;
    if (this.procs.flags(pcb) & FLAG_SHUTTING_DOWN) return SUP_EXIT_NOW;
    this.startPending(pcb);
    return SUP_HANDLED;
  }

  /** Is a child being terminated or queued for it? */
  private busy(pcb: number): boolean {
    return this.childIndices(pcb).some((c) =>
      (this.state(pcb, c) & (C_TERMINATING | C_STOP_QUEUED)) !== 0
    );
  }

  /** Unless a child is being terminated, terminate the latest-started queued one (skipping
   *  queued children that are no longer alive). */
  private stopNext(pcb: number): void {
    const children = this.childIndices(pcb);
    if (children.some((c) => this.state(pcb, c) & C_TERMINATING)) return;
    for (const c of children.reverse()) {
      if (!(this.state(pcb, c) & C_STOP_QUEUED)) continue;
      this.setState(pcb, c, this.state(pcb, c) & ~C_STOP_QUEUED);
      if (this.terminateChild(pcb, c)) return;
    }
  }

  private startPending(pcb: number): void {
    if (this.busy(pcb)) return;
    for (const c of this.childIndices(pcb)) {
      if (this.state(pcb, c) & C_START_AFTER) {
        this.setState(pcb, c, 0);
        this.startChild(pcb, c);
      }
    }
  }

  /** The supervisor must exit (reason already in R_REASON): terminate children in reverse
   *  start order; true when it may exit at once (no child left to wait for). */
  beginShutdown(pcb: number): boolean {
    const w = this.procs.mem.i32;
    w[(pcb << 2) + P_FLAGS] |= FLAG_SHUTTING_DOWN | FLAG_SUPERVISING;
    for (const c of this.childIndices(pcb)) {
      this.setState(pcb, c, (this.state(pcb, c) & ~C_START_AFTER) | C_STOP_QUEUED);
    }
    this.stopNext(pcb);
    return !this.busy(pcb);
  }

  /** The supervisor itself is exiting (its code crashed): it cannot wait, so every running
   *  child gets `shutdown` now (still sent in reverse start order). */
  private terminateAllAtOnce(pcb: number): void {
    for (const i of this.childIndices(pcb).reverse()) this.terminateChild(pcb, i);
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────

  private startChild(pcb: number, i: number): void {
    const procs = this.procs, rel = procs.rel;
    const self = procs.pid(pcb);
    const { pid, pcb: child } = procs.create(self, rel.word(pcb, i, 3));
    rel.add(pcb, REL_LINK, pid);
    procs.rel.add(child, REL_LINK, self);
    procs.registry.register(rel.word(pcb, i, 1), pid, true);
    procs.rel.add(child, REL_NAME, rel.word(pcb, i, 1));
    rel.setWord(pcb, i, 2, pid);
    procs.start(pid);
  }

  /** Send a running child an untrappable `shutdown` (`killed` when the supervisor was killed);
   *  its EXIT is then awaited. False when there is nothing to wait for (no child running, or
   *  already being terminated). */
  private terminateChild(pcb: number, i: number): boolean {
    const procs = this.procs, rel = procs.rel;
    const pid = rel.word(pcb, i, 2);
    if (pid === 0 || this.state(pcb, i) & C_TERMINATING) return false;
    if (rel.find(pcb, REL_LINK, pid) < 0) {
      // It unlinked itself: no EXIT will come to wait for.
      rel.setWord(pcb, i, 2, 0);
      return false;
    }
    this.setState(pcb, i, this.state(pcb, i) | C_TERMINATING);
    // Already exiting on its own: its EXIT is on the way (and must not later be taken for
    // the EXIT of a stranger, which would shut this supervisor down).
    if (!procs.table.isAlive(pid)) return true;
    // A killed supervisor's children die `killed`, as its links would kill them in Erlang.
    const killed = this.reasonText(pcb + R_REASON) === "killed";
    const atom = procs.atoms.intern(killed ? "killed" : "shutdown");
    procs.sendExit(procs.pid(pcb), pid, atom, EXIT_UNTRAPPABLE);
    return true;
  }

  private state(pcb: number, i: number): number {
    return this.procs.rel.word(pcb, i, 0) >>> 16;
  }

  private setState(pcb: number, i: number, state: number): void {
    const rel = this.procs.rel;
    rel.setWord(pcb, i, 0, (rel.word(pcb, i, 0) & 0xffff) | (state << 16));
  }

  /** Record a restart; false when it exceeds the intensity (max restarts within period). */
  private countRestart(pcb: number): boolean {
    const rel = this.procs.rel;
    const s = this.supIndex(pcb);
    const max = rel.word(pcb, s, 2), periodMs = rel.word(pcb, s, 3) * 1000;
    const now = this.nowMs();
    const f64 = this.procs.mem.f64;
    for (let i = rel.count(pcb) - 1; i >= 0; i--) {
      if (rel.type(pcb, i) === REL_RESTART && now - f64[(rel.at(pcb, i) << 1) + 1] > periodMs) {
        rel.remove(pcb, i);
      }
    }
    let recent = 0;
    for (let i = 0; i < rel.count(pcb); i++) if (rel.type(pcb, i) === REL_RESTART) recent++;
    if (recent + 1 > max) return false;
    const e = rel.add(pcb, REL_RESTART, 0);
    this.procs.mem.f64[(rel.at(pcb, e) << 1) + 1] = now;
    return true;
  }

  private supIndex(pcb: number): number {
    const rel = this.procs.rel;
    for (let i = 0; i < rel.count(pcb); i++) if (rel.type(pcb, i) === REL_SUP) return i;
    throw new VmError("Not a supervisor");
  }

  private needSupervisor(pcb: number): void {
    if (!(this.procs.flags(pcb) & FLAG_SUPERVISOR)) throw new VmError("Not a supervisor");
  }

  private childIndices(pcb: number): number[] {
    const rel = this.procs.rel, out: number[] = [];
    for (let i = 0; i < rel.count(pcb); i++) if (rel.type(pcb, i) === REL_CHILD) out.push(i);
    return out;
  }

  private childIndex(pcb: number, idAtom: number): number {
    return this.childIndices(pcb).find((i) => this.procs.rel.word(pcb, i, 1) === idAtom) ?? -1;
  }

  private childByPid(pcb: number, pid: number): number {
    return this.childIndices(pcb).find((i) => this.procs.rel.word(pcb, i, 2) === pid) ?? -1;
  }

  /** Entry pc of a process started by label name (labels of the main file first). */
  labelPc(label: string): number {
    if (this.labels === null) {
      this.labels = new Map();
      // Later modules first, so that main-file labels win when names clash.
      for (const l of [...this.procs.image.labels].sort((a, b) => b.module - a.module)) {
        this.labels.set(l.name, l.pc);
      }
    }
    const pc = this.labels.get(label);
    if (pc === undefined) throw new VmError(`Unknown process entry: ${label}`);
    return pc;
  }

  private labels: Map<string, number> | null = null;

  private reasonText(cell: number): string {
    const v = this.procs.values;
    const t = v.tag(cell);
    return t === T_STR || t === T_ATOM_STR ? v.str(cell) : v.display(cell);
  }
}
