/**
 * Buffered output channel for program output (stdout) and diagnostics (stderr).
 *
 * Invariants: text is written in the order it was emitted; stdout is flushed before anything
 * that lets another writer (a child process in EXEC, a prompt for stdin) see the terminal, at
 * the end of the run, and at the latest FLUSH_AFTER_MS after the oldest unwritten text (the
 * schedulers call `OutputClock.tick` between slices), so a long-running program's output
 * appears while it runs. Writes are synchronous so an EXIT cannot lose buffered output. Under
 * the SMP pool every flush holds the shared output lock (H_OUTPUT_LOCK): buffers always end
 * at a line end, so lines of different workers never interleave mid-line, even on a pipe.
 */
import { H_OUTPUT_LOCK } from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { spinLock, spinUnlock } from "../mem/spin.ts";

export interface Sink {
  write(bytes: Uint8Array): void;
}

/** Exit status of a run whose stdout reader went away (128 + SIGPIPE, as a shell reports it). */
export const BROKEN_PIPE_STATUS = 141;

/** A sink over a Deno file (Deno.stdout / Deno.stderr), handling partial writes. When the
 *  reader has gone (`ttvm prog | head`), later writes are dropped and `onBrokenPipe` runs once —
 *  the run ends quietly, as a Unix program ends on SIGPIPE, instead of with a stack trace. */
export function fileSink(
  file: { writeSync(p: Uint8Array): number },
  onBrokenPipe: () => void = () => Deno.exit(BROKEN_PIPE_STATUS),
): Sink {
  let broken = false;
  return {
    write(bytes) {
      if (broken) return;
      try {
        let off = 0;
        while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
      } catch (e) {
        if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
        broken = true;
        onBrokenPipe();
      }
    },
  };
}

const encoder = new TextEncoder();
const FLUSH_BYTES = 64 * 1024;

/** Longest time text may wait in a buffer while the program runs. */
export const FLUSH_AFTER_MS = 50;

export class Output {
  private parts: string[] = [];
  private pending = 0;
  /** performance.now() of the oldest unwritten text (meaningful while pending > 0). */
  oldestMs = 0;
  /** Shared memory whose output lock guards every write (SMP workers), or null. */
  private lockMem: Memory | null = null;

  constructor(private readonly sink: Sink) {}

  /** Take the pool's output lock around every write (see the file header). */
  shareWith(mem: Memory): this {
    this.lockMem = mem;
    return this;
  }

  get hasPending(): boolean {
    return this.pending > 0;
  }

  write(text: string): void {
    if (this.pending === 0) this.oldestMs = performance.now();
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const text = this.parts.join("");
    this.parts = [];
    this.pending = 0;
    const bytes = encoder.encode(text);
    const mem = this.lockMem;
    if (mem === null) return this.sink.write(bytes);
    spinLock(mem, H_OUTPUT_LOCK);
    try {
      this.sink.write(bytes);
    } finally {
      spinUnlock(mem, H_OUTPUT_LOCK);
    }
  }
}

/** Flushes a thread's outputs once their oldest text is FLUSH_AFTER_MS old. */
export class OutputClock {
  constructor(private readonly outputs: Output[]) {}

  /** Called between slices: one clock read when something is buffered. An indexed loop: it
   *  runs after every slice, and an iterator would be allocated for each call until V8
   *  optimises it (a third of what a cold run of counting allocated, before). */
  tick(): void {
    let now = 0;
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const o = outputs[i];
      if (!o.hasPending) continue;
      if (now === 0) now = performance.now();
      if (now - o.oldestMs >= FLUSH_AFTER_MS) o.flush();
    }
  }

  flushAll(): void {
    for (const o of this.outputs) o.flush();
  }
}
