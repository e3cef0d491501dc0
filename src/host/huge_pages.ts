/**
 * Transparent huge pages for the arena (Linux): one `madvise(MADV_HUGEPAGE)` over the shared
 * buffer's reservation, through Deno's FFI.
 *
 * Why: the arena is touched page by page as it grows, and every first touch of a 4 KiB page is
 * a page fault. On this project's CI machines (Firecracker VMs) a fault costs 11–12 µs, so a
 * run that grows its arena by 5 MiB (counting's message backlog) spends 15 ms in the kernel,
 * and a million spawns several times that. With the advice the kernel backs each 2 MiB-aligned
 * stretch with one huge page on its first touch: one fault instead of 512.
 *
 * Best effort, and never a prompt: it acts only on Linux, when FFI and reading the THP setting
 * are already permitted and THP is in `madvise` mode (in `always` mode the kernel does it
 * unasked; in `never` mode it cannot). Otherwise, or if libc cannot be opened, the buffer
 * stays as it was and the run is the same, only with more faults. libc is opened once per
 * process (2–3 ms) and kept: tests create hundreds of VMs.
 */

const MADV_HUGEPAGE = 14;
export const HUGE_PAGE_BYTES = 2 * 1024 * 1024;
const THP_MODE_FILE = "/sys/kernel/mm/transparent_hugepage/enabled";

type Libc = { symbols: { madvise(addr: Deno.PointerValue, len: bigint, advice: number): number } };
let libc: Libc | null | undefined;

/** What the advice did: "advised", or why it was not given. */
export type HugePageOutcome =
  | "advised"
  | "not linux"
  | "not permitted"
  | "thp unknown"
  | "thp always"
  | "thp never"
  | "no libc"
  | "too small"
  | "refused";

/** The 2 MiB-aligned part [start, end) of the `lengthBytes` bytes at `addr` (start = end when
 *  no whole huge page fits). */
export function hugeRange(addr: bigint, lengthBytes: number): [bigint, bigint] {
  const huge = BigInt(HUGE_PAGE_BYTES);
  const start = (addr + huge - 1n) / huge * huge;
  const end = (addr + BigInt(lengthBytes)) / huge * huge;
  return end > start ? [start, end] : [start, start];
}

/** The kernel's THP mode (`always`, `madvise` or `never`), or null if it cannot be read
 *  without asking for a permission (or the kernel has no THP). */
export function thpMode(): string | null {
  try {
    if (Deno.permissions.querySync({ name: "read", path: THP_MODE_FILE }).state !== "granted") {
      return null;
    }
    return /\[(\w+)\]/.exec(Deno.readTextFileSync(THP_MODE_FILE))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Ask for huge pages over the whole reservation of `sab` (its maxByteLength: the advice
 *  covers growth too). */
export function adviseHugePages(sab: SharedArrayBuffer): HugePageOutcome {
  if (Deno.build.os !== "linux") return "not linux";
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return "not permitted";
  const mode = thpMode();
  if (mode === null) return "thp unknown";
  if (mode === "always") return "thp always";
  if (mode !== "madvise") return "thp never";
  const c = openLibc();
  if (c === null) return "no libc";
  const addr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(sab))));
  const [start, end] = hugeRange(addr, sab.growable ? sab.maxByteLength : sab.byteLength);
  if (end === start) return "too small";
  const rc = c.symbols.madvise(Deno.UnsafePointer.create(start), end - start, MADV_HUGEPAGE);
  return rc === 0 ? "advised" : "refused";
}

function openLibc(): Libc | null {
  if (libc === undefined) {
    try {
      libc = Deno.dlopen("libc.so.6", {
        madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
      }) as unknown as Libc;
    } catch {
      libc = null;
    }
  }
  return libc;
}
