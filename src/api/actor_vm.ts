/**
 * ActorVm: the programmatic API (seed: "Programmatic API", done properly). Create a VM from
 * source or a Program, spawn processes at labels, exchange JavaScript values with them, use the
 * registry, and run to completion — with a host-side mailbox (an async iterator) that VM
 * processes send to like any other process.
 *
 * The host mailbox is a real process-table entry (a PID with a signal queue but no PCB): VM
 * processes SEND to `vm.host.pid` or to a name registered for it; the host drains that queue
 * between scheduler steps. Its status stays RUNNING so senders never enqueue it.
 */
import { assembleSource } from "../asm/mod.ts";
import type { Program } from "../isa/program.ts";
import { Output, type Sink } from "../io/output.ts";
import { fixedInput } from "../io/stdin.ts";
import {
  freeNode,
  N_KIND,
  N_NEXT,
  newNode,
  SIG_MSG,
  SIG_NAME,
  takeSignals,
  valueCellOf,
} from "../proc/signals.ts";
import { ST_RUNNING } from "../proc/table.ts";
import { Vm, type VmOptions } from "../vm/vm.ts";
import { VmError } from "../vm/errors.ts";
import { fromHostValue, type JsValue, toHostValue } from "./convert.ts";

export interface ActorVmOptions extends VmOptions {
  /** Where PRINT goes (default: this process's stdout). */
  stdout?: (text: string) => void;
  /** Where diagnostics go (default: this process's stderr). */
  stderr?: (text: string) => void;
  /** Program arguments (GET_ARGS). */
  args?: string[];
}

export interface RunSummary {
  /** The EXIT opcode's code, or null when the run ended by quiescence. */
  exitCode: number | null;
  processesSpawned: number;
  processesAlive: number;
  messagesSent: number;
  reductions: number;
}

export class HostMailbox implements AsyncIterable<JsValue> {
  private readonly queued: JsValue[] = [];
  private waiters: Array<(v: IteratorResult<JsValue>) => void> = [];
  closed = false;

  constructor(readonly pid: number) {}

  /** Messages received so far and not yet taken. */
  get size(): number {
    return this.queued.length;
  }

  /** Take a message if one is there. */
  tryReceive(): JsValue | undefined {
    return this.queued.shift();
  }

  /** The next message; resolves to undefined if the VM finishes without sending one. */
  async receive(): Promise<JsValue | undefined> {
    const r = await this.next();
    return r.done ? undefined : r.value;
  }

  next(): Promise<IteratorResult<JsValue>> {
    if (this.queued.length > 0) {
      return Promise.resolve({ value: this.queued.shift()!, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<JsValue> {
    return { next: () => this.next() };
  }

  /** @internal */
  deliver(v: JsValue): void {
    const w = this.waiters.shift();
    if (w) w({ value: v, done: false });
    else this.queued.push(v);
  }

  /** @internal the VM is idle: pending receivers get `done`. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  /** @internal more work was started: receivers may wait again. */
  reopen(): void {
    this.closed = false;
  }
}

export class ActorVm {
  readonly vm: Vm;
  readonly host: HostMailbox;

  constructor(program: Program, options: ActorVmOptions = {}) {
    const dec = new TextDecoder();
    const sink = (f?: (t: string) => void, file = Deno.stdout): Sink =>
      f ? { write: (b) => f(dec.decode(b)) } : {
        write: (b) => {
          let off = 0;
          while (off < b.length) off += file.writeSync(b.subarray(off));
        },
      };
    this.vm = new Vm(program, {
      stdout: new Output(sink(options.stdout)),
      stderr: new Output(sink(options.stderr, Deno.stderr)),
      stdin: fixedInput(""),
      args: options.args ?? [],
    }, options);
    const table = this.vm.procs.table;
    const pid = table.newPid();
    table.setStatus(pid, ST_RUNNING);
    this.host = new HostMailbox(pid);
  }

  static fromSource(source: string, path = "main.ttvm", options: ActorVmOptions = {}): ActorVm {
    return new ActorVm(assembleSource(source, path), options);
  }

  /** Start a process at `label` with `args` on its operand stack (first argument deepest). */
  spawn(label: string, ...args: JsValue[]): number {
    const { procs, rt, interp } = this.vm;
    const entryPc = rt.supervisors.labelPc(label);
    const { pid, pcb } = procs.create(this.host.pid, entryPc);
    for (const a of args) rt.values.putHost(pcb, interp.m.push(pcb), toHostValue(a));
    procs.start(pid);
    this.host.reopen();
    return pid;
  }

  /** Start the program's main code (from its first instruction) as a process. */
  spawnMain(): number {
    const { procs } = this.vm;
    const { pid } = procs.create(this.host.pid, 0);
    procs.start(pid);
    this.host.reopen();
    return pid;
  }

  /** Send a JavaScript value (converted to a VM value, deep-copied) to a process. */
  send(pid: number, value: JsValue): void {
    this.withValue(value, (cell) => this.vm.procs.send(this.host.pid, pid, cell));
    this.host.reopen();
  }

  sendNamed(name: string, value: JsValue): void {
    const pid = this.whereis(name);
    if (pid === 0) throw new VmError(`No process registered as ${name}`);
    this.send(pid, value);
  }

  /** Register `pid` under `name`; the name is freed when the process exits, as REGISTER's. */
  register(name: string, pid: number): void {
    const { procs, rt, mem } = this.vm;
    const atom = rt.atoms.intern(name);
    if (!procs.table.isAlive(pid)) throw new VmError(`noproc`);
    if (!procs.registry.register(atom, pid)) {
      throw new VmError(`Name already registered: ${name}`);
    }
    // The process records the name itself (its relations are its own); if it is already
    // gone, the undelivered notice frees the name at once.
    if (!procs.deliver(pid, newNode(mem, SIG_NAME, this.host.pid, atom))) {
      procs.registry.unregister(atom, pid);
    }
  }

  whereis(name: string): number {
    const atom = this.vm.rt.atoms.lookup(name);
    return atom < 0 ? 0 : this.vm.procs.registry.whereis(atom);
  }

  unregister(name: string): void {
    const atom = this.vm.rt.atoms.lookup(name);
    if (atom < 0 || !this.vm.procs.registry.unregister(atom)) {
      throw new VmError(`Name not registered: ${name}`);
    }
  }

  isAlive(pid: number): boolean {
    return this.vm.procs.table.isAlive(pid);
  }

  /** Run until no process can make progress (or EXIT), yielding to the event loop between
   *  batches of slices so that host code consuming `host` runs concurrently. */
  async run(): Promise<RunSummary> {
    await this.vm.loop(() => {
      this.drainHost();
      this.vm.rt.io.stdout.flush();
      this.vm.rt.io.stderr.flush();
    });
    this.drainHost();
    this.host.close();
    return this.summary();
  }

  summary(): RunSummary {
    const table = this.vm.procs.table;
    return {
      exitCode: this.vm.scheduler.exitCode,
      processesSpawned: table.spawned - 1, // the host's own PID is not a process
      processesAlive: table.live - 1,
      messagesSent: this.vm.messagesSent,
      reductions: this.vm.interp.reductions,
    };
  }

  /** Move the host's pending signals into the mailbox as JavaScript values. */
  private drainHost(): void {
    const { mem, procs, rt } = this.vm;
    let node = takeSignals(mem, procs.table, this.host.pid);
    while (node !== 0) {
      const next = mem.i32[(node << 2) + N_NEXT];
      if (mem.i32[(node << 2) + N_KIND] === SIG_MSG) {
        this.host.deliver(fromHostValue(rt.values.toHost(valueCellOf(mem.i32, node))));
      }
      freeNode(mem, node);
      node = next;
    }
  }

  /** Build a VM value in a scratch message node and hand its cell to `use`. */
  private withValue(value: JsValue, use: (cell: number) => void): void {
    const { mem, rt } = this.vm;
    const hv = toHostValue(value);
    const cells = 1 + rt.values.hostCells(hv);
    const block = mem.allocBlock(cells);
    let next = block + 1;
    rt.values.writeHostWith(block, hv, (n) => {
      const at = next;
      next += n;
      return at;
    });
    try {
      use(block);
    } finally {
      mem.freeBlock(block, cells);
    }
  }
}
