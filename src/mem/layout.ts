/**
 * Shared-memory layout: where everything lives in the one SharedArrayBuffer.
 *
 * Units: a CELL is 16 bytes and the unit of every block and pointer ("cell index" = byte offset
 * / 16). A value occupies exactly one cell (see src/term/tags.ts). i32 word index of cell c is
 * c * 4 (`c << 2`), f64 index of its payload is c * 2 + 1. The buffer is at most
 * MAX_BYTES (8 GiB) so every i32 word index fits in a signed 32-bit integer and `c << 2` is
 * safe.
 *
 * ```
 *  byte 0                                         HEADER_CELLS*16
 *  ┌───────────────────────────────────────────────┬────────────────────────────────────────┐
 *  │ header words (H_* below)                      │ arena: blocks handed out by alloc.ts   │
 *  │ magic, generation, locks, bump, free lists,   │ (program image, atom strings, process  │
 *  │ atom table, program image, process table refs │  control blocks, stacks, frames, heaps)│
 *  └───────────────────────────────────────────────┴────────────────────────────────────────┘
 * ```
 * The arena grows upward with a bump pointer; freed blocks go to power-of-two free lists
 * (class k holds blocks of 2^k cells). The buffer itself grows (SharedArrayBuffer.grow) in
 * large steps; every grow increments H_GENERATION so each thread rebuilds its fixed-length views.
 */

export const CELL_BYTES = 16;
export const CELL_WORDS = 4;
export const MAX_BYTES = 8 * 1024 ** 3 - CELL_BYTES;
export const INITIAL_BYTES = 8 * 1024 ** 2;
/** The buffer grows by at least this factor of its current size, to amortise page faults. */
export const GROW_FACTOR = 2;

/** Header word indices (i32). */
export const H_MAGIC = 0;
export const H_GENERATION = 1;
export const H_ALLOC_LOCK = 2;
/** Next never-used arena cell. */
export const H_BUMP_CELL = 3;
/** Current buffer size in cells. */
export const H_LIMIT_CELLS = 4;
export const H_ATOM_LOCK = 5;
export const H_ATOM_COUNT = 6;
/** Cell index of the atom directory block (i32 per atom: cell index of its string). */
export const H_ATOM_DIR_CELL = 7;
export const H_ATOM_DIR_CAP = 8;
/** Cell index of the program image descriptor (src/mem/image.ts). */
export const H_IMAGE_CELL = 9;
/** Allocator statistics. */
export const H_BLOCKS_LIVE = 10;
export const H_CELLS_LIVE = 11;
export const H_PEAK_CELLS = 12;
/** Process table (src/proc/table.ts). */
export const H_PROC_TABLE_CELL = 13;
export const H_PROC_TABLE_CAP = 14;
export const H_NEXT_PID = 15;
export const H_PROCS_LIVE = 16;
export const H_PROCS_SPAWNED = 17;
export const H_TABLE_LOCK = 18;
/** Name registry (src/proc/registry.ts). */
export const H_REGISTRY_CELL = 19;
export const H_REGISTRY_CAP = 20;
export const H_REGISTRY_USED = 21;
export const H_REGISTRY_LOCK = 22;
/** Last monitor reference handed out. */
export const H_NEXT_REF = 23;
/** Messages sent (stats). */
export const H_MESSAGES = 24;
/** Set to 1 to stop every scheduler (EXIT, fatal error). */
export const H_HALT = 25;
export const H_EXIT_CODE = 26;
/** Processes RUNNABLE or RUNNING (quiescence test). */
export const H_ACTIVE = 27;
/** Timers armed and not yet fired or discarded, over all schedulers. */
export const H_TIMERS = 28;
/** SMP pool: number of workers, parked workers, and the futex word they park on. */
export const H_WORKERS = 29;
export const H_SLEEPERS = 30;
export const H_WAKE_SEQ = 31;
/** Set to 1 by the pool once every worker is ready, so the program starts on a full pool. */
export const H_START = 33;
/** f64 index of the run's epoch (performance.timeOrigin + performance.now() at creation, ms):
 *  every thread's clock counts from it, so deadlines stored in PCBs mean the same everywhere. */
export const H_EPOCH_F64 = 32;
/** Free-list heads: H_FREE_LISTS + k = first free block of 2^k cells (0 = empty). */
export const H_FREE_LISTS = 96;
export const SIZE_CLASSES = 32;
export const HEADER_WORDS = 256;
export const HEADER_CELLS = HEADER_WORDS / CELL_WORDS;
/** Smallest block: 2^MIN_CLASS cells. */
export const MIN_CLASS = 2;

export const MAGIC = 0x5454564d; // "TTVM"
