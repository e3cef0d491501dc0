/**
 * FIFO run queue of PIDs for the single scheduler: a growable ring buffer. A PID is pushed only
 * by the CAS that made its process RUNNABLE, so it is never in the queue twice.
 */

export class RunQueue {
  private buf = new Int32Array(1024);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(pid: number): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[(this.head + this.count) & (this.buf.length - 1)] = pid;
    this.count++;
  }

  /** Oldest PID, or 0 when empty. */
  shift(): number {
    if (this.count === 0) return 0;
    const pid = this.buf[this.head];
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.count--;
    return pid;
  }

  private grow(): void {
    const next = new Int32Array(this.buf.length * 2);
    for (let i = 0; i < this.count; i++) {
      next[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    }
    this.buf = next;
    this.head = 0;
  }
}
