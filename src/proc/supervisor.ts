/**
 * Supervisors, done by the runtime as OTP's supervisor does (LANGUAGE.md §4). A supervisor is
 * an ordinary process with FLAG_SUPERVISOR; its children are linked to it and their exits reach
 * it as link EXIT signals, which this module handles invisibly to the supervisor's bytecode.
 *
 * State lives in the supervisor's relations block: one REL_SUP entry (strategy, intensity,
 * period), one REL_CHILD entry per child in start order [type|restart<<8, id atom, pid, entry
 * pc] and REL_RESTART entries holding the times of recent restarts.
 *
 * Terminating a child = unlink it and send it an untrappable exit signal with reason
 * `shutdown`; the id is re-registered to the new child at once (the old one only removes names
 * that still point at itself), so restarts never wait.
 */
import { FLAG_SUPERVISOR, FLAG_TRAP_EXIT, P_FLAGS, R_REASON } from "./pcb.ts";
import type { Processes } from "./procs.ts";
import { EXIT_UNTRAPPABLE } from "./signals.ts";
import { REL_CHILD, REL_LINK, REL_NAME, REL_RESTART, REL_SUP } from "./relations.ts";
import { VmError } from "../vm/errors.ts";
import { T_ATOM_STR, T_STR } from "../term/tags.ts";
import { SupervisorShutdown } from "./supervisor_error.ts";

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

export class Supervisors {
  constructor(private readonly procs: Processes, private readonly nowMs: () => number) {
    procs.supervisor = {
      onLinkExit: (pcb, from, reason) => this.childExited(pcb, from, reason),
      onExit: (pcb) => this.terminateAll(pcb),
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
    const owner = procs.registry.whereis(idAtom);
    if (owner !== 0 && procs.table.isAlive(owner)) {
      throw new VmError(`Name already registered: ${id}`);
    }
    const i = procs.rel.add(pcb, REL_CHILD | (restart << 8), idAtom, 0, entryPc);
    this.startChild(pcb, i);
  }

  /** RESTART_CHILD id. */
  restartChild(pcb: number, idAtom: number): void {
    const procs = this.procs;
    this.needSupervisor(pcb);
    const i = this.childIndex(pcb, idAtom);
    if (i < 0) throw new VmError(`Unknown child: ${procs.atoms.name(idAtom)}`);
    if (!this.countRestart(pcb)) {
      this.shutdown(pcb);
      return;
    }
    this.terminateChild(pcb, i);
    this.startChild(pcb, i);
  }

  /** WHICH_CHILDREN: [{id, pid}] in start order. */
  whichChildren(pcb: number): Array<{ id: string; pid: number }> {
    const procs = this.procs, rel = procs.rel;
    const out: Array<{ id: string; pid: number }> = [];
    for (let i = 0; i < rel.count(pcb); i++) {
      if (rel.type(pcb, i) !== REL_CHILD) continue;
      out.push({ id: procs.atoms.name(rel.word(pcb, i, 1)), pid: rel.word(pcb, i, 2) });
    }
    return out;
  }

  // ── reacting to exits ───────────────────────────────────────────────────────────────────

  private childExited(pcb: number, from: number, reasonCell: number): boolean {
    const procs = this.procs, rel = procs.rel;
    const i = this.childByPid(pcb, from);
    if (i < 0) return false;
    rel.setWord(pcb, i, 2, 0);
    const restart = rel.word(pcb, i, 0) >> 8;
    const reason = this.reasonText(reasonCell);
    const abnormal = reason !== "normal" && reason !== "shutdown";
    if (restart === TEMPORARY || (restart === TRANSIENT && !abnormal)) return true;
    if (!this.countRestart(pcb)) {
      this.shutdown(pcb);
      return true;
    }
    const strategy = rel.word(pcb, this.supIndex(pcb), 1);
    const children = this.childIndices(pcb);
    const pos = children.indexOf(i);
    if (strategy === ONE_FOR_ONE) {
      this.startChild(pcb, i);
    } else {
      const affected = strategy === ONE_FOR_ALL ? children : children.slice(pos);
      for (const c of [...affected].reverse()) if (c !== i) this.terminateChild(pcb, c);
      for (const c of affected) {
        const r = rel.word(pcb, c, 0) >> 8;
        if (c === i || r !== TEMPORARY) this.startChild(pcb, c);
      }
    }
    return true;
  }

  /** Intensity exceeded: terminate every child and exit with reason `shutdown`. */
  private shutdown(pcb: number): void {
    this.procs.values.putStr(pcb, pcb + R_REASON, "shutdown");
    throw new SupervisorShutdown();
  }

  private terminateAll(pcb: number): void {
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

  private terminateChild(pcb: number, i: number): void {
    const procs = this.procs, rel = procs.rel;
    const pid = rel.word(pcb, i, 2);
    if (pid === 0) return;
    const l = rel.find(pcb, REL_LINK, pid);
    if (l >= 0) rel.remove(pcb, l);
    procs.sendExit(procs.pid(pcb), pid, { kind: "str", value: "shutdown" }, EXIT_UNTRAPPABLE);
    rel.setWord(pcb, i, 2, 0);
  }

  /** Record a restart; false when it exceeds the intensity (max restarts within period). */
  private countRestart(pcb: number): boolean {
    const rel = this.procs.rel;
    const s = this.supIndex(pcb);
    const max = rel.word(pcb, s, 2), periodMs = rel.word(pcb, s, 3) * 1000;
    const now = this.nowMs();
    const f64 = this.procs.mem.f64;
    // Drop restarts that left the window.
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

  labelPc(label: string): number {
    const l = this.procs.image.labels.find((x) => x.name === label && x.module === 0) ??
      this.procs.image.labels.find((x) => x.name === label);
    if (!l) throw new VmError(`Unknown process entry: ${label}`);
    return l.pc;
  }

  private reasonText(cell: number): string {
    const v = this.procs.values;
    const t = v.tag(cell);
    return t === T_STR || t === T_ATOM_STR ? v.str(cell) : v.display(cell);
  }
}
