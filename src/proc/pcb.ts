/**
 * Process control block (PCB) and the blocks a process owns, all in shared memory.
 *
 * PCB block, PCB_CELLS (16) cells = 256 bytes:
 * ```
 *  cells 0..7  : 32 i32 registers (P_* word offsets below)
 *  cells 8..15 : root value cells (R_* cell offsets) — scanned by the GC
 * ```
 * Owned blocks (cell indices in the registers; all relative offsets so blocks can move):
 * ```
 *  stack block   operand cells [0, sp)                              grows ×2 up to MAX_STACK_CELLS
 *  frame block   frames, each: header cell [retPc, prevFpRel, nVars, kind]
 *                then nVars entries of 2 cells: key cell (word0 = atom id) + value cell
 *                a module frame's first entry is hidden: key -1, key-cell words 1..3 =
 *                [savedSpRel, moduleIndex, prevModuleFpRel], value = saved exports object
 *  handler block records of 1 cell: [catchPc, spRel, fpRel, state]
 *  heap block    bump allocated [heap, hp); Cheney-copied by src/term/gc.ts
 * ```
 * Invariant: only the process itself (the thread running it) touches its blocks.
 */
import { DEFAULT_MAX_ATOMS } from "../mem/atoms.ts";
import { LimitError } from "../mem/limit_error.ts";
import { Memory } from "../mem/memory.ts";
import { T_NULL } from "../term/tags.ts";

export const PCB_CELLS = 16;

// i32 registers (word offsets from pcb << 2)
export const P_PID = 0;
/** Parent PID (0 for the first process). */
export const P_PARENT = 1;
export const P_PC = 2;
export const P_SP = 3;
export const P_STACK = 4;
export const P_STACK_CAP = 5;
export const P_FP = 6;
export const P_FTOP = 7;
export const P_FRAMES = 8;
export const P_FRAMES_CAP = 9;
export const P_HANDLERS = 10;
export const P_HANDLERS_CAP = 11;
export const P_HTOP = 12;
export const P_HEAP = 13;
export const P_HEAP_CAP = 14;
export const P_HP = 15;
export const P_MODULE_FP = 16;
/** Relations block (src/proc/relations.ts), 0 = none yet. */
export const P_REL = 17;
export const P_GC_COUNT = 18;
export const P_FLAGS = 19;
export const P_NEXT_HEAP_CAP = 20;
/** pc of the instruction that ended the process (crash location). */
export const P_EXIT_PC = 21;
/** Mailbox: message nodes in arrival order (linked through node word 0). */
export const P_MBOX_HEAD = 22;
export const P_MBOX_TAIL = 23;
export const P_GC_CELLS_COPIED = 24;
export const P_MBOX_LEN = 25;
/** Selective receive: the last message node already rejected by the receive at P_SAVE_PC. */
export const P_SAVE_NODE = 26;
export const P_SAVE_PC = 27;
/** Serial of the timer armed for this process (stale timers are ignored). */
export const P_TIMER_SEQ = 28;
/** Deadline (ms since the run started) of the current receive timeout, -1 = none. */
export const P_DEADLINE = 29;
/** Words 30–31: reductions the process has executed, an f64 (f64 index (pcb << 1) + 15),
 *  added at the end of each slice by its scheduler; others read it racily (LANGUAGE.md §9). */
export const P_REDUCTIONS = 30;
export const P_REDUCTIONS_F64 = P_REDUCTIONS / 2;

// root cells (cell offsets from pcb)
export const R_PENDING = 8;
export const R_EXPORTS = 9;
export const R_MODCACHE = 10;
export const R_REASON = 11;
export const R_TMP0 = 12;
export const R_TMP1 = 13;
export const R_TMP2 = 14;
export const R_TMP3 = 15;
export const ROOT_FIRST = 8;
export const ROOT_LAST = 15;
// createPcb leaves the roots Null by zeroing the whole PCB.
if (T_NULL !== 0) throw new Error("internal error: createPcb assumes T_NULL = 0");

// frame kinds
export const FRAME_BASE = 0;
export const FRAME_CALL = 1;
export const FRAME_MODULE = 2;
/** Hidden key of a module frame's bookkeeping entry. */
export const KEY_MODULE_INFO = -1;

// handler record states (not to be confused with the header word H_ACTIVE of layout.ts)
export const HANDLER_ACTIVE = 0;
export const HANDLER_CAUGHT = 1;

// P_FLAGS bits
/** The process ended by an uncaught THROW. */
export const FLAG_UNHANDLED_THROW = 1;
/** EXIT signals arrive as messages (TRAP_EXIT true). */
export const FLAG_TRAP_EXIT = 2;
/** The process is a supervisor (START_SUPERVISOR). */
export const FLAG_SUPERVISOR = 4;
/** A supervisor whose own code has ended: it only supervises now. */
export const FLAG_SUPERVISING = 8;
/** The process crashed (uncaught error), as opposed to exiting or being killed. */
export const FLAG_CRASHED = 16;
/** A supervisor waiting for its children to terminate before it exits. */
export const FLAG_SHUTTING_DOWN = 32;
/** Waiting for the port driver's reply to a request (src/ports/client.ts). */
export const FLAG_IO_WAIT = 64;
/** The process has used ports (owns or owned handles): its exit is reported to the driver. */
export const FLAG_USES_PORTS = 128;
/** Its last slice ended waiting (set when it parks, cleared when a slice ends preempted or
 *  yielding): a PROCESS_INFO answered at slice start reports it as `waiting`. */
export const FLAG_PARKED = 256;

export const INITIAL_STACK_CELLS = 8;
export const INITIAL_FRAME_CELLS = 8;
export const INITIAL_HEAP_CELLS = 16;
export const INITIAL_HANDLER_CELLS = 4;

export interface Limits {
  /** Operand stack and frame block limit, each, in cells. */
  maxStackCells: number;
  /** Memory per process — heap, stack and unreceived messages — in cells (--max-heap-mb). */
  maxHeapCells: number;
  /** Live processes (--max-processes). */
  maxProcesses: number;
  /** Arena bytes all processes together may use (--max-memory-mb); 0 = the default, three
   *  quarters of physical memory. */
  maxMemoryBytes: number;
  /** Atoms the atom table may hold (--max-atoms; src/mem/atoms.ts). */
  maxAtoms: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxStackCells: 1 << 20, // 16 MiB
  maxHeapCells: 1 << 24, // 256 MiB
  maxProcesses: 2_097_152,
  maxMemoryBytes: 0,
  maxAtoms: DEFAULT_MAX_ATOMS,
};

/** Allocate and initialise a PCB with its blocks; pc = entryPc, one base frame. */
export function createPcb(mem: Memory, pid: number, entryPc: number): number {
  const pcb = mem.allocBlock(PCB_CELLS);
  const stack = mem.allocBlock(INITIAL_STACK_CELLS);
  const frames = mem.allocBlock(INITIAL_FRAME_CELLS);
  const heap = mem.allocBlock(INITIAL_HEAP_CELLS);
  initPcb(mem.i32, pcb, pid, entryPc, stack, frames, heap);
  return pcb;
}

/** Write a new process's registers into `pcb`, whose blocks of the initial sizes are given. */
function initPcb(
  w: Int32Array,
  pcb: number,
  pid: number,
  entryPc: number,
  stack: number,
  frames: number,
  heap: number,
): void {
  const p = pcb << 2;
  w.fill(0, p, p + PCB_CELLS * 4);
  w[p + P_PID] = pid;
  w[p + P_PC] = entryPc;
  w[p + P_STACK] = stack;
  w[p + P_STACK_CAP] = INITIAL_STACK_CELLS;
  w[p + P_SP] = 0;
  w[p + P_FRAMES] = frames;
  w[p + P_FRAMES_CAP] = INITIAL_FRAME_CELLS;
  // base frame header at offset 0
  const f = frames << 2;
  w[f] = -1;
  w[f + 1] = -1;
  w[f + 2] = 0;
  w[f + 3] = FRAME_BASE;
  w[p + P_FP] = 0;
  w[p + P_FTOP] = 1;
  w[p + P_HEAP] = heap;
  w[p + P_HEAP_CAP] = INITIAL_HEAP_CELLS;
  w[p + P_HP] = heap;
  w[p + P_NEXT_HEAP_CAP] = INITIAL_HEAP_CELLS;
  w[p + P_MODULE_FP] = -1;
  w[p + P_EXIT_PC] = -1;
  w[p + P_SAVE_PC] = -1;
  w[p + P_DEADLINE] = -1;
  // The root cells ROOT_FIRST..ROOT_LAST are Null already: the fill above zeroed them, and a
  // Null cell is all zeros (T_NULL = 0; checked where this module loads).
}

/**
 * One thread's spare PCBs: a process that exits with its stack, frame and heap blocks still
 * at their initial sizes leaves its PCB here whole, and the next process created on this
 * thread takes it. A short-lived process then costs no block allocation and no free (four of
 * each otherwise). Bounded by SPARE_PCBS_MAX; the blocks count as live memory while they wait,
 * so `flush` returns them all to the allocator before a run's statistics are read.
 */
export class SparePcbs {
  private readonly pcbs = new Int32Array(SPARE_PCBS_MAX);
  private count = 0;

  constructor(private readonly mem: Memory) {}

  /** A PCB for a new process (a spare one, else a new one); pc = entryPc, one base frame. */
  take(pid: number, entryPc: number): number {
    if (this.count === 0) return createPcb(this.mem, pid, entryPc);
    const pcb = this.pcbs[--this.count];
    const w = this.mem.i32, p = pcb << 2;
    initPcb(w, pcb, pid, entryPc, w[p + P_STACK], w[p + P_FRAMES], w[p + P_HEAP]);
    return pcb;
  }

  /** The PCB of a process that exited: kept when its blocks have their initial sizes and
   *  there is room, freed otherwise. */
  give(pcb: number): void {
    const w = this.mem.i32, p = pcb << 2;
    const initial = w[p + P_STACK_CAP] === INITIAL_STACK_CELLS &&
      w[p + P_FRAMES_CAP] === INITIAL_FRAME_CELLS && w[p + P_HEAP_CAP] === INITIAL_HEAP_CELLS;
    if (!initial || this.count === SPARE_PCBS_MAX) {
      freePcb(this.mem, pcb);
      return;
    }
    if (w[p + P_HANDLERS] !== 0) {
      this.mem.freeBlock(w[p + P_HANDLERS], w[p + P_HANDLERS_CAP]);
      w[p + P_HANDLERS] = 0; // a spare freed by `flush` must not free it a second time
      w[p + P_HANDLERS_CAP] = 0;
    }
    this.pcbs[this.count++] = pcb;
  }

  /** Free every spare PCB (end of a run: the memory statistics then count live processes
   *  only). */
  flush(): void {
    while (this.count > 0) freePcb(this.mem, this.pcbs[--this.count]);
  }

  get size(): number {
    return this.count;
  }
}

/** Spare PCBs a thread keeps at most: 1,024 × 48 cells, 768 KiB. */
export const SPARE_PCBS_MAX = 1024;

/** Free every block of a process (after it exited). */
export function freePcb(mem: Memory, pcb: number): void {
  const w = mem.i32;
  const p = pcb << 2;
  mem.freeBlock(w[p + P_STACK], w[p + P_STACK_CAP]);
  mem.freeBlock(w[p + P_FRAMES], w[p + P_FRAMES_CAP]);
  mem.freeBlock(w[p + P_HEAP], w[p + P_HEAP_CAP]);
  if (w[p + P_HANDLERS] !== 0) mem.freeBlock(w[p + P_HANDLERS], w[p + P_HANDLERS_CAP]);
  mem.freeBlock(pcb, PCB_CELLS);
}

export class StackOverflowError extends LimitError {
  constructor() {
    super("Stack overflow", true);
  }
}

/** Grow a block register pair (block, cap) so that at least `neededCells` fit; copies the used
 *  prefix `usedCells`. Throws StackOverflowError beyond `maxCells`. */
export function growBlock(
  mem: Memory,
  pcb: number,
  blockReg: number,
  capReg: number,
  usedCells: number,
  neededCells: number,
  maxCells: number,
): void {
  const p = pcb << 2;
  const oldBlock = mem.i32[p + blockReg];
  const oldCap = mem.i32[p + capReg];
  let cap = Math.max(oldCap, 4);
  while (cap < neededCells) cap *= 2;
  if (cap > maxCells) {
    if (neededCells > maxCells) throw new StackOverflowError();
    cap = maxCells;
  }
  const block = mem.allocBlock(cap);
  const w = mem.i32;
  if (oldBlock !== 0) {
    w.copyWithin(block << 2, oldBlock << 2, (oldBlock + usedCells) << 2);
    mem.freeBlock(oldBlock, oldCap);
  }
  w[p + blockReg] = block;
  w[p + capReg] = Memory.blockCells(cap);
}
