/**
 * Per-scheduler statistics in shared memory: one 64-byte line per scheduler (one for the single
 * scheduler, one per SMP worker), so that SYSTEM_INFO and the dashboard (src/observe/) can read
 * what every scheduler is doing without asking it.
 *
 * ```
 *  H_SCHED_STATS_CELL ─► line 0 │ line 1 │ … │ line H_SCHED_STATS_COUNT-1   (64-byte aligned)
 *  line (16 i32 words = 8 f64):
 *   f64 0   reductions   executed by this scheduler's interpreter (total; stored after each
 *                        slice)
 *   f64 1   boot reductions  (line 0 only, SMP) executed by the main thread while the
 *                        workers started (src/sched/smp.ts runWhileWorkersStart); counted
 *                        in line 0's reductions by readers
 *   f64 2   idle ms      time spent parked or handing Deno's event loop a turn (added when
 *                        the idle period ends)
 *   f64 3   idle since   run-clock ms (runClockMs) at which the current idle period began;
 *                        0 while it runs slices — so a long park counts before it ends
 *   word 9  queue        run queue length (published by the single scheduler per batch; the
 *                        SMP pool's queues are shared deques, read directly)
 *   words 8, 10–15 spare
 * ```
 * Invariants: a line is written only by its scheduler's thread, with plain stores (a few per
 * slice); everyone else reads it racily — a torn or stale figure is acceptable for statistics,
 * and no reader follows a pointer out of it. Lines are 64-byte aligned so that one
 * scheduler's writes never evict another's line.
 */
import { CELL_WORDS, H_EPOCH_F64, H_SCHED_STATS_CELL, H_SCHED_STATS_COUNT } from "./layout.ts";
import type { Memory } from "./memory.ts";

export const SS_LINE_WORDS = 16;
const LINE_CELLS = SS_LINE_WORDS / CELL_WORDS;
/** f64 offsets within a line. */
export const SS_REDUCTIONS_F64 = 0;
export const SS_BOOT_REDUCTIONS_F64 = 1;
export const SS_IDLE_MS_F64 = 2;
export const SS_IDLE_SINCE_F64 = 3;
/** i32 offsets within a line. */
export const SS_QUEUE = 9;
/** More lines than this are never read (a damaged count cannot make a reader loop long). */
export const MAX_SCHEDULERS = 256;

/** Allocate the block for `count` schedulers (before the first process runs). */
export function createSchedStats(mem: Memory, count: number): void {
  const n = Math.max(1, Math.min(count, MAX_SCHEDULERS));
  const block = mem.allocBlock((n + 1) * LINE_CELLS);
  const base = (block + LINE_CELLS - 1) & ~(LINE_CELLS - 1);
  mem.i32.fill(0, base << 2, (base + n * LINE_CELLS) << 2);
  mem.i32[H_SCHED_STATS_COUNT] = n;
  Atomics.store(mem.i32, H_SCHED_STATS_CELL, base);
}

/** i32 word index of scheduler `index`'s line (divide by 2 for its f64 index); -1 when the
 *  run has no statistics block or no such line. */
export function statsLineWord(mem: Memory, index: number): number {
  const base = Atomics.load(mem.i32, H_SCHED_STATS_CELL);
  if (base === 0 || index < 0 || index >= schedulerCount(mem)) return -1;
  return (base << 2) + index * SS_LINE_WORDS;
}

/** Number of scheduler lines (0 when the block does not exist). */
export function schedulerCount(mem: Memory): number {
  if (Atomics.load(mem.i32, H_SCHED_STATS_CELL) === 0) return 0;
  return Math.max(0, Math.min(mem.i32[H_SCHED_STATS_COUNT], MAX_SCHEDULERS));
}

/** Milliseconds since the run's epoch, fractional (the same clock on every thread). */
export function runClockMs(mem: Memory): number {
  return performance.timeOrigin + performance.now() - mem.f64[H_EPOCH_F64];
}

/** A scheduler's idle period begins (`line`: its line word, from statsLineWord). */
export function idleBegins(mem: Memory, line: number): void {
  if (line >= 0) mem.f64[(line >> 1) + SS_IDLE_SINCE_F64] = runClockMs(mem);
}

/** The idle period ends: its length joins the idle total. */
export function idleEnds(mem: Memory, line: number): void {
  if (line < 0) return;
  const f = line >> 1, since = mem.f64[f + SS_IDLE_SINCE_F64];
  if (since > 0) mem.f64[f + SS_IDLE_MS_F64] += Math.max(0, runClockMs(mem) - since);
  mem.f64[f + SS_IDLE_SINCE_F64] = 0;
}

export interface SchedStat {
  reductions: number;
  /** Idle time up to now, the current idle period included. */
  idleMs: number;
  /** Parked (or waiting in the event loop) right now. */
  idle: boolean;
  queue: number;
}

/** A racy copy of every scheduler's line. */
export function readSchedStats(mem: Memory): SchedStat[] {
  const out: SchedStat[] = [];
  const n = schedulerCount(mem);
  const now = runClockMs(mem);
  for (let i = 0; i < n; i++) {
    const w = statsLineWord(mem, i);
    if (w < 0) break;
    const f = w >> 1, since = mem.f64[f + SS_IDLE_SINCE_F64];
    out.push({
      reductions: mem.f64[f + SS_REDUCTIONS_F64] + mem.f64[f + SS_BOOT_REDUCTIONS_F64],
      idleMs: mem.f64[f + SS_IDLE_MS_F64] + (since > 0 ? Math.max(0, now - since) : 0),
      idle: since > 0,
      queue: mem.i32[w + SS_QUEUE],
    });
  }
  return out;
}
