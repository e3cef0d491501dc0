/**
 * Port table: handle id → entry, in shared memory, for every Connection (socket, listener,
 * HTTP request, future, database, stream). Ids are handed out sequentially from 1 by any
 * thread and never reused, so a stale Connection value can never reach another handle.
 *
 * The JavaScript objects behind a handle (Deno.Conn, servers, child processes) live only in the
 * port driver's handle map on the I/O thread (src/ports/driver.ts); this table holds what the
 * processes must check synchronously wherever they run:
 * ```
 *  entry (2 cells)
 *   cell 0  [owner pid, kind, state bits, local port]
 *   cell 1  [unreceived active messages, unwritten bytes, 0, 0]
 * ```
 * - owner: the process allowed to use the handle; changed only by the owner itself
 *   (CONN_HANDOVER, CAS) or by the driver when it creates the handle. 0 = closed for good.
 * - state: ST_CLOSED (closed by the owner or the peer), ST_ANSWERED (an HTTP request that
 *   has been answered — set by CAS, so only one answer wins), ST_PAUSED (active delivery
 *   paused by flow control; the receiver that drains the backlog asks the driver to resume).
 * - unreceived: active-mode messages the driver delivered and the owner has not received yet
 *   (incremented by the driver, decremented by the receiving process).
 * - unwritten: bytes sent to a socket and not yet written (added by the sending process,
 *   subtracted by the driver when the write is done): TCP_SEND waits only beyond a window.
 */
import { H_NEXT_PORT, H_PORT_LOCK, H_PORT_TABLE_CELL, H_PORTS_OPEN } from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { ensurePage, pageCell, type PagedLayout } from "../mem/paged.ts";
import { forEachConn } from "../term/copy.ts";

/** CONN_KINDS index of an HTTP request: held by whoever holds the value (LANGUAGE.md §7). */
const HTTP_REQUEST_KIND = 4;

const LAYOUT: PagedLayout = {
  dirWord: H_PORT_TABLE_CELL,
  lockWord: H_PORT_LOCK,
  dirPages: 1 << 14,
  pageShift: 10,
  entryCells: 2,
};
const PAGE_MASK = (1 << LAYOUT.pageShift) - 1;

/** Word offsets inside an entry. */
const W_OWNER = 0;
const W_KIND = 1;
const W_STATE = 2;
const W_LOCAL_PORT = 3;
const W_UNRECEIVED = 4;
const W_UNWRITTEN = 5;

export const PS_CLOSED = 1;
export const PS_ANSWERED = 2;
export const PS_PAUSED = 4;

export class PortTableFullError extends Error {}

export class PortTable {
  constructor(private readonly mem: Memory) {}

  /** A new handle of `kind` owned by `owner`. Any thread. */
  create(kind: number, owner: number, localPort = 0): number {
    const id = Atomics.add(this.mem.i32, H_NEXT_PORT, 1) + 1;
    if (!ensurePage(this.mem, LAYOUT, id >> LAYOUT.pageShift)) {
      throw new PortTableFullError(`Port table full (${id - 1} handles)`);
    }
    const e = this.entry(id) << 2;
    const w = this.mem.i32;
    w[e + W_KIND] = kind;
    w[e + W_LOCAL_PORT] = localPort;
    w[e + W_UNRECEIVED] = 0;
    w[e + W_UNWRITTEN] = 0;
    Atomics.store(w, e + W_STATE, 0);
    Atomics.store(w, e + W_OWNER, owner);
    Atomics.add(w, H_PORTS_OPEN, 1);
    return id;
  }

  /** Cell of the entry of `id`, or 0 for an id never handed out. */
  entry(id: number): number {
    if (id <= 0 || id > Atomics.load(this.mem.i32, H_NEXT_PORT)) return 0;
    const page = pageCell(this.mem, LAYOUT, id >> LAYOUT.pageShift);
    return page === 0 ? 0 : page + (id & PAGE_MASK) * LAYOUT.entryCells;
  }

  owner(id: number): number {
    const e = this.entry(id);
    return e === 0 ? 0 : Atomics.load(this.mem.i32, (e << 2) + W_OWNER);
  }

  kind(id: number): number {
    const e = this.entry(id);
    return e === 0 ? -1 : this.mem.i32[(e << 2) + W_KIND];
  }

  localPort(id: number): number {
    const e = this.entry(id);
    return e === 0 ? 0 : this.mem.i32[(e << 2) + W_LOCAL_PORT];
  }

  setLocalPort(id: number, port: number): void {
    const e = this.entry(id);
    if (e !== 0) Atomics.store(this.mem.i32, (e << 2) + W_LOCAL_PORT, port);
  }

  /** Give the handle to `to` if `from` owns it; false otherwise. */
  transfer(id: number, from: number, to: number): boolean {
    const e = this.entry(id);
    if (e === 0) return false;
    return Atomics.compareExchange(this.mem.i32, (e << 2) + W_OWNER, from, to) === from;
  }

  state(id: number): number {
    const e = this.entry(id);
    return e === 0 ? PS_CLOSED : Atomics.load(this.mem.i32, (e << 2) + W_STATE);
  }

  /** Set state bits; returns true when this call set `bit` (it was clear before). */
  setState(id: number, bit: number): boolean {
    const e = this.entry(id);
    if (e === 0) return false;
    return (Atomics.or(this.mem.i32, (e << 2) + W_STATE, bit) & bit) === 0;
  }

  clearState(id: number, bit: number): void {
    const e = this.entry(id);
    if (e !== 0) Atomics.and(this.mem.i32, (e << 2) + W_STATE, ~bit);
  }

  /** The handle is gone for good (driver only): no owner, closed. */
  release(id: number): void {
    const e = this.entry(id);
    if (e === 0) return;
    Atomics.or(this.mem.i32, (e << 2) + W_STATE, PS_CLOSED);
    if (Atomics.exchange(this.mem.i32, (e << 2) + W_OWNER, 0) !== 0) {
      Atomics.sub(this.mem.i32, H_PORTS_OPEN, 1);
    }
  }

  /** Active messages delivered and not yet received: +1 by the driver, -1 by the receiver.
   *  Returns the new count. */
  addUnreceived(id: number, delta: number): number {
    const e = this.entry(id);
    if (e === 0) return 0;
    return Atomics.add(this.mem.i32, (e << 2) + W_UNRECEIVED, delta) + delta;
  }

  /** The owner received one active message of `id`: true when delivery is paused and the
   *  backlog is now below `resumeBelow` (the caller asks the driver to resume, once: the
   *  PAUSED bit is cleared here). */
  received(id: number, resumeBelow: number): boolean {
    const left = this.addUnreceived(id, -1);
    if (left >= resumeBelow || (this.state(id) & PS_PAUSED) === 0) return false;
    const e = this.entry(id);
    return (Atomics.and(this.mem.i32, (e << 2) + W_STATE, ~PS_PAUSED) & PS_PAUSED) !== 0;
  }

  /** Bytes queued to be written on `id`: + by the sender, - by the driver. The new count. */
  addPendingWrite(id: number, delta: number): number {
    const e = this.entry(id);
    if (e === 0) return 0;
    return Atomics.add(this.mem.i32, (e << 2) + W_UNWRITTEN, delta) + delta;
  }

  /** The process `pid` now holds the value in cell `c`: it becomes the holder of every
   *  unanswered HTTP request in it (the one answered 503 if it dies without answering).
   *  Returns true when it holds any. */
  adoptRequests(w: Int32Array, c: number, pid: number): boolean {
    let any = false;
    forEachConn(w, c, (kind, id) => {
      if (kind !== HTTP_REQUEST_KIND) return;
      const e = this.entry(id);
      if (e === 0 || (Atomics.load(this.mem.i32, (e << 2) + W_STATE) & (PS_ANSWERED | PS_CLOSED))) {
        return;
      }
      Atomics.store(this.mem.i32, (e << 2) + W_OWNER, pid);
      any = true;
    });
    return any;
  }

  /** Handles created and not yet released. */
  get open(): number {
    return Atomics.load(this.mem.i32, H_PORTS_OPEN);
  }
}
