/**
 * Per-process heap: bump allocation and a Cheney copying collector, plus a heap verifier.
 *
 * Roots of a process: its operand stack cells [stack, stack+sp), the value cells of every frame
 * (walked structurally from frame offset 0: header, then key/value pairs), and the PCB root
 * cells R_*. Nothing else may hold a heap pointer across an allocation: code that allocates
 * re-reads its operands from those cells afterwards.
 *
 * The collector copies each live object once, whole (a growable STR or LIST with its spare
 * capacity, so that the cells sharing it keep sharing it), and scans a list's whole fill. Its
 * scan, like the heap verifier's, is a loop over the copied objects: no recursion by the depth
 * of a value.
 *
 * Sizing: the to-space is normally as large as the from-space (NEXT_HEAP_CAP); it doubles for
 * the next cycle when more than a quarter survives and halves when less than a sixteenth does
 * (and is at least MIN_GROWN_HEAP_CELLS once a process has collected). If a
 * request still does not fit after a collection, a second collection into a large enough space
 * follows (rare). Beyond the heap limit the request fails with HeapLimitError.
 */
import type { Memory } from "../mem/memory.ts";
import { Memory as MemoryClass } from "../mem/memory.ts";
import type { AtomTable } from "../mem/atoms.ts";
import { LimitError } from "../mem/limit_error.ts";
import {
  INITIAL_HEAP_CELLS,
  type Limits,
  P_FP,
  P_FRAMES,
  P_FTOP,
  P_GC_CELLS_COPIED,
  P_GC_COUNT,
  P_HEAP,
  P_HEAP_CAP,
  P_HP,
  P_NEXT_HEAP_CAP,
  P_SP,
  P_STACK,
  ROOT_FIRST,
  ROOT_LAST,
} from "../proc/pcb.ts";
import {
  bytesCells,
  closureCells,
  CONN_KINDS,
  CPS_UNKNOWN,
  EXCEPTION_CELLS,
  HDR_FORWARD,
  HDR_LEN,
  HDR_SIZE_CELLS,
  isPtrTag,
  LAST_TAG,
  listCells,
  objectCells,
  strCells,
  T_ATOM,
  T_ATOM_STR,
  T_BYTES,
  T_CLOSURE,
  T_CONN,
  T_EXCEPTION,
  T_FUNC,
  T_LIST,
  T_OBJECT,
  T_STR,
  T_TERM,
  T_TUPLE,
  termCells,
  tupleCells,
} from "./tags.ts";

/** Heap size after a first collection (blocked processes that never collect keep the small
 *  INITIAL_HEAP_CELLS heap). */
const MIN_GROWN_HEAP_CELLS = 128;

/** The process's memory (heap, stack, unreceived messages) would exceed its limit: it ends. */
export class HeapLimitError extends LimitError {
  constructor() {
    super("Heap limit exceeded", false);
  }
}

export interface GcOptions {
  /** Collect before every allocation and verify the heap after each collection. */
  stress: boolean;
}

export class Heap {
  constructor(
    private readonly mem: Memory,
    private readonly atoms: AtomTable,
    private readonly limits: Limits,
    readonly options: GcOptions,
  ) {}

  /** Allocate `cells` cells on pcb's heap; may collect (moving every heap object). Returns the
   *  cell index of the new object; its contents are uninitialised. */
  alloc(pcb: number, cells: number): number {
    const w = this.mem.i32;
    const p = pcb << 2;
    const hp = w[p + P_HP];
    if (!this.options.stress && hp + cells <= w[p + P_HEAP] + w[p + P_HEAP_CAP]) {
      w[p + P_HP] = hp + cells;
      return hp;
    }
    this.collect(pcb, cells);
    const w2 = this.mem.i32;
    const at = w2[p + P_HP];
    w2[p + P_HP] = at + cells;
    return at;
  }

  /** Make sure `cells` cells can be bump-allocated without a collection (for building a
   *  composite value piece by piece with `bump`). */
  reserve(pcb: number, cells: number): void {
    if (!this.hasRoom(pcb, cells)) this.collect(pcb, cells);
  }

  /** Whether `cells` cells can be bump-allocated now, without a collection (never under
   *  --stress-gc, where every reservation collects). */
  hasRoom(pcb: number, cells: number): boolean {
    const w = this.mem.i32;
    const p = pcb << 2;
    return !this.options.stress && w[p + P_HP] + cells <= w[p + P_HEAP] + w[p + P_HEAP_CAP];
  }

  /** `bump(pcb, ·)` as a function, for copyValue's allocator argument: one function per
   *  heap, aimed at `pcb` by each call, instead of a closure per copy. Valid until the next
   *  call (a copy never starts another). */
  bumpFor(pcb: number): (cells: number) => number {
    this.bumpPcb = pcb;
    return this.bumpAimed;
  }
  private bumpPcb = 0;
  private readonly bumpAimed = (cells: number): number => this.bump(this.bumpPcb, cells);

  /** Allocate from space made available by `reserve` (never collects). */
  bump(pcb: number, cells: number): number {
    const w = this.mem.i32;
    const p = pcb << 2;
    const at = w[p + P_HP];
    if (at + cells > w[p + P_HEAP] + w[p + P_HEAP_CAP]) {
      throw new Error("internal error: bump allocation beyond reservation");
    }
    w[p + P_HP] = at + cells;
    return at;
  }

  /** Run a collection so that at least `needCells` are free afterwards. */
  collect(pcb: number, needCells: number): void {
    const p = pcb << 2;
    let w = this.mem.i32;
    // The to-space must hold everything that may be live: at most what the heap has in use
    // (the previous cycle's plan alone can be smaller — a copy beyond the block would write
    // over whatever block follows it).
    const usedCells = w[p + P_HP] - w[p + P_HEAP];
    let toCap = Math.max(
      w[p + P_NEXT_HEAP_CAP],
      MemoryClass.blockCells(needCells * 2),
      MemoryClass.blockCells(usedCells),
    );
    this.checkLimit(pcb, toCap, needCells);
    let live = this.copyInto(pcb, toCap);
    w = this.mem.i32;
    if (live + needCells > toCap) {
      toCap = MemoryClass.blockCells((live + needCells) * 2);
      this.checkLimit(pcb, toCap, live + needCells);
      live = this.copyInto(pcb, toCap);
      w = this.mem.i32;
    }
    // Size the next cycle by what survived.
    // More than a quarter surviving means the next cycle would come soon: grow. A process
    // that collects at all gets at least MIN_GROWN_HEAP_CELLS (messages, exit notifications).
    let next = Math.max(toCap, MIN_GROWN_HEAP_CELLS);
    if (live * 4 > toCap) next = toCap * 2;
    else if (live * 16 < toCap && toCap > MIN_GROWN_HEAP_CELLS) next = toCap >> 1;
    w[p + P_NEXT_HEAP_CAP] = Math.min(Math.max(next, INITIAL_HEAP_CELLS), this.limits.maxHeapCells);
    w[p + P_GC_COUNT]++;
    if (this.options.stress) this.verify(pcb);
  }

  /** The process's memory beyond its heap: stack and frames, unreceived messages (set by the
   *  process layer; all of it counts toward the limit, LANGUAGE.md §2). */
  otherCells: ((pcb: number) => number) | null = null;

  private checkLimit(pcb: number, toCap: number, neededCells: number): void {
    const other = this.otherCells?.(pcb) ?? 0;
    if (neededCells + other > this.limits.maxHeapCells || toCap > this.limits.maxHeapCells * 2) {
      throw new HeapLimitError();
    }
  }

  /** Copy pcb's live objects into a fresh block of `toCap` cells; returns live cells. */
  private copyInto(pcb: number, toCap: number): number {
    const mem = this.mem;
    const toBlock = mem.allocBlock(toCap);
    const w = mem.i32;
    const p = pcb << 2;
    const fromBlock = w[p + P_HEAP];
    const fromCap = w[p + P_HEAP_CAP];
    const fromEnd = w[p + P_HP];
    let free = toBlock;

    const evacuate = (c: number): void => {
      const t = c << 2;
      const tag = w[t];
      if (!isPtrTag(tag)) return;
      const obj = w[t + 1];
      if (obj < fromBlock || obj >= fromEnd) {
        throw new Error(`heap corrupt: pointer ${obj} outside heap [${fromBlock}, ${fromEnd})`);
      }
      const h = obj << 2;
      const fwd = w[h + HDR_FORWARD];
      if (fwd !== 0) {
        w[t + 1] = fwd;
        return;
      }
      const size = w[h + HDR_SIZE_CELLS];
      w.copyWithin(free << 2, h, h + (size << 2));
      w[h + HDR_FORWARD] = free;
      w[t + 1] = free;
      free += size;
    };

    // roots: operand stack
    const stack = w[p + P_STACK];
    const sp = w[p + P_SP];
    for (let c = stack; c < stack + sp; c++) evacuate(c);
    // roots: frames
    const frames = w[p + P_FRAMES];
    const ftop = frames + w[p + P_FTOP];
    for (let f = frames; f < ftop;) {
      const n = w[(f << 2) + 2];
      for (let k = 0; k < n; k++) evacuate(f + 2 + 2 * k);
      f += 1 + 2 * n;
    }
    // roots: PCB cells
    for (let r = ROOT_FIRST; r <= ROOT_LAST; r++) evacuate(pcb + r);
    // scan copied objects
    let scan = toBlock;
    while (scan < free) {
      const h = scan << 2;
      const type = w[h];
      const len = w[h + HDR_LEN];
      switch (type) {
        case T_LIST: // the whole fill: a shorter cell may share the object with a longer one
        case T_TUPLE:
          for (let i = 1; i <= len; i++) evacuate(scan + i);
          break;
        case T_OBJECT:
          for (let i = 0; i < len; i++) evacuate(scan + 2 + 2 * i);
          break;
        case T_CLOSURE:
          for (let i = 0; i < len; i++) evacuate(scan + 3 + 2 * i);
          break;
        case T_EXCEPTION:
          evacuate(scan + 1);
          evacuate(scan + 2);
          break;
      }
      scan += w[h + HDR_SIZE_CELLS];
    }
    const live = free - toBlock;
    mem.freeBlock(fromBlock, fromCap);
    w[p + P_HEAP] = toBlock;
    w[p + P_HEAP_CAP] = MemoryClass.blockCells(toCap);
    w[p + P_HP] = free;
    w[p + P_GC_CELLS_COPIED] += live;
    return live;
  }

  /** Check every invariant of pcb's heap and roots; throws on the first violation. */
  verify(pcb: number): void {
    const w = this.mem.i32;
    const p = pcb << 2;
    const heap = w[p + P_HEAP];
    const hp = w[p + P_HP];
    if (hp < heap || hp > heap + w[p + P_HEAP_CAP]) fail(`hp ${hp} outside heap block`);
    const starts = new Set<number>();
    for (let o = heap; o < hp;) {
      const h = o << 2;
      const type = w[h], len = w[h + HDR_LEN], size = w[h + HDR_SIZE_CELLS];
      if (w[h + HDR_FORWARD] !== 0) fail(`object ${o} has a forwarding pointer`);
      if (len < 0) fail(`object ${o} has negative length`);
      const expected = expectedCells(type, len);
      if (expected < 0) fail(`object ${o} has bad type ${type}`);
      // A growable STR or LIST may have spare capacity beyond its fill.
      const growable = type === T_STR || type === T_LIST;
      if (growable ? size < expected : size !== expected) {
        fail(`object ${o} size ${size} != ${expected}`);
      }
      starts.add(o);
      o += size;
    }
    const atomCount = this.atoms.count;
    const checkValue = (c: number, where: string) => {
      const t = c << 2;
      const tag = w[t];
      if (tag < 0 || tag > LAST_TAG) fail(`${where}: bad tag ${tag}`);
      if ((tag === T_ATOM_STR || tag === T_ATOM) && (w[t + 1] < 0 || w[t + 1] >= atomCount)) {
        fail(`${where}: bad atom ${w[t + 1]}`);
      }
      if (tag === T_CONN && (w[t + 1] <= 0 || w[t + 2] < 0 || w[t + 2] >= CONN_KINDS.length)) {
        fail(`${where}: bad connection ${w[t + 1]} of kind ${w[t + 2]}`);
      }
      if (isPtrTag(tag)) {
        const obj = w[t + 1];
        if (!starts.has(obj)) fail(`${where}: dangling pointer ${obj}`);
        if (w[obj << 2] !== tag) fail(`${where}: tag ${tag} points at type ${w[obj << 2]}`);
        if (tag === T_STR || tag === T_LIST) {
          const len = w[t + 2], fill = w[(obj << 2) + HDR_LEN];
          if (len < 0 || len > fill) fail(`${where}: length ${len} beyond the fill ${fill}`);
          const cps = w[t + 3];
          if (tag === T_STR && cps !== CPS_UNKNOWN && (cps < 0 || cps > len)) {
            fail(`${where}: ${cps} code points in ${len} units`);
          }
        }
      }
    };
    const stack = w[p + P_STACK];
    for (let c = stack; c < stack + w[p + P_SP]; c++) checkValue(c, `stack[${c - stack}]`);
    const frames = w[p + P_FRAMES];
    const ftop = frames + w[p + P_FTOP];
    let lastHeader = -1;
    for (let f = frames; f < ftop;) {
      const n = w[(f << 2) + 2];
      if (n < 0 || f + 1 + 2 * n > ftop) fail(`frame at ${f - frames} overruns`);
      for (let k = 0; k < n; k++) checkValue(f + 2 + 2 * k, `frame ${f - frames} var ${k}`);
      lastHeader = f - frames;
      f += 1 + 2 * n;
    }
    if (lastHeader !== w[p + P_FP]) fail(`fp ${w[p + P_FP]} is not the top frame ${lastHeader}`);
    for (let r = ROOT_FIRST; r <= ROOT_LAST; r++) checkValue(pcb + r, `root ${r}`);
    for (const o of starts) {
      const h = o << 2;
      const len = w[h + HDR_LEN];
      switch (w[h]) {
        case T_LIST:
        case T_TUPLE:
          for (let i = 1; i <= len; i++) checkValue(o + i, `list/tuple ${o}[${i - 1}]`);
          break;
        case T_OBJECT:
          for (let i = 0; i < len; i++) {
            if (w[(o + 1 + 2 * i) << 2] !== T_ATOM_STR) fail(`object ${o} key ${i} not an atom`);
            checkValue(o + 1 + 2 * i, `object ${o} key ${i}`);
            checkValue(o + 2 + 2 * i, `object ${o} field ${i}`);
          }
          break;
        case T_CLOSURE:
          if (w[(o + 1) << 2] !== T_FUNC) fail(`closure ${o} has no function`);
          for (let i = 0; i < len; i++) checkValue(o + 3 + 2 * i, `closure ${o} capture ${i}`);
          break;
        case T_EXCEPTION: {
          const mt = w[(o + 1) << 2];
          if (mt !== T_STR && mt !== T_ATOM_STR) fail(`exception ${o} message not a string`);
          checkValue(o + 1, `exception ${o} message`);
          if (w[(o + 2) << 2] !== T_LIST) fail(`exception ${o} trace not a list`);
          checkValue(o + 2, `exception ${o} trace`);
          break;
        }
      }
    }
  }

  /** Words in use on pcb's heap (for stats). */
  usedCells(pcb: number): number {
    const w = this.mem.i32;
    return w[(pcb << 2) + P_HP] - w[(pcb << 2) + P_HEAP];
  }
}

function expectedCells(type: number, len: number): number {
  switch (type) {
    case T_STR:
      return strCells(len);
    case T_LIST:
      return listCells(len);
    case T_OBJECT:
      return objectCells(len);
    case T_BYTES:
      return bytesCells(len);
    case T_CLOSURE:
      return closureCells(len);
    case T_EXCEPTION:
      return EXCEPTION_CELLS;
    case T_TUPLE:
      return tupleCells(len);
    case T_TERM:
      return termCells(len);
    default:
      return -1;
  }
}

function fail(msg: string): never {
  throw new Error(`heap verification failed: ${msg}`);
}
