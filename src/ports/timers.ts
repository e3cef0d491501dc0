/**
 * Timer heap of the port driver: a binary min-heap of (deadline ms, pid, seq) for receive
 * timeouts and SLEEP. A due timer becomes a SIG_TIMEOUT signal to its process, which acts on
 * it only if it still waits on that timer (the PCB's P_TIMER_SEQ equals `seq`); stale timers
 * are simply discarded, so cancelling is free. O(log n) insert and pop; no polling.
 */

export class TimerHeap {
  private deadlines: number[] = [];
  private pids: number[] = [];
  private seqs: number[] = [];

  get size(): number {
    return this.deadlines.length;
  }

  /** Earliest deadline, or Infinity. */
  peek(): number {
    return this.deadlines.length ? this.deadlines[0] : Infinity;
  }

  push(deadline: number, pid: number, seq: number): void {
    const d = this.deadlines, p = this.pids, s = this.seqs;
    let i = d.length;
    d.push(deadline);
    p.push(pid);
    s.push(seq);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (d[parent] <= deadline) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** The earliest timer's [pid, seq] (the heap must not be empty). */
  top(): [number, number] {
    return [this.pids[0], this.seqs[0]];
  }

  /** Remove the earliest timer; returns [pid, seq]. */
  pop(): [number, number] {
    const d = this.deadlines, p = this.pids, s = this.seqs;
    const top: [number, number] = [p[0], s[0]];
    const last = d.length - 1;
    this.swap(0, last);
    d.pop();
    p.pop();
    s.pop();
    this.siftDown(0);
    return top;
  }

  /** Whether `test(pid, seq)` holds for some timer (heap order, stops at the first). */
  some(test: (pid: number, seq: number) => boolean): boolean {
    for (let i = 0; i < this.pids.length; i++) if (test(this.pids[i], this.seqs[i])) return true;
    return false;
  }

  clear(): void {
    this.deadlines.length = this.pids.length = this.seqs.length = 0;
  }

  private siftDown(i: number): void {
    const d = this.deadlines;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < d.length && d[l] < d[m]) m = l;
      if (r < d.length && d[r] < d[m]) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(i: number, j: number): void {
    const d = this.deadlines, p = this.pids, s = this.seqs;
    [d[i], d[j]] = [d[j], d[i]];
    [p[i], p[j]] = [p[j], p[i]];
    [s[i], s[j]] = [s[j], s[i]];
  }
}
