/**
 * The process side of the ports: how an instruction asks the port driver for something and
 * how the reply reaches it. One PortClient per thread (the single scheduler's, or each SMP
 * worker's); it holds no process state.
 *
 * A waiting request uses the registers a receive uses, because a process is never in both:
 * P_SAVE_PC = the instruction that waits, P_TIMER_SEQ = the request's seq (the same counter as
 * timer serials, so a stale reply or timer can never match), P_SAVE_NODE = the reply node once
 * it arrived (set by the signal handler, src/proc/procs.ts), and FLAG_IO_WAIT in P_FLAGS.
 */
import type { Memory } from "../mem/memory.ts";
import {
  FLAG_IO_WAIT,
  FLAG_USES_PORTS,
  P_FLAGS,
  P_PID,
  P_SAVE_NODE,
  P_SAVE_PC,
  P_TIMER_SEQ,
} from "../proc/pcb.ts";
import type { HostValue } from "../term/host.ts";
import { PortTable } from "./port_table.ts";
import { NEVER_MS } from "./protocol.ts";
import { type PortChannel, type PortRequest, REQ_EXITED, REQ_TIMER } from "./protocol.ts";

export class PortClient {
  readonly table: PortTable;
  /** Called before a request leaves this thread (SMP: flush output, so that a line printed
   *  before a TCP_SEND or CONN_CLOSE appears before anything the peer prints in reply; the
   *  single scheduler has one output buffer and needs none). */
  beforeSubmit: (() => void) | null = null;

  constructor(private readonly mem: Memory, private readonly channel: PortChannel) {
    this.table = new PortTable(mem);
  }

  /** Send a request whose reply the process at `pcb` (the caller) will wait for at `pc`. */
  call(
    pcb: number,
    pc: number,
    kind: number,
    handle: number,
    args: HostValue[],
    a = 0,
    b = 0,
  ): void {
    const w = this.mem.i32, p = pcb << 2;
    const seq = ++w[p + P_TIMER_SEQ];
    w[p + P_FLAGS] |= FLAG_IO_WAIT | FLAG_USES_PORTS;
    w[p + P_SAVE_PC] = pc;
    w[p + P_SAVE_NODE] = 0;
    this.send({ kind, from: w[p + P_PID], seq, handle, a, b, args });
  }

  /** Send a request that needs no reply (close, handover notice, resume). */
  cast(pcb: number, kind: number, handle: number, args: HostValue[] = [], a = 0, b = 0): void {
    const w = this.mem.i32, p = pcb << 2;
    w[p + P_FLAGS] |= FLAG_USES_PORTS;
    this.send({ kind, from: w[p + P_PID], seq: 0, handle, a, b, args });
  }

  /** Ask the driver for a SIG_TIMEOUT with `seq` at `deadlineMs` (run clock). */
  armTimer(pid: number, deadlineMs: number, seq: number): void {
    const a = deadlineMs >= NEVER_MS ? NEVER_MS : deadlineMs;
    this.send({ kind: REQ_TIMER, from: pid, seq, handle: 0, a, b: 0, args: [] });
  }

  /** The process at `pcb` received the value in cell `c` (a message, its spawn arguments):
   *  it now holds the HTTP requests in it. */
  adopt(pcb: number, c: number): void {
    const w = this.mem.i32, p = pcb << 2;
    if (this.table.adoptRequests(w, c, w[p + P_PID])) w[p + P_FLAGS] |= FLAG_USES_PORTS;
  }

  /** A notice from the runtime (no process context), e.g. REQ_RESUME for a drained port. */
  notify(kind: number, handle: number): void {
    this.send({ kind, from: 0, seq: 0, handle, a: 0, b: 0, args: [] });
  }

  /** A request built by the runtime itself (the distribution bridge's signal forwarding,
   *  src/cluster/forward.ts). */
  submit(req: PortRequest): void {
    this.send(req);
  }

  private send(req: PortRequest): void {
    this.beforeSubmit?.();
    this.channel.submit(req);
  }

  /** A process that used ports has exited: the driver closes what it still owns. */
  exited(pid: number): void {
    this.send({ kind: REQ_EXITED, from: pid, seq: 0, handle: 0, a: 0, b: 0, args: [] });
  }
}

/** The single scheduler's channel: requests wait in an array until the scheduler hands them
 *  to the driver after the slice (the driver never runs inside an instruction). */
export class DirectChannel implements PortChannel {
  private queued: PortRequest[] = [];

  submit(req: PortRequest): void {
    this.queued.push(req);
  }

  get pending(): boolean {
    return this.queued.length > 0;
  }

  take(): PortRequest[] {
    const q = this.queued;
    this.queued = [];
    return q;
  }
}
