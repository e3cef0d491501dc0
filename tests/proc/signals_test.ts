/**
 * Message nodes: a message whose value is one self-contained cell travels in a compact
 * 32-byte node (src/proc/signals.ts), which counts toward its receiver's queued cells while
 * unreceived and reads, wherever a node's value is read, as the same value a full node holds.
 * A compact node has no origin or port word, so DEMONITOR's flush of DOWN messages never
 * takes one for a DOWN, and taking one never counts as receiving a port's data, whatever its
 * value's bits look like.
 */
import assert from "node:assert/strict";
import { Memory } from "../../src/mem/memory.ts";
import { CELL_BYTES } from "../../src/mem/layout.ts";
import { Mailbox, N_ORIGIN, ORIGIN_DOWN } from "../../src/proc/mailbox.ts";
import { createPcb } from "../../src/proc/pcb.ts";
import {
  isCompactNode,
  N_CELLS,
  newValueNode,
  nodeValueCells,
  PUSHED,
  pushMessageAt,
  queuedCells,
  SIG_DOWN,
  SIG_MSG,
  takeSignalsAt,
  valueCellOf,
} from "../../src/proc/signals.ts";
import { ProcTable } from "../../src/proc/table.ts";
import { PortTable } from "../../src/ports/port_table.ts";
import { setAtom, setFloat, setSmallInt, T_FLOAT, T_INT } from "../../src/term/tags.ts";

const LIMIT_CELLS = 1 << 24;

/** A memory with one process (pid, its PCB and table entry) and its mailbox. */
function oneProcess() {
  const mem = Memory.create(4 * 1024 * 1024);
  const table = new ProcTable(mem);
  const pid = table.newPid();
  const pcb = createPcb(mem, pid, 0);
  table.attach(pid, pcb);
  return { mem, table, pid, pcb, e: table.entry(pid), mailbox: new Mailbox(mem, table) };
}

/** A scratch cell holding `write`'s value. */
function cellWith(mem: Memory, write: (w: Int32Array, f: Float64Array, c: number) => void) {
  const c = mem.allocBlock(1);
  write(mem.i32, mem.f64, c);
  return c;
}

Deno.test("a one-cell message travels in a compact 32-byte node and is counted while queued", () => {
  const { mem, table, pid, pcb, e, mailbox } = oneProcess();
  const before = mem.stats().bytesLive;
  const values = [7, -1, 2 ** 52, 0];
  for (const n of values) {
    const src = cellWith(mem, (w, f, c) => setSmallInt(w, f, c, n));
    const node = newValueNode(mem, SIG_MSG, 99, src);
    mem.freeBlock(src, 1);
    assert.ok(isCompactNode(mem.i32, node));
    assert.equal(Memory.blockCells(mem.i32[(node << 2) + N_CELLS]) * CELL_BYTES, 32);
    assert.equal(nodeValueCells(mem.i32, node), 0);
    assert.equal(pushMessageAt(mem, e, node, LIMIT_CELLS), PUSHED);
  }
  assert.equal(queuedCells(mem, table, pid), 2 * values.length);
  for (let node = takeSignalsAt(mem, e); node !== 0;) {
    const next = mem.i32[node << 2];
    mailbox.append(pcb, node);
    node = next;
  }
  const received: number[] = [];
  for (let node; (node = mailbox.takeOldest(pcb, e, 0)) !== 0;) {
    const v = valueCellOf(mem.i32, node);
    assert.equal(mem.i32[v << 2], T_INT);
    received.push(mem.f64[(v << 1) | 1]);
    mailbox.free(node);
  }
  assert.deepEqual(received, values, "in order, with their values");
  assert.equal(queuedCells(mem, table, pid), 0, "taking a message un-counts it");
  assert.equal(mem.stats().bytesLive, before, "every node was freed");
});

Deno.test("a signal that is not a plain message keeps the full node", () => {
  const { mem } = oneProcess();
  const src = cellWith(mem, (w, f, c) => setSmallInt(w, f, c, 5));
  const down = newValueNode(mem, SIG_DOWN, 3, src, 42); // a = the monitor ref
  assert.ok(!isCompactNode(mem.i32, down));
  assert.equal(mem.i32[(down << 2) + 4], 42);
  const v = valueCellOf(mem.i32, down);
  assert.equal(mem.f64[(v << 1) | 1], 5);
});

Deno.test("DEMONITOR's flush never takes a compact message for a DOWN", () => {
  const { mem, pid, pcb, e, mailbox } = oneProcess();
  // A Float whose bits put ORIGIN_DOWN where a full node keeps its origin, in a node whose
  // first value word (the tag) sits where a full node keeps a DOWN's ref.
  const bits = new DataView(new ArrayBuffer(8));
  bits.setUint32(4, ORIGIN_DOWN, true); // high word (little-endian words 6 and 7 of the node)
  bits.setUint32(0, 0x1234, true);
  const x = bits.getFloat64(0, true);
  const src = cellWith(mem, (w, f, c) => setFloat(w, f, c, x));
  const node = newValueNode(mem, SIG_MSG, 1, src);
  assert.ok(isCompactNode(mem.i32, node));
  assert.equal(mem.i32[(node << 2) + N_ORIGIN], ORIGIN_DOWN, "the trap is set");
  const ref = mem.i32[(node << 2) + 4];
  assert.equal(ref, T_FLOAT);
  assert.equal(pushMessageAt(mem, e, node, LIMIT_CELLS), PUSHED);
  mailbox.append(pcb, takeSignalsAt(mem, e));
  mailbox.flushDown(pcb, pid, ref);
  assert.equal(mailbox.length(pcb), 1, "the user's message is still there");
  const taken = mailbox.takeOldest(pcb, e, 0);
  assert.equal(mem.f64[(valueCellOf(mem.i32, taken) << 1) | 1], x);
});

Deno.test("taking a compact message never counts as receiving a port's active data", () => {
  const { mem, e, pcb, mailbox } = oneProcess();
  const ports = new PortTable(mem);
  const port = ports.create(0, 1);
  ports.addUnreceived(port, 5);
  // An atom whose id equals the handle: its id sits where a full node keeps its port.
  const src = cellWith(mem, (w, _f, c) => setAtom(w, c, port));
  const node = newValueNode(mem, SIG_MSG, 1, src);
  assert.ok(isCompactNode(mem.i32, node));
  assert.equal(mem.i32[(node << 2) + 5], port, "the trap is set");
  assert.equal(pushMessageAt(mem, e, node, LIMIT_CELLS), PUSHED);
  mailbox.append(pcb, takeSignalsAt(mem, e));
  mailbox.free(mailbox.takeOldest(pcb, e, 0));
  assert.equal(ports.addUnreceived(port, 0), 5, "the port's backlog is untouched");
});
