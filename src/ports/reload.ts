/**
 * `ttvm --reload`: watch the files of the program's imported modules and load each one that
 * changes, as CODE_LOAD would (src/ports/code.ts), on the port driver's thread (the main
 * thread, single scheduler and --smp alike).
 *
 * - The directories holding the modules are watched (Deno.watchFs), not the files: an editor
 *   that saves by writing a new file and renaming it over the old one would end a watch on the
 *   file itself. Events for other files are ignored.
 * - Debounced per file: an editor's save is several events (truncate, write, rename…); the
 *   load happens DEBOUNCE_MS after the last one, so it reads the finished file.
 * - A version that does not assemble is reported on stderr and nothing changes: the running
 *   version stays. A successful load is reported on stderr too (`ttvm: reloaded <path>`).
 * - A loaded version may import modules the program did not have: their directories are
 *   watched from then on too.
 * - It never keeps the run alive (canWake false): the run ends when its processes are done.
 */
import { dirname } from "../host/paths.ts";
import type { Output } from "../io/output.ts";
import type { DriverService, PortDriver } from "./driver.ts";

/** Quiet time after a file's last change event before it is loaded. */
export const DEBOUNCE_MS = 100;

export class Reloader implements DriverService {
  private readonly watchers: Deno.FsWatcher[] = [];
  private readonly watching: Promise<void>[] = [];
  private readonly watchedDirs = new Set<string>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private files = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly driver: PortDriver,
    private readonly stderr: Output,
    private readonly debounceMs = DEBOUNCE_MS,
  ) {
    if (driver.codeLoader === null) throw new Error("--reload: the driver has no code loader");
    this.followModules();
  }

  /** The files being watched (absolute paths). */
  get watchedFiles(): string[] {
    return [...this.files.keys()];
  }

  /** Watch the directories of the program's module files not watched yet (at start, and after
   *  a load that added modules). */
  private followModules(): void {
    this.files = this.driver.codeLoader!.moduleFiles();
    const dirs: string[] = [];
    for (const f of this.files.keys()) {
      const dir = dirname(f);
      if (this.watchedDirs.has(dir)) continue;
      try {
        if (Deno.statSync(dir).isDirectory) dirs.push(dir);
      } catch {
        continue; // a module from a bundle section, or a directory gone meanwhile
      }
      this.watchedDirs.add(dir);
    }
    if (dirs.length === 0) return;
    const watcher = Deno.watchFs(dirs, { recursive: false });
    this.watchers.push(watcher);
    this.watching.push(this.watch(watcher));
  }

  private async watch(watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of watcher) {
        if (event.kind === "access") continue;
        for (const path of event.paths) if (this.files.has(path)) this.schedule(path);
      }
    } catch {
      // closed while an event was being read
    }
  }

  private schedule(path: string): void {
    const timer = this.pending.get(path);
    if (timer !== undefined) clearTimeout(timer);
    this.pending.set(
      path,
      setTimeout(() => {
        this.pending.delete(path);
        this.load(path);
      }, this.debounceMs),
    );
  }

  private load(path: string): void {
    try {
      this.driver.codeLoader!.load(path);
      this.stderr.write(`ttvm: reloaded ${path}\n`);
      if (!this.stopped) this.followModules(); // the new version may import new modules
    } catch (e) {
      this.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    }
    this.stderr.flush();
  }

  canWake(): boolean {
    return false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const watcher of this.watchers) {
      try {
        watcher.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.watching);
  }
}
