/**
 * What travels between a process and the port driver (the I/O owner, src/ports/driver.ts).
 *
 * A **request** names what to do (`kind`: the opcode number for opcode requests, or one of
 * the internal kinds below), who asks (`from`), the reply reference (`seq`, 0 = no reply
 * wanted), a handle id and two small ints, and its arguments as host values. On the SMP pool it
 * crosses threads as a node in shared memory (src/ports/channel.ts); on the single scheduler
 * the driver receives the object itself.
 *
 * A **reply** is a signal to the requesting process: SIG_IO_REPLY with the request's `seq`
 * (src/proc/signals.ts), carrying the result value or an error message. A **timer** fires as
 * SIG_TIMEOUT with the timer's seq. Active-mode data and HTTP requests arrive as ordinary
 * messages. So every completion wakes its process the way a message does, and the process
 * handles it itself when it runs (DESIGN.md invariants 2 and 8).
 */
import type { HostValue } from "../term/host.ts";

/** Timer deadlines at or beyond this are "never" (a request word is an i32). */
export const NEVER_MS = 0x7fffffff;
/** Unwritten bytes a process may leave queued on a socket before TCP_SEND waits (the
 *  process side checks it, src/vm/ops_port.ts; the driver's sockets honour it, tcp.ts). */
export const WRITE_WINDOW_BYTES = 64 * 1024;

export interface PortRequest {
  kind: number;
  from: number;
  /** Reply reference: the process's P_TIMER_SEQ at the time of asking; 0 = no reply. */
  seq: number;
  handle: number;
  a: number;
  b: number;
  args: HostValue[];
}

/** Internal request kinds (opcode requests use the opcode number, 0..255). */
export const REQ_TIMER = 0x100; // a = deadline ms (run clock); seq = timer serial
export const REQ_EXITED = 0x101; // `from` has exited: close what it owns
export const REQ_HANDOVER = 0x102; // handle now belongs to `a`
export const REQ_RESUME = 0x103; // the owner drained its backlog: resume active delivery
export const REQ_CLOSE = 0x104; // close `handle` (CONN_CLOSE, no reply)
// 0x110–0x11f: the distribution bridge's requests (src/dist/).

/** SIG_IO_REPLY status (node extra word b). */
export const REPLY_OK = 0;
export const REPLY_ERROR = 1;

/** How the processes reach the driver (a direct call, or a shared-memory queue). */
export interface PortChannel {
  submit(req: PortRequest): void;
}
