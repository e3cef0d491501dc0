/**
 * Huge pages for the arena (src/host/huge_pages.ts): the advice covers exactly the whole huge
 * pages inside the buffer's reservation, and on Linux in THP `madvise` mode the kernel then
 * backs touched arena memory with huge pages (or counts why it could not).
 */
import assert from "node:assert/strict";
import { adviseHugePages, HUGE_PAGE_BYTES, hugeRange, thpMode } from "../../src/host/huge_pages.ts";
import { DEFAULT_LIMITS } from "../../src/proc/pcb.ts";
import { createMemory } from "../../src/vm/vm.ts";

const MiB = 1024 * 1024;

Deno.test("the advised range is the whole 2 MiB pages inside the buffer", () => {
  const huge = BigInt(HUGE_PAGE_BYTES);
  assert.deepEqual(hugeRange(4n * huge, 8 * MiB), [4n * huge, 8n * huge]);
  // Unaligned at both ends: rounded inward.
  assert.deepEqual(hugeRange(4n * huge + 16n, 8 * MiB), [5n * huge, 8n * huge]);
  assert.deepEqual(hugeRange(4n * huge - 4096n, 8 * MiB + 8192), [4n * huge, 8n * huge]);
  // No whole huge page inside: an empty range.
  const [s, e] = hugeRange(4n * huge + 16n, 3 * MiB);
  assert.equal(s, e);
});

/** AnonHugePages (kB) of the mapping that contains `addr`, from /proc/self/smaps. */
function anonHugeKbAt(addr: bigint): number {
  const lines = Deno.readTextFileSync("/proc/self/smaps").split("\n");
  let inside = false;
  for (const line of lines) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range !== null) {
      inside = BigInt("0x" + range[1]) <= addr && addr < BigInt("0x" + range[2]);
    } else if (inside && line.startsWith("AnonHugePages:")) {
      return Number(/(\d+) kB/.exec(line)![1]);
    }
  }
  return 0;
}

function vmstat(name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, "m").exec(Deno.readTextFileSync("/proc/vmstat"));
  return m === null ? 0 : Number(m[1]);
}

Deno.test("an advised arena is backed by huge pages once touched (Linux, THP madvise)", () => {
  const sab = new SharedArrayBuffer(16 * MiB, { maxByteLength: 256 * MiB });
  const outcome = adviseHugePages(sab);
  const mode = thpMode();
  if (Deno.build.os !== "linux") {
    assert.equal(outcome, "not linux");
    return;
  }
  // The outcome follows the kernel's setting (this test runs with every permission; a
  // kernel without THP has no setting to read).
  const expected = mode === null
    ? "thp unknown"
    : mode === "madvise"
    ? "advised"
    : mode === "always"
    ? "thp always"
    : "thp never";
  assert.equal(outcome, expected);
  if (outcome !== "advised") return;
  const fallbacksBefore = vmstat("thp_fault_fallback");
  const words = new Int32Array(sab);
  for (let i = 0; i < words.length; i += 1024) words[i] = i; // touch every 4 KiB page
  const addr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(sab))));
  const hugeKb = anonHugeKbAt(addr + BigInt(8 * MiB));
  const fallbacks = vmstat("thp_fault_fallback") - fallbacksBefore;
  // Huge pages, unless the kernel found no free 2 MiB page and said so.
  assert.ok(
    hugeKb >= HUGE_PAGE_BYTES / 1024 || fallbacks > 0,
    `AnonHugePages ${hugeKb} kB, thp_fault_fallback +${fallbacks}`,
  );
  assert.equal(words[1024 * 1024], 1024 * 1024, "the memory reads back what was written");
});

Deno.test("a run's memory asks for huge pages unless told not to (THP madvise mode)", () => {
  if (Deno.build.os !== "linux" || thpMode() !== "madvise") return; // nothing to observe
  const hugeKbAfterTouch = (hugePages: boolean): { hugeKb: number; fallbacks: number } => {
    const mem = createMemory(16 * MiB, DEFAULT_LIMITS, hugePages);
    const before = vmstat("thp_fault_fallback");
    const words = new Int32Array(mem.sab);
    for (let i = 0; i < words.length; i += 1024) words[i] |= 0; // read and write every page
    const addr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(mem.sab))));
    return {
      hugeKb: anonHugeKbAt(addr + BigInt(8 * MiB)),
      fallbacks: vmstat("thp_fault_fallback") - before,
    };
  };
  const advised = hugeKbAfterTouch(true);
  assert.ok(advised.hugeKb > 0 || advised.fallbacks > 0, JSON.stringify(advised));
  // TTVM_HUGE_PAGES=0: in madvise mode nothing else asks, so the kernel uses small pages.
  assert.equal(hugeKbAfterTouch(false).hugeKb, 0);
});
