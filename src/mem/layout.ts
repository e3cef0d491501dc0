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
 *  │ header words (H_* below)                      │ arena: blocks handed out by memory.ts  │
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

/**
 * Header word indices (i32). The header is 1 KiB = 16 cache lines of 16 words. Words that
 * threads write often sit on their own line, away from the words every worker reads on every
 * slice (H_GENERATION, H_HALT): under --smp a write invalidates the whole 64-byte line in the
 * other core's cache, so a busy counter next to a read-mostly word slows every reader
 * (skynet on 2 workers spent most of its time on such transfers).
 *
 * ```
 *  line  words     contents
 *   0    0–15      read-mostly: magic, generation, buffer size, limits, atom directory, image,
 *                  process table, registry, node name, scheduler statistics block, code
 *                  generation
 *   1    16–31     halt, exit code, worker count, workers ready
 *   2    32–47     I/O requests: queue head, the driver's futex word
 *   3    48–63     port (handle) table: directory, next handle id, lock, open count
 *   4    64–65     epoch (f64 index 32)
 *   5    80–81     stdout/stderr write lock (whole lines from several workers never interleave)
 *   6–7  96–127    allocator free-list heads (written under the allocator lock)
 *   8    128–143   allocator lock, bump pointer, live/peak statistics
 *   9    144–159   process table lock, next PID, live/spawned counts
 *  10    160–175   messages sent
 *  11    176–191   active processes
 *  12    192–207   parked workers, wake-up sequence (the futex word)
 *  13    208–223   next monitor reference
 *  14    224–239   registry lock, fill count, seqlock sequence
 *  15    240–255   atom lock, count and limit
 * ```
 */
const LINE_WORDS = 16;

export const H_MAGIC = 0;
export const H_GENERATION = 1;
/** Current buffer size in cells. */
export const H_LIMIT_CELLS = 4;
/** The VM's memory limit for processes, in cells (--max-memory-mb; src/mem/memory.ts). */
export const H_MEMORY_LIMIT_CELLS = 5;
/** Live processes allowed (--max-processes; src/proc/table.ts). */
export const H_MAX_PROCESSES = 6;
/** Cell index of the atom directory block (i32 per atom: cell index of its string). */
export const H_ATOM_DIR_CELL = 7;
export const H_ATOM_DIR_CAP = 8;
/** Cell index of the program image descriptor (src/mem/image.ts). */
export const H_IMAGE_CELL = 9;
/** Process table (src/proc/table.ts). */
export const H_PROC_TABLE_CELL = 13;
/** This node's name (LANGUAGE.md §8) as atom id + 1; 0 while the run is not distributed.
 *  Written once by the distribution bridge before the first process runs. */
export const H_NODE_ATOM = 12;
/** Per-scheduler statistics (src/mem/sched_stats.ts): cell of the block and its line count.
 *  Written once before the first process runs. */
export const H_SCHED_STATS_CELL = 10;
export const H_SCHED_STATS_COUNT = 11;
/** Name registry (src/proc/registry.ts). */
export const H_REGISTRY_CELL = 2;
export const H_REGISTRY_CAP = 3;
/** Code generation: bumped (Atomics.add) each time hot code loading publishes a new program
 *  image descriptor at H_IMAGE_CELL (src/mem/image.ts); every thread compares it with its
 *  view's at slice start and rebuilds the view when it changed. Read-mostly: it changes only
 *  on CODE_LOAD / CODE_PURGE. */
export const H_CODE_GEN = 14;

/** Set to 1 to stop every scheduler (EXIT, fatal error). */
export const H_HALT = 1 * LINE_WORDS;
export const H_EXIT_CODE = H_HALT + 1;
/** SMP pool: number of workers. */
export const H_WORKERS = H_HALT + 2;
/** Workers that have started their scheduler loop (the main thread runs processes itself
 *  until all have: src/sched/smp.ts). */
export const H_READY = H_HALT + 3;
/** f64 index of the run's epoch (performance.timeOrigin + performance.now() at creation, ms):
 *  every thread's clock counts from it, so deadlines stored in PCBs mean the same everywhere. */
export const H_EPOCH_F64 = (4 * LINE_WORDS) / 2;

/** I/O requests to the port driver (src/ports/channel.ts): head of the request stack (nodes
 *  pushed by CAS, taken all at once by the driver), and the futex word the driver waits on
 *  with Atomics.waitAsync (bumped by a push onto an empty queue, by an idle worker that saw
 *  no active process, and by a halt). */
export const H_IO_QUEUE = 2 * LINE_WORDS;
export const H_IO_SEQ = H_IO_QUEUE + 1;

/** Port table (src/ports/port_table.ts): directory cell, next handle id, page lock, open
 *  handles. */
export const H_PORT_TABLE_CELL = 3 * LINE_WORDS;
export const H_NEXT_PORT = H_PORT_TABLE_CELL + 1;
export const H_PORT_LOCK = H_PORT_TABLE_CELL + 2;
export const H_PORTS_OPEN = H_PORT_TABLE_CELL + 3;

/** Output lock (src/io/output.ts): 0 free, 1 held, 2 held with waiters. A flush writes whole
 *  lines under it, so lines from several workers never interleave mid-line on a pipe. */
export const H_OUTPUT_LOCK = 5 * LINE_WORDS;

/** Free-list heads: H_FREE_LISTS + k = first free block of 2^k cells (0 = empty). */
export const H_FREE_LISTS = 6 * LINE_WORDS;
export const SIZE_CLASSES = 32;

export const H_ALLOC_LOCK = 8 * LINE_WORDS;
/** Next never-used arena cell. */
export const H_BUMP_CELL = H_ALLOC_LOCK + 1;
/** Allocator statistics. */
export const H_BLOCKS_LIVE = H_ALLOC_LOCK + 2;
export const H_CELLS_LIVE = H_ALLOC_LOCK + 3;
export const H_PEAK_CELLS = H_ALLOC_LOCK + 4;

export const H_TABLE_LOCK = 9 * LINE_WORDS;
export const H_NEXT_PID = H_TABLE_LOCK + 1;
export const H_PROCS_LIVE = H_TABLE_LOCK + 2;
export const H_PROCS_SPAWNED = H_TABLE_LOCK + 3;

/** Messages sent (stats). */
export const H_MESSAGES = 10 * LINE_WORDS;

/** Processes RUNNABLE or RUNNING (quiescence test, with the port driver's own state). */
export const H_ACTIVE = 11 * LINE_WORDS;

/** SMP pool: parked workers, and the futex word they park on. */
export const H_SLEEPERS = 12 * LINE_WORDS;
export const H_WAKE_SEQ = H_SLEEPERS + 1;

/** Last monitor reference handed out. */
export const H_NEXT_REF = 13 * LINE_WORDS;

export const H_REGISTRY_LOCK = 14 * LINE_WORDS;
export const H_REGISTRY_USED = H_REGISTRY_LOCK + 1;
/** Seqlock sequence of the registry: odd while a writer changes it (lock-free WHEREIS). */
export const H_REGISTRY_SEQ = H_REGISTRY_LOCK + 2;

export const H_ATOM_LOCK = 15 * LINE_WORDS;
export const H_ATOM_COUNT = H_ATOM_LOCK + 1;
/** Atoms the table may hold (--max-atoms; 0: no limit); src/mem/atoms.ts. */
export const H_ATOM_LIMIT = H_ATOM_LOCK + 2;

export const HEADER_WORDS = 16 * LINE_WORDS;
export const HEADER_CELLS = HEADER_WORDS / CELL_WORDS;
/** Smallest block: 2^MIN_CLASS cells (32 bytes: a message node carrying one scalar,
 *  src/proc/signals.ts). */
export const MIN_CLASS = 1;
/** Cells per 64-byte cache line: a block of this size or more starts on a line. */
export const LINE_CELLS = 4;

export const MAGIC = 0x5454564d; // "TTVM"
