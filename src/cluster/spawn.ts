/**
 * Starting a local process on behalf of another node (a SPAWN_REQUEST between ttvm nodes):
 * create it, bind the arguments in its first frame (as SPAWN binds a Function's parameters,
 * copying each value into the child's heap), make it runnable. Runs on the driver's thread,
 * with a process layer of that thread (the single scheduler's, or one the SMP pool builds on
 * the main thread for this purpose); the new process runs wherever its scheduler puts it.
 */
import type { Processes } from "../proc/procs.ts";
import type { HostValue } from "../term/host.ts";

export function spawnWith(
  procs: Processes,
  entryPc: number,
  bindings: Array<[string, HostValue]>,
): number {
  const { pid, pcb } = procs.create(0, entryPc);
  if (bindings.length > 0) {
    const mem = procs.mem, values = procs.values;
    // The values are written into a scratch block first: bindEntryFrame copies from cells.
    const cells = bindings.reduce((n, [, v]) => n + 1 + values.hostCells(v), 0);
    const block = mem.allocBlock(cells);
    try {
      let next = block + bindings.length;
      const sources = bindings.map(([name, v], i): [number, number] => {
        values.writeHostWith(block + i, v, (n) => {
          const at = next;
          next += n;
          return at;
        });
        return [procs.atoms.intern(name), block + i];
      });
      procs.bindEntryFrame(pcb, sources);
    } finally {
      mem.freeBlock(block, cells);
    }
  }
  procs.start(pid);
  return pid;
}
