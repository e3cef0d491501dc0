/**
 * Runtime: everything one thread needs to run processes over a shared memory — the memory and
 * its views, the atom table, the program image, the heap manager, value helpers, the way to the
 * port driver and the host output channels, the stack machine, the process layer and the
 * supervisors. One per thread (the main thread, or each SMP worker); it holds no process state.
 * The scheduler that drives the processes is attached to the process layer afterwards
 * (`procs.sched`), since the scheduler is built on the interpreter, which is built on this.
 */
import { AtomTable } from "../mem/atoms.ts";
import { ProgramImage } from "../mem/image.ts";
import type { Memory } from "../mem/memory.ts";
import { Heap } from "../term/gc.ts";
import { Values } from "../term/values.ts";
import type { Output } from "../io/output.ts";
import { DEFAULT_LIMITS, type Limits } from "../proc/pcb.ts";
import { Processes } from "../proc/procs.ts";
import { Supervisors } from "../proc/supervisor.ts";
import { Machine } from "./machine.ts";
import { PortClient } from "../ports/client.ts";
import type { PortChannel } from "../ports/protocol.ts";

/** What a thread's processes write to, and the program's arguments. */
export interface ThreadIo {
  stdout: Output;
  stderr: Output;
  /** The program's own arguments (GET_ARGS). */
  args: string[];
}

/** The compiler tier (src/jit): off, on (hot code is compiled), eager (everything on first
 *  arrival; for testing). */
export type JitMode = "off" | "on" | "eager";
export const JIT_MODES: readonly JitMode[] = ["off", "on", "eager"];

export interface RuntimeOptions {
  stressGc: boolean;
  limits: Limits;
  /** Compiler tier policy (default "on"). */
  jit?: JitMode;
  /** End every slice of compiled code at exactly the interpreter's instruction
   *  (`--exact-preemption`; src/jit/tier.ts `Jit.exactPreemption`). Default false. */
  exactPreemption?: boolean;
}

export const DEFAULT_OPTIONS: RuntimeOptions = { stressGc: false, limits: DEFAULT_LIMITS };

export class Runtime {
  readonly atoms: AtomTable;
  readonly image: ProgramImage;
  readonly heap: Heap;
  readonly values: Values;
  readonly ports: PortClient;
  /** Operand stack, frames and variables of a process (shared by the interpreter and the
   *  process layer, which binds a new process's arguments). */
  readonly machine: Machine;
  /** The actor layer of this thread. */
  readonly procs: Processes;
  readonly supervisors: Supervisors;
  /** Milliseconds since the run started (integer), for timers. */
  readonly clock: () => number;

  constructor(
    readonly mem: Memory,
    readonly io: ThreadIo,
    /** The way to the port driver, or how to build it from this thread's Values. */
    channel: PortChannel | ((values: Values) => PortChannel),
    readonly options: RuntimeOptions = DEFAULT_OPTIONS,
    atoms?: AtomTable,
  ) {
    this.atoms = atoms ?? new AtomTable(mem);
    this.image = new ProgramImage(mem, this.atoms);
    this.heap = new Heap(mem, this.atoms, options.limits, { stress: options.stressGc });
    this.values = new Values(mem, this.atoms, this.heap, this.image);
    this.ports = new PortClient(
      mem,
      typeof channel === "function" ? channel(this.values) : channel,
    );
    this.clock = () => mem.nowMs();
    this.machine = new Machine(this);
    this.procs = new Processes(mem, this.values, this.atoms, this.image, this.machine);
    this.supervisors = new Supervisors(this.procs, this.clock);
  }
}
