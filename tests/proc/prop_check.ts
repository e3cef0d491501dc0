/**
 * Checks one run of a generated actor program against what the generator computed.
 *
 * Report lines (stdout, fields separated by `|`; ids are logical, pids are runtime PIDs):
 *   P|id|pid                   main learnt the PID of process `id`
 *   M|owner|ref|pid            `owner` created monitor `ref` on `pid`
 *   DM|owner|ref               `owner` demonitored `ref`
 *   D|owner|ref|pid|reason     `owner` received a DOWN
 *   X|owner|from|reason        `owner` (trapping) received an EXIT message
 *   G|recv|sender|seq|payload  receiver got a message
 *   S|sender|seq               sender is about to send message `seq` (output causality)
 *   A|owner|target|bool        IS_ALIVE of `target`
 *   W|owner|target|pid         WHEREIS of `target`'s name
 *   R|owner|target|1           `owner` registered dead `target`'s name and WHEREIS finds it
 *   EXTRA|owner|message        a message nobody expected
 *   STUCK|id|what              a polling loop ran out of patience (something never came)
 *   END                        main finished
 *
 * Invariant: every check is a pure function of (expectations, captured output, final VM state);
 * violations are returned tagged with the property they break, never thrown.
 */
import { H_REGISTRY_CAP, H_REGISTRY_CELL } from "../../src/mem/layout.ts";
import { CELL_BYTES } from "../../src/mem/layout.ts";
import { ST_EXITED, ST_WAITING } from "../../src/proc/table.ts";
import type { Expected, GeneratedProgram } from "./actor_gen.ts";
import { MAIN_ID } from "./gen_model.ts";
import { type MemLevel, memLevel, type RunOutcome } from "./prop_run.ts";

export type Category = "run" | "monitors" | "messages" | "links" | "table" | "memory";

export interface Violation {
  category: Category;
  text: string;
}

interface Line {
  index: number;
  tag: string;
  f: string[];
}

const KNOWN_TAGS = new Set([
  "P",
  "M",
  "DM",
  "D",
  "X",
  "G",
  "S",
  "A",
  "W",
  "R",
  "EXTRA",
  "END",
  "STUCK",
]);

/** All violations of one run; `baseline` is the memory level of the trivial variant. */
export function checkRun(
  gen: GeneratedProgram,
  run: RunOutcome,
  baseline: MemLevel | null,
): Violation[] {
  const out: Violation[] = [];
  const add = (category: Category, text: string) => out.push({ category, text });
  const ex = gen.expected;
  if (run.error) add("run", `vm.run() threw: ${String((run.error as Error)?.stack ?? run.error)}`);
  if (run.exitCode !== 0) add("run", `exit code ${run.exitCode} (reason ${run.reason})`);
  const lines = parseLines(run.stdout, add);
  const ends = lines.filter((l) => l.tag === "END");
  if (ends.length !== 1 || lines[lines.length - 1]?.tag !== "END") {
    add("run", `main did not finish (END lines: ${ends.length}); the run ended blocked`);
  }

  for (const l of lines.filter((l) => l.tag === "STUCK")) {
    add("run", `process ${l.f[0]} gave up ${l.f.slice(1).join("|")}`);
  }
  const pids = new PidMap();
  for (const l of lines.filter((l) => l.tag === "P")) {
    const [id, pid] = [Number(l.f[0]), Number(l.f[1])];
    if (!ex.procs.has(id) || id === MAIN_ID) add("run", `P line for unknown process ${id}`);
    else if (pids.pidOf(id) !== undefined) add("run", `process ${id} reported twice`);
    else if (pids.idOf(pid) !== undefined) add("run", `PID ${pid} reported for two processes`);
    else pids.set(id, pid);
  }
  for (const id of ex.procs.keys()) {
    if (pids.pidOf(id) === undefined) add("run", `no PID learnt for process ${id}`);
  }

  checkMonitors(ex, lines, pids, add);
  checkMessages(ex, lines, add);
  checkExits(ex, lines, run.stderr, pids, add);
  checkTable(ex, lines, run, pids, add);
  if (baseline) checkMemory(ex, run, baseline, add);
  for (const l of lines.filter((l) => l.tag === "EXTRA")) {
    const text = l.f.join("|");
    const category = text.includes("type: DOWN")
      ? "monitors"
      : text.includes("type: EXIT")
      ? "links"
      : "messages";
    add(category, `process ${l.f[0]} got an unexpected message: ${l.f.slice(1).join("|")}`);
  }
  return out;
}

class PidMap {
  private readonly byId = new Map<number, number>([[MAIN_ID, 1]]);
  private readonly byPid = new Map<number, number>([[1, MAIN_ID]]);
  set(id: number, pid: number): void {
    this.byId.set(id, pid);
    this.byPid.set(pid, id);
  }
  pidOf(id: number): number | undefined {
    return this.byId.get(id);
  }
  idOf(pid: number): number | undefined {
    return this.byPid.get(pid);
  }
}

function parseLines(stdout: string, add: (c: Category, t: string) => void): Line[] {
  const lines: Line[] = [];
  stdout.split("\n").forEach((text, index) => {
    if (text === "") return;
    const [tag, ...f] = text.split("|");
    if (!KNOWN_TAGS.has(tag)) add("run", `unexpected output line: ${text}`);
    else lines.push({ index, tag, f });
  });
  return lines;
}

// ── monitors ──────────────────────────────────────────────────────────────────────────────

function checkMonitors(
  ex: Expected,
  lines: Line[],
  pids: PidMap,
  add: (c: Category, t: string) => void,
): void {
  const monitors = lines.filter((l) => l.tag === "M");
  const demonitored = new Set(
    lines.filter((l) => l.tag === "DM").map((l) => `${l.f[0]}:${l.f[1]}`),
  );
  const downs = new Map<string, Line[]>();
  for (const l of lines.filter((l) => l.tag === "D")) {
    const key = `${l.f[0]}:${l.f[1]}`;
    downs.set(key, [...(downs.get(key) ?? []), l]);
  }
  const perOwner = new Map<number, number>();
  const refs = new Set<string>();
  const known = new Set<string>();
  for (const m of monitors) {
    const [owner, ref, pid] = [Number(m.f[0]), m.f[1], Number(m.f[2])];
    perOwner.set(owner, (perOwner.get(owner) ?? 0) + 1);
    if (refs.has(ref)) add("monitors", `monitor reference ${ref} handed out twice`);
    refs.add(ref);
    const key = `${owner}:${ref}`;
    known.add(key);
    const got = downs.get(key) ?? [];
    const target = pids.idOf(pid);
    if (target === undefined) {
      add("monitors", `process ${owner} monitored unknown PID ${pid}`);
      continue;
    }
    const fate = ex.procs.get(target)!.fate;
    const noproc = ex.noprocOwners.has(owner);
    const due = demonitored.has(key) ? 0 : noproc || fate ? 1 : 0;
    const what = `monitor ${ref} of process ${owner} on ${target} (PID ${pid})`;
    if (got.length !== due) {
      const why = demonitored.has(key) ? " after DEMONITOR" : fate ? "" : " (target still alive)";
      add("monitors", `${what}: ${got.length} DOWN(s)${why}, expected ${due}`);
      continue;
    }
    if (due === 0) continue;
    const d = got[0];
    if (Number(d.f[2]) !== pid) add("monitors", `${what}: DOWN names PID ${d.f[2]}`);
    const reason = d.f.slice(3).join("|");
    const want = noproc ? "noproc" : fate!.reason;
    if (reason !== want && !(!noproc && fate!.alternatives?.includes(reason))) {
      const role = ex.procs.get(target)!.role;
      add(
        role === "node" ? "links" : "monitors",
        `${what}: DOWN reason "${reason}", expected "${want}" (${role})`,
      );
    }
  }
  for (const [owner, n] of ex.monitorsPerOwner) {
    if ((perOwner.get(owner) ?? 0) !== n) {
      add(
        "monitors",
        `process ${owner} created ${perOwner.get(owner) ?? 0} monitors, expected ${n}`,
      );
    }
  }
  for (const [key, ls] of downs) {
    if (!known.has(key)) add("monitors", `DOWN for a monitor nobody created: ${ls[0].f.join("|")}`);
  }
}

// ── messages ──────────────────────────────────────────────────────────────────────────────

function checkMessages(ex: Expected, lines: Line[], add: (c: Category, t: string) => void): void {
  const want = new Map<string, number>();
  for (const s of ex.sends) {
    const key = `${s.recv}|${s.sender}|${s.seq}|${s.text}`;
    want.set(key, (want.get(key) ?? 0) + 1);
  }
  const got = new Map<string, number>();
  const lastSeq = new Map<string, number>();
  const echoAt = new Map<string, number>();
  for (const l of lines.filter((l) => l.tag === "S")) {
    if (!ex.echoSenders.has(Number(l.f[0]))) {
      add("messages", `unexpected echo line S|${l.f.join("|")}`);
    }
    echoAt.set(`${l.f[0]}|${l.f[1]}`, l.index);
  }
  for (const l of lines.filter((l) => l.tag === "G")) {
    const [recv, sender, seq] = l.f;
    const key = `${recv}|${sender}|${seq}|${l.f.slice(3).join("|")}`;
    got.set(key, (got.get(key) ?? 0) + 1);
    const stream = `${recv}<-${sender}`;
    const prev = lastSeq.get(stream) ?? 0;
    if (Number(seq) <= prev) {
      add("messages", `receiver ${recv} got message ${seq} of sender ${sender} after ${prev}`);
    }
    lastSeq.set(stream, Number(seq));
    if (ex.echoSenders.has(Number(sender))) {
      const at = echoAt.get(`${sender}|${seq}`);
      if (at === undefined || at > l.index) {
        add("messages", `receiver ${recv} printed message ${sender}/${seq} before its sender did`);
      }
    }
  }
  for (const [key, n] of want) {
    const g = got.get(key) ?? 0;
    if (g < n) add("messages", `message lost: G|${key} (received ${g} of ${n})`);
  }
  for (const [key, n] of got) {
    const w = want.get(key) ?? 0;
    if (n > w) add("messages", `message ${w ? "duplicated" : "unexpected"}: G|${key} ×${n}`);
  }
}

// ── exits, links, crash reports ───────────────────────────────────────────────────────────

function checkExits(
  ex: Expected,
  lines: Line[],
  stderr: string,
  pids: PidMap,
  add: (c: Category, t: string) => void,
): void {
  const want = new Map<string, number>();
  const got = new Map<string, number>();
  for (const l of lines.filter((l) => l.tag === "X")) {
    const key = `${l.f[0]}|${l.f[1]}|${l.f.slice(2).join("|")}`;
    got.set(key, (got.get(key) ?? 0) + 1);
  }
  for (const m of ex.exitMessages) {
    let key = `${m.owner}|${pids.pidOf(m.from)}|${m.reason}`;
    // A raced reason: accept whichever allowed reason was received (if any was).
    for (const alt of m.alternatives ?? []) {
      const k = `${m.owner}|${pids.pidOf(m.from)}|${alt}`;
      if ((got.get(k) ?? 0) > (want.get(k) ?? 0)) {
        key = k;
        break;
      }
    }
    want.set(key, (want.get(key) ?? 0) + 1);
  }
  const show = (key: string) => {
    const [owner, from, ...reason] = key.split("|");
    const fromId = pids.idOf(Number(from));
    return `process ${owner} EXIT from ${fromId ?? "?"} (PID ${from}) reason "${reason.join("|")}"`;
  };
  for (const [key, n] of want) {
    if ((got.get(key) ?? 0) !== n) {
      add("links", `${show(key)}: received ${got.get(key) ?? 0}, expected ${n}`);
    }
  }
  for (const [key, n] of got) {
    if (!want.has(key)) add("links", `${show(key)}: received ${n}, expected none`);
  }

  const crashWant = new Map<string, number>();
  for (const p of ex.procs.values()) {
    if (p.fate?.crashed) {
      const key = `${pids.pidOf(p.id)}: ${p.fate.reason}`;
      crashWant.set(key, (crashWant.get(key) ?? 0) + 1);
    }
  }
  const crashGot = new Map<string, number>();
  for (const text of stderr.split("\n")) {
    if (text === "") continue;
    const m = /^Process (\d+) crashed: (.*) \([^()]*:\d+\)$/.exec(text);
    if (!m) {
      add("run", `unexpected stderr line: ${text}`);
      continue;
    }
    const key = `${m[1]}: ${m[2]}`;
    crashGot.set(key, (crashGot.get(key) ?? 0) + 1);
  }
  for (const [key, n] of crashWant) {
    if ((crashGot.get(key) ?? 0) !== n) add("links", `crash report "Process ${key}" missing`);
  }
  for (const [key] of crashGot) {
    if (!crashWant.has(key)) add("links", `unexpected crash report "Process ${key}"`);
  }
}

// ── process table, registry, liveness ─────────────────────────────────────────────────────

function checkTable(
  ex: Expected,
  lines: Line[],
  run: RunOutcome,
  pids: PidMap,
  add: (c: Category, t: string) => void,
): void {
  const table = run.vm.procs.table;
  const registry = run.vm.procs.registry;
  let survivors = 0;
  for (const p of ex.procs.values()) {
    const pid = pids.pidOf(p.id);
    if (pid === undefined) continue;
    const status = table.status(pid), pcb = table.pcbOf(pid);
    if (p.fate === null) {
      survivors++;
      if (status !== ST_WAITING || pcb === 0) {
        add(
          "table",
          `process ${p.id} (PID ${pid}) should be blocked: status ${status}, pcb ${pcb}`,
        );
      }
    } else if (status !== ST_EXITED || pcb !== 0) {
      add("table", `process ${p.id} (PID ${pid}) exited but status ${status}, pcb ${pcb}`);
    }
    for (const n of p.names) {
      const atom = run.vm.rt.atoms.lookup(n.name);
      const holder = atom < 0 ? 0 : registry.whereis(atom);
      const due = p.fate === null && n.kept ? pid : 0;
      if (holder !== due) {
        add("table", `name ${n.name}: registered to PID ${holder}, expected ${due}`);
      }
    }
  }
  if (table.live !== survivors) add("table", `${table.live} live processes, expected ${survivors}`);
  if (table.spawned !== ex.procs.size) {
    add("table", `${table.spawned} processes spawned, expected ${ex.procs.size}`);
  }
  const seen = new Map<string, string>();
  for (const l of lines.filter((l) => l.tag === "A" || l.tag === "W" || l.tag === "R")) {
    seen.set(`${l.tag}|${l.f[0]}|${l.f[1]}`, l.f[2]);
  }
  for (const c of ex.checks) {
    const key = `${c.tag}|${c.owner}|${c.target}`;
    const got = seen.get(key);
    const want = c.tag === "A"
      ? String(c.alive)
      : c.tag === "R"
      ? "1"
      : String(c.alive ? pids.pidOf(c.target) : 0);
    if (got !== want) {
      const what = { A: "IS_ALIVE", W: "WHEREIS", R: "re-REGISTER of the name" }[c.tag];
      add(
        "table",
        `${what} of ${c.target} by ${c.owner}: ${got ?? "not printed"}, expected ${want}`,
      );
    }
  }
}

// ── memory ────────────────────────────────────────────────────────────────────────────────

function checkMemory(
  ex: Expected,
  run: RunOutcome,
  baseline: MemLevel,
  add: (c: Category, t: string) => void,
): void {
  if (ex.variant !== "cleanup" || run.vm.procs.table.live !== 0) return;
  const level = memLevel(run.vm);
  // The name registry's hash table is allocated on the first REGISTER and only grows; the
  // trivial run never registers. Everything else must be back to the trivial level.
  const w = run.vm.mem.i32;
  const registryBlocks = w[H_REGISTRY_CELL] !== 0 ? 1 : 0;
  const registryBytes = registryBlocks * (w[H_REGISTRY_CAP] / 2) * CELL_BYTES;
  const blocks = level.blocksLive - baseline.blocksLive - registryBlocks;
  const bytes = level.bytesLive - baseline.bytesLive - registryBytes;
  if (blocks !== 0 || bytes !== 0) {
    add(
      "memory",
      `after every process exited: ${blocks} blocks / ${bytes} bytes more than a trivial run ` +
        `(live ${level.blocksLive} blocks / ${level.bytesLive} bytes, trivial ` +
        `${baseline.blocksLive} / ${baseline.bytesLive}, registry ${registryBytes} bytes)`,
    );
  }
}
