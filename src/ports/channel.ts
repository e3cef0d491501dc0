/**
 * The shared-memory request queue from processes to the port driver: a Treiber stack of
 * request nodes (the signal-node format of src/proc/signals.ts) whose head is H_IO_QUEUE.
 * Any thread pushes; the driver takes everything with one exchange and reverses it, so the
 * requests of one process keep their order (a CONN_CLOSE after a TCP_SEND is handled after it).
 *
 * ```
 *  request node
 *   cell 0  [next, kind, from pid, blockCells]
 *   cell 1  [seq, handle, a, b]
 *   cell 2  value cell: a List of the arguments (Null when there are none)
 *   cell 3… objects of the arguments
 * ```
 * Wake-up protocol: a push onto an *empty* queue bumps H_IO_SEQ and notifies it; the driver
 * re-reads the queue after every wake-up and before it waits (Atomics.waitAsync on H_IO_SEQ
 * with the value it last saw), so a push between its last take and its wait is not lost. A
 * push onto a non-empty queue needs no notify: the driver has not taken the earlier node yet.
 */
import { H_IO_QUEUE, H_IO_SEQ } from "../mem/layout.ts";
import type { Memory } from "../mem/memory.ts";
import { freeNode, N_FROM, N_KIND, N_NEXT, N_VALUE_CELL, newNode } from "../proc/signals.ts";
import type { HostValue } from "../term/host.ts";
import type { Values } from "../term/values.ts";
import type { PortChannel, PortRequest } from "./protocol.ts";

export class SharedChannel implements PortChannel {
  constructor(private readonly mem: Memory, private readonly values: Values) {}

  submit(req: PortRequest): void {
    const mem = this.mem;
    const list: HostValue | null = req.args.length > 0 ? { kind: "list", items: req.args } : null;
    const node = newNode(mem, req.kind, req.from, req.seq, list ? this.values.hostCells(list) : 0);
    const w = mem.i32, h = node << 2;
    w[h + 5] = req.handle;
    w[h + 6] = req.a;
    w[h + 7] = req.b;
    if (list) {
      let next = node + 3;
      this.values.writeHostWith(node + N_VALUE_CELL, list, (cells) => {
        const at = next;
        next += cells;
        return at;
      });
    }
    pushRequest(mem, node);
  }
}

/** Push a request node; wakes the driver when the queue was empty. */
export function pushRequest(mem: Memory, node: number): void {
  const w = mem.i32;
  for (;;) {
    const head = Atomics.load(w, H_IO_QUEUE);
    w[(node << 2) + N_NEXT] = head;
    if (Atomics.compareExchange(w, H_IO_QUEUE, head, node) === head) {
      if (head === 0) wakeDriver(mem);
      return;
    }
  }
}

/** Make the driver look again (a request arrived, the pool may be idle, or it halted). */
export function wakeDriver(mem: Memory): void {
  Atomics.add(mem.i32, H_IO_SEQ, 1);
  Atomics.notify(mem.i32, H_IO_SEQ);
}

/** Driver side: every queued request, oldest first (nodes are freed). */
export function takeRequests(mem: Memory, values: Values): PortRequest[] {
  if (Atomics.load(mem.i32, H_IO_QUEUE) === 0) return [];
  let head = Atomics.exchange(mem.i32, H_IO_QUEUE, 0);
  mem.refresh(); // nodes may have been allocated by a thread that grew the buffer
  const w = mem.i32;
  let prev = 0;
  while (head !== 0) {
    const next = w[(head << 2) + N_NEXT];
    w[(head << 2) + N_NEXT] = prev;
    prev = head;
    head = next;
  }
  const out: PortRequest[] = [];
  for (let node = prev; node !== 0;) {
    const h = node << 2;
    const next = w[h + N_NEXT];
    const list = values.tag(node + N_VALUE_CELL) === 0 ? null : values.toHost(node + N_VALUE_CELL);
    out.push({
      kind: w[h + N_KIND],
      from: w[h + N_FROM],
      seq: w[h + 4],
      handle: w[h + 5],
      a: w[h + 6],
      b: w[h + 7],
      args: list && list.kind === "list" ? list.items : [],
    });
    freeNode(mem, node);
    node = next;
  }
  return out;
}
