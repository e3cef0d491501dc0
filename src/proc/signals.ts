/**
 * Signals: everything one process does to another travels as a signal node pushed onto the
 * target's lock-free signal stack and is handled by the target itself (DESIGN.md invariant 2).
 *
 * Signal node (a block from the arena, owned by whoever holds it: sender → queue → receiver):
 * ```
 *  cell 0  [next, kind, fromPid, blockCells]
 *  cell 1  [a, b, c, d]        kind-specific: ref, flags
 *  cell 2  value cell          message / exit reason (SIG_MSG, SIG_EXIT, SIG_DOWN)
 *  cell 3… objects of the copied value (absolute cell pointers into this node)
 *
 *  compact message node (blockCells = COMPACT_NODE_CELLS): a SIG_MSG whose value is one
 *  self-contained cell — most messages — in 32 bytes instead of 64:
 *  cell 0  [next, SIG_MSG, fromPid, 2]
 *  cell 1  value cell          (cell 1's words are all 0 for it: a = 0, no port, origin user;
 *                               its queued cells are its 2 cells, counted when it was sent)
 * ```
 * A mailbox of unreceived messages is read long after it was written, so its size is cache
 * misses: counting's receiver runs about 90,000 messages behind (docs/PERFORMANCE.md, finding
 * 18). Readers take the value cell from `valueCellOf`, never from N_VALUE_CELL directly.
 * Queue protocol (entry word E_SIGQ of the process table): a Treiber stack. Senders push with
 * CAS (head → node.next = head); the owner takes everything with one exchange(head, 0) and
 * reverses it, so signals from one sender keep their order. At exit the owner exchanges in
 * CLOSED; a push that sees CLOSED fails and the sender treats the target as dead (this is what
 * makes "link to a process that is exiting" and "monitor a dead process" well defined).
 * Message nodes become mailbox nodes without copying (cell 0 word 0 is reused as the mailbox
 * link).
 */
import type { Memory } from "../mem/memory.ts";
import { copyValue, valueCells } from "../term/copy.ts";
import { E_FLAGS, E_QUEUED, E_SIGQ, EF_OVER_LIMIT, type ProcTable, SIGQ_CLOSED } from "./table.ts";
import { copyCell, isSelfContainedTag, setNull } from "../term/tags.ts";

export const CLOSED = SIGQ_CLOSED;

export const SIG_MSG = 1;
/** a = EXIT_LINK (from a link) | EXIT_DIRECT (EXIT_SIGNAL) | EXIT_UNTRAPPABLE (supervisor). */
export const SIG_EXIT = 2;
export const SIG_LINK = 3;
export const SIG_UNLINK = 4;
/** a = ref */
export const SIG_MONITOR = 5;
/** a = ref */
export const SIG_DEMONITOR = 6;
/** a = ref; value = reason */
export const SIG_DOWN = 7;
/** From the port driver: the reply to the request with seq a; b = REPLY_OK | REPLY_ERROR;
 *  value = the result, or the error message (src/ports/protocol.ts). */
export const SIG_IO_REPLY = 8;
/** From the port driver: the timer with seq a is due. */
export const SIG_TIMEOUT = 9;
/** From the host (TypeScript API): the process was registered under atom a; it records the
 *  name so that its exit frees it (a process's relations are only its own to change). */
export const SIG_NAME = 10;
/** PROCESS_INFO (LANGUAGE.md §9): `from` asks for this process's information; the target
 *  answers with a SIG_IO_REPLY carrying seq a, as the port driver answers a request. */
export const SIG_INFO = 11;
/** From the port driver's code loader (src/ports/code.ts): code [a, b] (pcs, inclusive) was
 *  purged; the process exits with reason `killed` when any of its frames runs there. */
export const SIG_PURGE = 12;

export const EXIT_LINK = 0;
export const EXIT_DIRECT = 1;
export const EXIT_UNTRAPPABLE = 2;

export const N_NEXT = 0;
export const N_KIND = 1;
export const N_FROM = 2;
export const N_CELLS = 3;
/** Offsets of the extra words (cell 1) and the value cell. */
export const N_EXTRA_CELL = 1;
export const N_VALUE_CELL = 2;
export const NODE_HEADER_CELLS = 3;
/** blockCells of a compact message node (see the header). */
export const COMPACT_NODE_CELLS = 2;

/** Whether `node` is a compact message node. */
export function isCompactNode(w: Int32Array, node: number): boolean {
  return w[(node << 2) + N_CELLS] === COMPACT_NODE_CELLS;
}

/** Cell holding the value of `node` (compact or not). */
export function valueCellOf(w: Int32Array, node: number): number {
  return isCompactNode(w, node) ? node + 1 : node + N_VALUE_CELL;
}

/** Allocate a node; the value cell is Null. */
export function newNode(
  mem: Memory,
  kind: number,
  fromPid: number,
  extraA = 0,
  valueCellsNeeded = 0,
): number {
  const cells = NODE_HEADER_CELLS + valueCellsNeeded;
  const node = mem.allocBlock(cells);
  writeHeader(mem.i32, node, kind, fromPid, cells, extraA);
  setNull(mem.i32, node + N_VALUE_CELL);
  return node;
}

/** A new node's two header cells (not yet in any queue: next 0; port, queued cells and
 *  origin 0). */
function writeHeader(
  w: Int32Array,
  node: number,
  kind: number,
  fromPid: number,
  cells: number,
  extraA: number,
): void {
  const h = node << 2;
  w[h + N_NEXT] = 0;
  w[h + N_KIND] = kind;
  w[h + N_FROM] = fromPid;
  w[h + N_CELLS] = cells;
  w[h + 4] = extraA;
  w[h + 5] = 0;
  w[h + 6] = 0;
  w[h + 7] = 0;
}

/** A node carrying a deep copy of the value in cell `src`. */
export function newValueNode(
  mem: Memory,
  kind: number,
  fromPid: number,
  src: number,
  extraA = 0,
): number {
  const tag = mem.i32[src << 2];
  if (isSelfContainedTag(tag)) {
    return kind === SIG_MSG && extraA === 0
      ? newCompactNode(mem, fromPid, src)
      : newScalarNode(mem, kind, fromPid, src, extraA);
  }
  const size = valueCells(mem.i32, src);
  const node = newNode(mem, kind, fromPid, extraA, size);
  copyIntoNode(mem.i32, src, node + N_VALUE_CELL, node + NODE_HEADER_CELLS);
  return node;
}

/** A message whose value is its own cell (no heap objects, no port handle): most messages.
 *  A compact node (see the header): one header cell, the value cell after it. */
function newCompactNode(mem: Memory, fromPid: number, src: number): number {
  const node = mem.allocBlock(COMPACT_NODE_CELLS), w = mem.i32, h = node << 2;
  w[h + N_NEXT] = 0;
  w[h + N_KIND] = SIG_MSG;
  w[h + N_FROM] = fromPid;
  w[h + N_CELLS] = COMPACT_NODE_CELLS;
  copyCell(w, node + 1, src);
  return node;
}

/** newValueNode for another signal whose value is its own cell. No size walk, no copy
 *  callback, and the value cell written once (newNode's header with the value copied in
 *  place of its Null). */
function newScalarNode(
  mem: Memory,
  kind: number,
  fromPid: number,
  src: number,
  extraA: number,
): number {
  const node = mem.allocBlock(NODE_HEADER_CELLS);
  writeHeader(mem.i32, node, kind, fromPid, NODE_HEADER_CELLS, extraA);
  copyCell(mem.i32, node + N_VALUE_CELL, src);
  return node;
}

/** Cells the objects of a node's value take at most: every object of the value lies inside
 *  the node, past its header (how a receiver reserves heap for its copy without a walk). */
export function nodeValueCells(w: Int32Array, node: number): number {
  return isCompactNode(w, node) ? 0 : w[(node << 2) + N_CELLS] - NODE_HEADER_CELLS;
}

/** Copy the value in cell `src` into cell `dst` of a node, its objects placed from cell `at`
 *  on (the caller sized the node for them). */
export function copyIntoNode(w: Int32Array, src: number, dst: number, at: number): void {
  nextObjectCell = at;
  copyValue(w, src, dst, takeNodeCells);
}

/** Where newValueNode places the next copied object (one shared allocator function, so that
 *  a send allocates no closure; copyValue never re-enters newValueNode). */
let nextObjectCell = 0;
function takeNodeCells(cells: number): number {
  const at = nextObjectCell;
  nextObjectCell += cells;
  return at;
}

export function freeNode(mem: Memory, node: number): void {
  mem.freeBlock(node, mem.i32[(node << 2) + N_CELLS]);
}

/** Push `node` onto pid's signal stack; false (node not consumed) when pid is dead/unknown. */
export function pushSignal(mem: Memory, table: ProcTable, pid: number, node: number): boolean {
  const e = table.entry(pid);
  return e !== 0 && pushSignalAt(mem, e, node);
}

/** pushSignal for the process whose table entry is cell `e` (non-zero). */
export function pushSignalAt(mem: Memory, e: number, node: number): boolean {
  const slot = (e << 2) + E_SIGQ, link = (node << 2) + N_NEXT;
  const w = mem.i32;
  let head = mem.load(slot);
  for (;;) {
    if (head === CLOSED) return false;
    w[link] = head;
    const seen = mem.cas(slot, head, node);
    if (seen === head) {
      if (w[(node << 2) + N_KIND] === SIG_MSG) mem.countMessage();
      return true;
    }
    head = seen;
  }
}

export const PUSHED = 0;
export const TARGET_GONE = 1;
export const OVER_LIMIT = 2;

/** Push a message node, counting its cells as queued to `pid` (they count toward its memory
 *  limit until it receives them). A queue beyond `limitCells` refuses the message and marks
 *  the process, which ends with `Heap limit exceeded` at its next slice (the caller frees the
 *  node and wakes the process). */
export function pushMessage(
  mem: Memory,
  table: ProcTable,
  pid: number,
  node: number,
  limitCells: number,
): number {
  const e = table.entry(pid);
  return e === 0 ? TARGET_GONE : pushMessageAt(mem, e, node, limitCells);
}

/** pushMessage for the process whose table entry is cell `e` (non-zero). */
export function pushMessageAt(mem: Memory, e: number, node: number, limitCells: number): number {
  const q = (e << 2) + E_QUEUED, w = mem.i32;
  const cells = w[(node << 2) + N_CELLS];
  if (mem.add(q, cells) + cells > limitCells) {
    mem.add(q, -cells);
    Atomics.or(w, (e << 2) + E_FLAGS, EF_OVER_LIMIT);
    return OVER_LIMIT;
  }
  const compact = cells === COMPACT_NODE_CELLS; // (its queued cells are its size)
  if (!compact) w[(node << 2) + N_QUEUED] = cells;
  if (pushSignalAt(mem, e, node)) return PUSHED;
  mem.add(q, -cells);
  if (!compact) w[(node << 2) + N_QUEUED] = 0;
  return TARGET_GONE;
}

/** Word of a message node holding the cells it added to its receiver's queued count. */
const N_QUEUED = 6;

/** The receiver took (or dropped) a message node: it no longer counts as queued to the
 *  process whose table entry is cell `e` (0: none, nothing to do). */
export function unqueueMessageAt(mem: Memory, e: number, node: number): void {
  if (e !== 0) mem.add((e << 2) + E_QUEUED, -queuedCellsOf(mem.i32, node));
}

/** The cells a message node added to its receiver's queued count when it was sent (0: none). */
export function queuedCellsOf(w: Int32Array, node: number): number {
  return isCompactNode(w, node) ? COMPACT_NODE_CELLS : w[(node << 2) + N_QUEUED];
}

/** Cells queued to pid and not yet received (its mailbox and pending messages). */
export function queuedCells(mem: Memory, table: ProcTable, pid: number): number {
  const e = table.entry(pid);
  return e === 0 ? 0 : Atomics.load(mem.i32, (e << 2) + E_QUEUED);
}

/** Take every pending signal of pid, oldest first (linked through N_NEXT); 0 = none. */
export function takeSignals(mem: Memory, table: ProcTable, pid: number): number {
  return takeSignalsAt(mem, table.entry(pid));
}

/** takeSignals for the process whose table entry is cell `e` (non-zero). */
export function takeSignalsAt(mem: Memory, e: number): number {
  const slot = (e << 2) + E_SIGQ;
  let head = mem.load(slot);
  if (head === 0 || head === CLOSED) return 0;
  mem.refresh(); // nodes may have been allocated by a thread that grew the buffer
  for (;;) {
    const seen = mem.cas(slot, head, 0);
    if (seen === head) return reverse(mem.i32, head);
    head = seen;
    if (head === 0 || head === CLOSED) return 0;
  }
}

/** Messages in pid's signal queue, not yet taken by pid — only pid's own thread may call this
 *  (nodes leave the stack only when their owner takes them, so the walk is stable). */
export function pendingMessages(mem: Memory, table: ProcTable, pid: number): number {
  mem.refresh(); // nodes may have been allocated by a thread that grew the buffer
  const w = mem.i32;
  let node = Atomics.load(w, (table.entry(pid) << 2) + E_SIGQ);
  if (node === CLOSED) return 0;
  let n = 0;
  for (; node !== 0; node = w[(node << 2) + N_NEXT]) if (w[(node << 2) + N_KIND] === SIG_MSG) n++;
  return n;
}

/** Whether pid has signals waiting (used for the lost-wake-up re-check). */
export function hasSignals(mem: Memory, table: ProcTable, pid: number): boolean {
  return hasSignalsAt(mem, table.entry(pid));
}

/** hasSignals for the process whose table entry is cell `e` (non-zero). */
export function hasSignalsAt(mem: Memory, e: number): boolean {
  const h = mem.load((e << 2) + E_SIGQ);
  return h !== 0 && h !== CLOSED;
}

/** Close pid's queue for good; returns what was still pending, oldest first. */
export function closeSignals(mem: Memory, table: ProcTable, pid: number): number {
  const slot = (table.entry(pid) << 2) + E_SIGQ;
  mem.refresh(); // nodes may have been allocated by a thread that grew the buffer
  const head = Atomics.exchange(mem.i32, slot, CLOSED);
  return head === CLOSED || head === 0 ? 0 : reverse(mem.i32, head);
}

function reverse(w: Int32Array, head: number): number {
  let prev = 0;
  while (head !== 0) {
    const next = w[(head << 2) + N_NEXT];
    w[(head << 2) + N_NEXT] = prev;
    prev = head;
    head = next;
  }
  return prev;
}
