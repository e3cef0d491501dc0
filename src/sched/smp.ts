/**
 * The SMP pool (main thread): builds the shared memory and the program image, spawns PID 1,
 * creates N workers once (default: one per core), and waits — without blocking its event loop —
 * until they report that the pool halted (quiescence, EXIT, or a failed worker). It then prints
 * PID 1's error report and the statistics and returns the exit status.
 *
 * The main thread runs no process; after boot it only waits for the workers' final messages.
 */
import type { Program } from "../isa/program.ts";
import { AtomTable } from "../mem/atoms.ts";
import { writeImage } from "../mem/image.ts";
import {
  CELL_BYTES,
  H_ACTIVE,
  H_EXIT_CODE,
  H_HALT,
  H_MESSAGES,
  H_START,
  H_WORKERS,
} from "../mem/layout.ts";
import { Memory } from "../mem/memory.ts";
import { DEFAULT_LIMITS } from "../proc/pcb.ts";
import { ProcTable, ST_RUNNABLE } from "../proc/table.ts";
import type { HostIo } from "../vm/runtime.ts";
import { blockedReport, type MainExit } from "../vm/report.ts";
import { DEFAULT_REDUCTIONS, type RunResult, type VmOptions } from "../vm/vm.ts";
import { Deque, InjectionQueue } from "./deque.ts";
import type { WorkerDoneStats, WorkerMessage } from "./smp_protocol.ts";
import { HALT_EXIT, HALT_FAILED } from "./worker_scheduler.ts";
import { createPcb } from "../proc/pcb.ts";

const DEQUE_CAPACITY = 1 << 14;
const INJECTION_CAPACITY = 1 << 12;
/** Workers' memory is mapped lazily by the OS, so a large start avoids most grows. */
const SMP_INITIAL_BYTES = 256 * 1024 ** 2;

export async function runSmp(
  program: Program,
  io: HostIo,
  options: VmOptions,
  workers: number,
): Promise<RunResult> {
  const started = performance.now();
  const mem = Memory.create(options.initialBytes ?? SMP_INITIAL_BYTES);
  mem.concurrent = true;
  const atoms = new AtomTable(mem);
  writeImage(mem, atoms, program);
  const dequeBlocks = Array.from({ length: workers }, () => Deque.create(mem, DEQUE_CAPACITY));
  const injectionBlock = InjectionQueue.create(mem, INJECTION_CAPACITY);
  mem.i32[H_WORKERS] = workers;
  // PID 1 starts at the first instruction, waiting in the injection queue.
  const table = new ProcTable(mem);
  const pid = table.newPid();
  table.attach(pid, createPcb(mem, pid, 0));
  table.setStatus(pid, ST_RUNNABLE);
  Atomics.store(mem.i32, H_ACTIVE, 1);
  new InjectionQueue(mem, injectionBlock).push(pid);

  if (options.verbose) io.stderr.write(`ttvm: SMP pool of ${workers} worker(s)\n`);
  io.stdout.flush();
  io.stderr.flush();

  let main: MainExit | null = null;
  const failures: string[] = [];
  const stats: WorkerDoneStats[] = [];
  let ready = 0;
  const url = new URL("./smp_worker.ts", import.meta.url).href;
  const finished = Array.from({ length: workers }, (_, index) =>
    new Promise<void>((resolve) => {
      const worker = new Worker(url, { type: "module" });
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        if (m.type === "ready") {
          if (++ready === workers) {
            Atomics.store(mem.i32, H_START, 1);
            Atomics.notify(mem.i32, H_START);
          }
        } else if (m.type === "main-exit") main = m.main;
        else if (m.type === "done") {
          stats.push(m.stats);
          resolve();
        } else if (m.type === "failed") {
          failures.push(`worker ${m.worker} failed: ${m.message}`);
          resolve();
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        failures.push(`worker ${index} died: ${e.message}`);
        Atomics.compareExchange(mem.i32, H_HALT, 0, HALT_FAILED);
        Atomics.notify(mem.i32, H_HALT);
        resolve();
      };
      worker.postMessage({
        sab: mem.sab,
        index,
        dequeBlocks,
        injectionBlock,
        reductions: options.reductions ?? DEFAULT_REDUCTIONS,
        stressGc: options.stressGc ?? false,
        jit: options.jit ?? "on",
        verbose: options.verbose ?? false,
        limits: { ...DEFAULT_LIMITS, ...options.limits },
        args: io.args,
        crashWorker: Number(Deno.env.get("TTVM_DEBUG_CRASH_WORKER") ?? -1),
      });
    }));
  await Promise.all(finished);

  const halt = Atomics.load(mem.i32, H_HALT);
  if (options.verbose) {
    io.stderr.write(`ttvm: pool halted (${["", "quiescent", "exit", "failed"][halt]})\n`);
  }
  const mainExit = main as MainExit | null;
  if (options.verbose) io.stderr.write(blockedReport(table));
  if (mainExit?.error) io.stderr.write(mainExit.error);
  for (const f of failures) io.stderr.write(`Error: ${f}\n`);
  if (options.stats) {
    const s = mem.stats();
    const lines = ["── ttvm stats (SMP) ──"];
    for (const st of stats.sort((a, b) => a.worker - b.worker)) {
      lines.push(
        `worker ${st.worker}: slices ${st.slices}, steals ${st.stealsSucceeded}/${st.stealsAttempted}` +
          `, parks ${st.parks}, processes finished ${st.exits}, reductions ${st.reductions}` +
          `, GCs ${st.gcs}, compiled units ${st.jitUnits} (${st.jitReductions} reductions)`,
      );
    }
    lines.push(
      `processes spawned:     ${table.spawned}`,
      `processes alive:       ${table.live}`,
      `messages sent:         ${Atomics.load(mem.i32, H_MESSAGES)}`,
      `peak memory:           ${s.peakBytes} bytes (shared buffer ${s.bufferBytes} bytes)`,
      `memory still in use:   ${s.bytesLive} bytes (${CELL_BYTES}-byte cells)`,
      `wall time:             ${(performance.now() - started).toFixed(1)} ms`,
    );
    io.stderr.write(lines.join("\n") + "\n");
  }
  io.stdout.flush();
  io.stderr.flush();
  const reason = mainExit?.reason ?? "normal";
  if (failures.length > 0 || halt === HALT_FAILED) return { exitCode: 70, reason };
  if (halt === HALT_EXIT) return { exitCode: Atomics.load(mem.i32, H_EXIT_CODE), reason };
  return { exitCode: mainExit?.crashed ? 1 : 0, reason };
}
