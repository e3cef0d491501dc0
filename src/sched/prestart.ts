/**
 * Start the SMP pool's workers the moment the process starts, before the rest of the runtime
 * is even loaded: a worker takes 50–150 ms to load its modules here, which otherwise comes
 * after the main thread's own start-up, assembling and loading — and on a short parallel job
 * that delay was the whole difference between `--smp=2` and one scheduler.
 *
 * Only this module and `smp_worker.ts`'s URL are needed for it, so `main.ts` imports this one
 * statically and the CLI dynamically, after the workers are on their way. The guess is cheap
 * and may be wrong either way: a run that turns out not to use the pool just ends (Deno.exit
 * ends its workers), and `runSmp` starts any workers the guess did not.
 */

/** The module every SMP worker runs. */
export function workerUrl(): string {
  return new URL("./smp_worker.ts", import.meta.url).href;
}

/** The worker count a `ttvm [options] prog` command line asks for with --smp, or null. Options
 *  come before the program path; a subcommand (compile, test, …) starts no pool here. */
export function smpWorkersRequested(argv: string[], cores: number): number | null {
  if (argv.length === 0 || !argv[0].startsWith("-")) return null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") return null;
    if (a.endsWith(".ttvm") || a.endsWith(".ttb")) return null; // the program: options end
    if (a === "--smp") {
      const next = argv[i + 1];
      return next !== undefined && /^\d+$/.test(next) ? countOf(next) : countOf(String(cores));
    }
    if (a.startsWith("--smp=")) return countOf(a.slice(6));
  }
  return null;
}

function countOf(text: string): number | null {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : null;
}

/** Workers created now for a run that will attach them (see `runSmp`); an error one of them
 *  raises while loading is kept until the run takes over its handlers. */
export interface PrestartedPool {
  workers: Worker[];
  loadErrors: string[];
}

export function prestartPool(argv: string[]): PrestartedPool | null {
  const n = smpWorkersRequested(argv, navigator.hardwareConcurrency);
  if (n === null) return null;
  const pool: PrestartedPool = { workers: [], loadErrors: [] };
  const url = workerUrl();
  for (let i = 0; i < n; i++) {
    const worker = new Worker(url, { type: "module" });
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      pool.loadErrors.push(`worker ${i} died: ${e.message}`);
    };
    pool.workers.push(worker);
  }
  return pool;
}
