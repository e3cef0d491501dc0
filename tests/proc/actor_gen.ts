/**
 * Seeded generator of random actor programs (.ttvm text) whose correct outcome is computable,
 * for the property test of the actor runtime (tests/proc/property_test.ts).
 *
 * A generated program has these processes (ids are logical; PIDs are learnt from the output):
 * - main (id 0, PID 1): traps exits, spawns everything, monitors every other process, links to
 *   some nodes, fires triggers phase by phase and waits for the DOWNs each phase must produce.
 * - link nodes: forests of processes linked parent–child (SPAWN_LINK, SPAWN + LINK, or the child
 *   LINKs its parent; some links removed again with UNLINK), some trapping exits. A node
 *   registers names, reports ready, then blocks until a `go` message or an exit signal.
 * - receivers / senders: senders send numbered messages (varied payloads) to receivers found
 *   by PID argument, WHEREIS or SENDNAMED; receivers take exactly what is due to them (FIFO,
 *   polling, or selectively per sender), print each message, then exit their own way.
 * - observers (monitor nodes, some DEMONITORed at once), late demonitors (DEMONITOR after the
 *   target died, so a pending DOWN must be flushed), probers (LINK / MONITOR / SEND / WHEREIS
 *   on a process known to be dead).
 * - a hitman: main delegates some exit signals to it, so EXIT messages name another sender.
 * Phases: 1 = triggers (one per linked component, or several racing abnormal signals into a
 * component without trapping nodes — any of their reasons is then accepted) + all messaging,
 * junk messages that nodes ignore, busy nodes that poll instead of blocking; 2 = probes and late
 * demonitors; 3… = cleanup rounds that kill the survivors (variant "cleanup"), or none
 * (variant "leave": survivors stay blocked at the end).
 *
 * Every process reports through `|`-separated lines (see prop_check.ts for the grammar).
 * Run `deno run tests/proc/actor_gen.ts <seed>` to print the program of a seed.
 */
import { elem, Emitter, field, load } from "./gen_emit.ts";
import {
  type ExitKind,
  type ExitMessage,
  type Fate,
  LinkModel,
  type LinkNode,
  MAIN_ID,
  ownExitReason,
  type Trigger,
} from "./gen_model.ts";
import { payload, PAYLOAD_KINDS } from "./gen_payload.ts";
import { Prng } from "./gen_prng.ts";

export type Role =
  | "main"
  | "node"
  | "receiver"
  | "sender"
  | "observer"
  | "demon"
  | "prober"
  | "hitman";

/** How a spawned callable is built: label name Str, Function, Function with unused extra
 *  arguments, or Closure (captured variables become the child's variables). */
type SpawnStyle = "label" | "fn" | "fn_args" | "closure";
type EdgeMode = "spawn_link" | "parent_link" | "child_link";

interface NodeSpec {
  id: number;
  parent: number | null;
  children: number[];
  trap: boolean;
  own: ExitKind;
  edge: EdgeMode | null;
  /** The parent–child link is removed again during setup. */
  unlinked: boolean;
  style: SpawnStyle;
  extraName: "none" | "kept" | "dropped";
  /** Roots only: main spawned it with SPAWN_MONITOR. */
  spawnMonitored: boolean;
  extraMonitor: "none" | "kept" | "demonitored";
  mainLink: "none" | "linked" | "unlinked";
  /** Polls for its trigger in a busy loop (allocating garbage) instead of blocking, so exit
   *  signals reach it while it is runnable. Only for nodes that die (it never blocks). */
  busy: boolean;
  /** Non-trapping only: waits with RECEIVE_MATCH "go", leaving junk queued behind it, so a
   *  kill finds it inside a selective receive with a saved scan position. */
  selective: boolean;
}

type Via = "param" | "whereis" | "sendnamed";

interface SenderSpec {
  id: number;
  targets: Array<{ recv: number; via: Via }>;
  sends: Array<{ recv: number; seq: number; kind: number }>;
  echo: boolean;
  ghosts: number;
  own: ExitKind;
  style: SpawnStyle;
}

interface ReceiverSpec {
  id: number;
  mode: "fifo" | "poll" | "bysender" | "bysender_poll";
  unregister: boolean;
  own: ExitKind;
  style: SpawnStyle;
}

interface ObserverSpec {
  id: number;
  monitors: Array<{ target: number; name: string; demonitor: boolean }>;
  matchDown: boolean;
}

interface ProberSpec {
  id: number;
  target: number;
  kind: "link" | "link_trap" | "monitor" | "send" | "whereis" | "reregister";
}

/** A name a process registers: `kept` = still registered while the process lives. */
export interface NameExpect {
  name: string;
  kept: boolean;
}

export interface ProcExpect {
  id: number;
  role: Role;
  names: NameExpect[];
  /** How it ends; null = legitimately blocked at the end of the run. */
  fate: Fate | null;
}

export interface SendExpect {
  sender: number;
  recv: number;
  seq: number;
  text: string;
}

/** A: IS_ALIVE of target printed as `alive`; W: WHEREIS of its name gives its PID when
 *  `alive`, else 0; R: the owner re-registered the dead target's name (prints 1 on success). */
export interface LivenessCheck {
  tag: "A" | "W" | "R";
  owner: number;
  target: number;
  alive: boolean;
}

export interface Expected {
  variant: "cleanup" | "leave";
  procs: Map<number, ProcExpect>;
  /** Number of M (monitor created) lines each owner must print. */
  monitorsPerOwner: Map<number, number>;
  /** Owners whose monitors target processes already dead (DOWN reason noproc). */
  noprocOwners: Set<number>;
  exitMessages: ExitMessage[];
  sends: SendExpect[];
  echoSenders: Set<number>;
  checks: LivenessCheck[];
}

export interface GeneratedProgram {
  seed: number;
  source: string;
  /** The same program with main halting at once: the memory level of a trivial run. */
  baselineSource: string;
  expected: Expected;
  reductions: number;
  stressGc: boolean;
  scale: number;
}

export interface GenOptions {
  /** Size factor (1 = a few hundred processes). */
  scale?: number;
  stressGc?: boolean;
}

const NODE_EXITS: ReadonlyArray<readonly [ExitKind, number]> = [
  ["halt", 3],
  ["exit_normal", 2],
  ["exit_str", 3],
  ["exit_list", 1],
  ["crash_div", 2],
  ["crash_throw", 2],
  ["crash_register", 1],
  ["crash_unregister", 1],
  ["crash_sendnamed", 1],
  ["kill_self", 1],
  ["signal_self_normal", 1],
];
/** Messaging processes have no `n<id>` name, so no crash_register. */
const PLAIN_EXITS = NODE_EXITS.filter(([k]) => k !== "crash_register");

const MAIN_PRELUDE = "PUSH_BOOL true\nTRAP_EXIT\n";
const BASELINE_PRELUDE = "HALT\nHALT\n";

/** Generate the program of `seed`. */
export function generateProgram(seed: number, options: GenOptions = {}): GeneratedProgram {
  return new Generator(seed, options).build();
}

class Generator {
  private readonly rng: Prng;
  private readonly scale: number;
  private nextId = 1;
  private readonly nodes = new Map<number, NodeSpec>();
  private readonly roots: number[] = [];
  private readonly receivers: ReceiverSpec[] = [];
  private readonly senders: SenderSpec[] = [];
  private readonly observers: ObserverSpec[] = [];
  private readonly demons: Array<{ id: number; target: number }> = [];
  private readonly probers: ProberSpec[] = [];
  private readonly signalCode = new Map<string, string[]>();
  /** Process that sends the exit signals main delegates to it (so `from` is not main). */
  private hitman = -1;
  private hitmanOrders = 0;
  private hitmanPhase = 1;

  constructor(private readonly seed: number, private readonly options: GenOptions) {
    this.rng = new Prng(seed);
    this.scale = options.scale ?? 1;
  }

  private count(lo: number, hi: number): number {
    return Math.max(1, Math.round(this.rng.between(lo, hi) * this.scale));
  }

  build(): GeneratedProgram {
    const rng = this.rng;
    this.makeForest();
    this.makeMessaging();
    this.hitman = this.nextId++;
    const variant = rng.chance(0.7) ? "cleanup" : "leave";

    // Phase 1 triggers: one per component (or a race of abnormal signals into a component
    // without trapping nodes), chosen on the initial link graph.
    const edges = this.treeEdges();
    const dry = new LinkModel(this.linkNodes(), edges);
    const phase1: Trigger[] = [];
    const races: Array<{ comp: number[]; triggers: Trigger[] }> = [];
    for (const comp of dry.components()) {
      const calm = comp.every((id) => !this.nodes.get(id)!.trap);
      if (calm && comp.length >= 3 && rng.chance(0.3)) {
        const targets = rng.shuffled(comp).slice(0, rng.between(2, 3));
        races.push({ comp, triggers: targets.map((t) => this.raceTrigger(t)) });
        continue;
      }
      const t = this.phase1Trigger(comp);
      if (t) phase1.push(t);
    }
    for (const t of phase1) dry.apply(t, 1);
    for (const r of races) dry.applyRace(r.triggers, r.comp, 1);
    // Main links (it traps, so they only add EXIT messages). When survivors stay blocked at
    // the end, main links only to nodes that die: main's own normal exit would otherwise send
    // trapping survivors an EXIT message.
    for (const n of this.nodes.values()) {
      if (!rng.chance(0.15)) continue;
      if (variant === "leave" && dry.alive(n.id)) continue;
      n.mainLink = rng.chance(0.2) ? "unlinked" : "linked";
    }
    const model = new LinkModel(this.linkNodes(), edges);
    for (const n of this.nodes.values()) if (n.mainLink === "linked") model.link(MAIN_ID, n.id);
    for (const t of phase1) model.apply(t, 1);
    for (const r of races) model.applyRace(r.triggers, r.comp, 1);
    this.countOrders(phase1, 1);
    // Racing signals are fired right after one another, interleaved with the others.
    for (const r of races) phase1.push(...r.triggers);
    this.countOrders(races.flatMap((r) => r.triggers), 1);
    const aliveAfterPhase1 = new Set(model.aliveNodes());
    const cleanupRounds: Trigger[][] = [];
    if (variant === "cleanup") {
      for (let phase = 3; model.aliveNodes().length > 0; phase++) {
        const round = model.components().map((comp) => this.cleanupTrigger(comp));
        for (const t of round) model.apply(t, phase);
        this.countOrders(round, phase);
        cleanupRounds.push(round);
      }
    }

    for (const n of this.nodes.values()) {
      n.busy = model.fates.has(n.id) && rng.chance(0.07);
      n.selective = !n.busy && !n.trap && rng.chance(0.3);
    }
    this.makeObserversAndDemons();
    const deadAfterPhase1 = [...this.nodes.keys()].filter((id) => !aliveAfterPhase1.has(id));
    this.makeProbers(deadAfterPhase1);
    const expected = this.expectations(variant, model);
    const checkTargets = rng.shuffled([...this.nodes.keys()]).slice(0, 12);
    for (const t of checkTargets) {
      const alive = aliveAfterPhase1.has(t);
      expected.checks.push({ tag: "A", owner: MAIN_ID, target: t, alive });
      expected.checks.push({ tag: "W", owner: MAIN_ID, target: t, alive });
    }

    const e = new Emitter();
    this.emitMain(e, expected, phase1, cleanupRounds, checkTargets);
    for (const n of this.nodes.values()) this.emitNode(e, n);
    for (const r of this.receivers) this.emitReceiver(e, r);
    for (const s of this.senders) this.emitSender(e, s);
    for (const o of this.observers) this.emitObserver(e, o, expected);
    for (const d of this.demons) this.emitDemon(e, d.id, d.target);
    for (const p of this.probers) this.emitProber(e, p);
    this.emitHitman(e);
    const source = MAIN_PRELUDE + e.text();
    return {
      seed: this.seed,
      source,
      baselineSource: BASELINE_PRELUDE + e.text(),
      expected,
      reductions: rng.pick([1000, 1000, 97, 13]),
      stressGc: this.options.stressGc ?? false,
      scale: this.scale,
    };
  }

  // ── shape ───────────────────────────────────────────────────────────────────────────────

  private makeForest(): void {
    const rng = this.rng;
    const trees = this.count(12, 20);
    for (let t = 0; t < trees; t++) {
      const size = rng.between(1, Math.max(1, Math.round(22 * this.scale)));
      const members: number[] = [];
      for (let k = 0; k < size; k++) {
        const id = this.nextId++;
        const parent = k === 0 ? null : rng.chance(0.4)
          ? members[members.length - 1] // chains
          : rng.pick(members);
        const edge: EdgeMode | null = parent === null
          ? null
          : rng.weighted([["spawn_link", 4], ["parent_link", 3], ["child_link", 3]] as const);
        const style: SpawnStyle = edge === "child_link"
          ? rng.pick(["fn", "closure"] as const)
          : rng.pick(["label", "fn", "fn_args", "closure"] as const);
        const node: NodeSpec = {
          id,
          parent,
          children: [],
          trap: rng.chance(0.3),
          own: rng.weighted(NODE_EXITS),
          edge,
          unlinked: parent !== null && rng.chance(0.1),
          style,
          extraName: rng.weighted([["none", 6], ["kept", 3], ["dropped", 1]] as const),
          spawnMonitored: parent === null && rng.chance(0.5),
          extraMonitor: rng.weighted([["none", 6], ["kept", 3], ["demonitored", 2]] as const),
          mainLink: "none",
          busy: false,
          selective: false,
        };
        this.nodes.set(id, node);
        if (parent === null) this.roots.push(id);
        else this.nodes.get(parent)!.children.push(id);
        members.push(id);
      }
    }
  }

  private makeMessaging(): void {
    const rng = this.rng;
    const nRecv = this.count(10, 20), nSend = this.count(16, 34);
    for (let j = 0; j < nRecv; j++) {
      this.receivers.push({
        id: this.nextId++,
        mode: rng.pick(["fifo", "poll", "bysender", "bysender_poll"] as const),
        unregister: rng.chance(0.5),
        own: rng.weighted(PLAIN_EXITS),
        style: rng.pick(["label", "fn", "fn_args", "closure"] as const),
      });
    }
    for (let k = 0; k < nSend; k++) {
      const id = this.nextId++;
      const chosen = rng.shuffled(this.receivers).slice(0, rng.between(1, 3));
      const targets = chosen.map((r) => ({
        recv: r.id,
        via: rng.weighted([["param", 4], ["whereis", 3], ["sendnamed", 3]] as const),
      }));
      // Interleave the per-target streams; sequence numbers follow the send order.
      // At least one message per target: a receiver expecting nothing may exit (and drop its
      // name) before the sender looks the name up.
      const pending = targets.flatMap((t) => Array(rng.between(1, 6)).fill(t.recv) as number[]);
      const sends = rng.shuffled(pending).map((recv, i) => ({
        recv,
        seq: i + 1,
        kind: rng.below(PAYLOAD_KINDS),
      }));
      const hasParam = targets.some((t) => t.via === "param");
      this.senders.push({
        id,
        targets,
        sends,
        echo: rng.chance(0.3),
        ghosts: rng.between(0, 2),
        own: rng.weighted(PLAIN_EXITS),
        style: hasParam
          ? rng.pick(["fn", "fn_args", "closure"] as const)
          : rng.pick(["label", "fn"] as const),
      });
    }
  }

  private makeObserversAndDemons(): void {
    const rng = this.rng;
    const nodeIds = [...this.nodes.keys()];
    const nObs = this.count(3, 8);
    for (let o = 0; o < nObs; o++) {
      const id = this.nextId++;
      const monitors = Array.from({ length: rng.between(0, 7) }, () => {
        const target = rng.pick(nodeIds);
        const n = this.nodes.get(target)!;
        const name = n.extraName === "kept" && rng.chance(0.5) ? `a${target}` : `n${target}`;
        return { target, name, demonitor: rng.chance(0.2) };
      });
      this.observers.push({ id, monitors, matchDown: rng.chance(0.5) });
    }
    const nDemons = rng.between(0, 3);
    for (let d = 0; d < nDemons; d++) {
      this.demons.push({ id: this.nextId++, target: rng.pick(nodeIds) });
    }
  }

  private makeProbers(dead: number[]): void {
    if (dead.length === 0) return;
    const rng = this.rng;
    const n = this.count(3, 9);
    // A re-registered name must not be looked up by anyone else meanwhile: one prober per
    // re-registered target, and no other prober on it.
    const reregistered = new Set<number>();
    const probed = new Set<number>();
    for (let i = 0; i < n; i++) {
      const target = rng.pick(dead);
      let kind = rng.pick(
        ["link", "link_trap", "monitor", "send", "whereis", "reregister"] as const,
      );
      if (reregistered.has(target) || (kind === "reregister" && probed.has(target))) {
        kind = "send";
        if (reregistered.has(target)) continue;
      }
      if (kind === "reregister") reregistered.add(target);
      probed.add(target);
      this.probers.push({ id: this.nextId++, target, kind });
    }
  }

  /** Count the exit signals delegated to the hitman and the phase of its last one. */
  private countOrders(triggers: Trigger[], phase: number): void {
    for (const t of triggers) {
      if (t.kind === "signal" && t.from === this.hitman) {
        this.hitmanOrders++;
        this.hitmanPhase = phase;
      }
    }
  }

  private linkNodes(): Map<number, LinkNode> {
    const out = new Map<number, LinkNode>();
    for (const n of this.nodes.values()) {
      out.set(n.id, { id: n.id, trap: n.trap, own: n.own, name: `n${n.id}` });
    }
    return out;
  }

  private treeEdges(): Array<[number, number]> {
    const edges: Array<[number, number]> = [];
    for (const n of this.nodes.values()) {
      if (n.parent !== null && !n.unlinked) edges.push([n.parent, n.id]);
    }
    return edges;
  }

  private signal(target: number, display: string, code: string[]): Trigger {
    this.signalCode.set(display, code);
    const from = this.rng.chance(0.35) ? this.hitman : MAIN_ID;
    return { target, kind: "signal", reason: display, from };
  }

  private phase1Trigger(comp: number[]): Trigger | null {
    const rng = this.rng;
    const target = rng.pick(comp);
    switch (
      rng.weighted(
        [["go", 7], ["kill", 4], ["str", 3], ["list", 1], ["normal", 2], [
          "none",
          3,
        ]] as const,
      )
    ) {
      case "go":
        return { target, kind: "go" };
      case "kill":
        return this.signal(target, "kill", ['PUSH_STR "kill"']);
      case "str":
        return this.signal(target, `s${target}`, [`PUSH_STR "s${target}"`]);
      case "list":
        return this.signal(target, `[sig, ${target}]`, [
          'PUSH_STR "sig"',
          `PUSH_INT ${target}`,
          "MAKE_LIST 2",
        ]);
      case "normal":
        return this.signal(target, "normal", ['PUSH_STR "normal"']);
      case "none":
        return null;
    }
  }

  private raceTrigger(target: number): Trigger {
    return this.rng.chance(0.4)
      ? this.signal(target, "kill", ['PUSH_STR "kill"'])
      : this.signal(target, `s${target}`, [`PUSH_STR "s${target}"`]);
  }

  private cleanupTrigger(comp: number[]): Trigger {
    const target = this.rng.pick(comp);
    return this.rng.chance(0.6)
      ? this.signal(target, "kill", ['PUSH_STR "kill"'])
      : this.signal(target, `c${target}`, [`PUSH_STR "c${target}"`]);
  }

  // ── expectations ────────────────────────────────────────────────────────────────────────

  private expectations(variant: "cleanup" | "leave", model: LinkModel): Expected {
    const procs = new Map<number, ProcExpect>();
    const monitorsPerOwner = new Map<number, number>();
    const noprocOwners = new Set<number>();
    const exitMessages: ExitMessage[] = [...model.exitMessages];
    const sends: SendExpect[] = [];
    const echoSenders = new Set<number>();
    const checks: LivenessCheck[] = [];
    let mainMonitors = 0;

    procs.set(MAIN_ID, {
      id: MAIN_ID,
      role: "main",
      names: [],
      fate: { reason: "normal", crashed: false, phase: 99 },
    });
    for (const n of this.nodes.values()) {
      const names: NameExpect[] = [{ name: `n${n.id}`, kept: true }];
      if (n.extraName !== "none") names.push({ name: `a${n.id}`, kept: n.extraName === "kept" });
      procs.set(n.id, { id: n.id, role: "node", names, fate: model.fates.get(n.id) ?? null });
      mainMonitors += n.extraMonitor === "none" ? 1 : 2;
    }
    for (const r of this.receivers) {
      const own = ownExitReason(r.own, r.id, `r${r.id}`);
      procs.set(r.id, {
        id: r.id,
        role: "receiver",
        names: [{ name: `r${r.id}`, kept: !r.unregister }],
        fate: { ...own, phase: 1 },
      });
      mainMonitors++;
    }
    for (const s of this.senders) {
      const own = ownExitReason(s.own, s.id, "");
      procs.set(s.id, { id: s.id, role: "sender", names: [], fate: { ...own, phase: 1 } });
      mainMonitors++;
      if (s.echo) echoSenders.add(s.id);
      for (const m of s.sends) {
        sends.push({
          sender: s.id,
          recv: m.recv,
          seq: m.seq,
          text: payload(m.kind, s.id, m.seq).text,
        });
      }
    }
    for (const o of this.observers) {
      let phase = 1;
      for (const m of o.monitors) {
        const f = model.fates.get(m.target);
        if (!m.demonitor && f) phase = Math.max(phase, f.phase);
      }
      procs.set(o.id, {
        id: o.id,
        role: "observer",
        names: [],
        fate: { reason: "normal", crashed: false, phase },
      });
      monitorsPerOwner.set(o.id, o.monitors.length);
      mainMonitors++;
    }
    for (const d of this.demons) {
      procs.set(d.id, {
        id: d.id,
        role: "demon",
        names: [],
        fate: { reason: "normal", crashed: false, phase: 2 },
      });
      monitorsPerOwner.set(d.id, 1);
      mainMonitors++;
    }
    procs.set(this.hitman, {
      id: this.hitman,
      role: "hitman",
      names: [],
      fate: { reason: "normal", crashed: false, phase: this.hitmanPhase },
    });
    mainMonitors++;
    for (const p of this.probers) {
      const crashes = p.kind === "link";
      procs.set(p.id, {
        id: p.id,
        role: "prober",
        names: [],
        fate: { reason: crashes ? "noproc" : "normal", crashed: crashes, phase: 2 },
      });
      if (p.kind === "monitor") {
        monitorsPerOwner.set(p.id, 1);
        noprocOwners.add(p.id);
      }
      if (p.kind === "link_trap") {
        exitMessages.push({ owner: p.id, from: p.target, reason: "noproc" });
      }
      if (p.kind === "send") {
        checks.push({ tag: "A", owner: p.id, target: p.target, alive: false });
      }
      if (p.kind === "whereis") {
        checks.push({ tag: "W", owner: p.id, target: p.target, alive: false });
      }
      if (p.kind === "reregister") {
        checks.push({ tag: "R", owner: p.id, target: p.target, alive: true });
      }
      mainMonitors++;
    }
    monitorsPerOwner.set(MAIN_ID, mainMonitors);
    return {
      variant,
      procs,
      monitorsPerOwner,
      noprocOwners,
      exitMessages,
      sends,
      echoSenders,
      checks,
    };
  }

  // ── code: main ──────────────────────────────────────────────────────────────────────────

  private emitMain(
    e: Emitter,
    ex: Expected,
    phase1: Trigger[],
    cleanupRounds: Trigger[][],
    checkTargets: number[],
  ): void {
    const rng = this.rng;
    // Top-level spawns: receivers before the senders that get their PID as an argument.
    const keyed: Array<[number, () => void]> = [];
    const recvKey = new Map<number, number>();
    for (const r of this.receivers) {
      const key = rng.below(1000);
      recvKey.set(r.id, key);
      keyed.push([key, () => this.mainSpawn(e, r.id, r.style, [], true)]);
    }
    keyed.push([rng.below(2000), () => this.mainSpawn(e, this.hitman, "label", [], true)]);
    for (const id of this.roots) {
      const n = this.nodes.get(id)!;
      keyed.push([rng.below(2000), () => this.mainSpawn(e, id, n.style, [], n.spawnMonitored)]);
    }
    for (const s of this.senders) {
      const after = Math.max(
        0,
        ...s.targets.filter((t) => t.via === "param").map((t) => recvKey.get(t.recv)! + 1),
      );
      const params = s.targets.filter((t) => t.via === "param").map((t) => ({
        name: `t${t.recv}`,
        code: [`LOAD p${t.recv}`],
      }));
      keyed.push([
        after + rng.below(2000 - after),
        () => this.mainSpawn(e, s.id, s.style, params, true),
      ]);
    }
    keyed.sort((a, b) => a[0] - b[0]);
    for (const [, emit] of keyed) emit();

    // Every node reports ready: take the reports in id order (selective receive).
    for (const id of [...this.nodes.keys()].sort((a, b) => a - b)) this.takeReady(e, id);
    for (const id of rng.shuffled([...this.nodes.keys()])) {
      const n = this.nodes.get(id)!;
      if (!n.spawnMonitored) this.mainMonitor(e, id, false);
      if (n.extraMonitor !== "none") this.mainMonitor(e, id, n.extraMonitor === "demonitored");
      if (n.mainLink !== "none") e.op(`LOAD p${id}`, "LINK");
      if (n.mainLink === "unlinked") e.op(`LOAD p${id}`, "UNLINK");
    }
    this.sendJunk(e, 0.15);
    for (const o of this.observers) this.mainSpawn(e, o.id, "label", [], true);
    for (const d of this.demons) this.mainSpawn(e, d.id, "label", [], true);
    for (const o of this.observers) this.takeReady(e, o.id);
    for (const d of this.demons) this.takeReady(e, d.id);

    // Phase 1.
    for (const t of phase1) this.fire(e, t);
    this.sendJunk(e, 0.1);
    this.awaitDowns(e, this.mainDownsIn(ex, 1));
    for (const t of checkTargets) {
      e.report(["A|0|", `${t}|`, { code: [`LOAD p${t}`, "IS_ALIVE"] }]);
      e.report(["W|0|", `${t}|`, { code: [`WHEREIS n${t}`] }]);
    }
    // Phase 2: late demonitors, probes of dead processes, sends to the dead.
    for (const d of this.demons) {
      e.op(`LOAD p${d.id}`);
      e.pushStr("dm");
      e.op("SEND");
    }
    for (const p of this.probers) {
      e.op(`LOAD p${p.target}`);
      e.pushStr("late");
      e.op("SEND");
      const style = rng.pick(["fn", "closure"] as const);
      this.mainSpawn(e, p.id, style, [{ name: "target", code: [`LOAD p${p.target}`] }], true);
    }
    this.awaitDowns(e, this.mainDownsIn(ex, 2));
    // Cleanup rounds.
    cleanupRounds.forEach((round, i) => {
      for (const t of round) this.fire(e, t);
      this.awaitDowns(e, this.mainDownsIn(ex, 3 + i));
    });
    // EXIT messages from links, then anything else left over (there should be nothing).
    const exits = ex.exitMessages.filter((m) => m.owner === MAIN_ID).length;
    e.countedLoop("mx", "k", exits, () => {
      e.typePattern("EXIT");
      e.op("RECEIVE_MATCH", "STORE m");
      e.report(["X|0|", field("m", "from"), "|", field("m", "reason")]);
    });
    this.drainExtras(e, MAIN_ID);
    e.pushStr("END");
    e.op("PRINT", "HALT");
  }

  /** DOWNs main must receive for processes dying in `phase` (one per kept monitor). */
  private mainDownsIn(ex: Expected, phase: number): number {
    let count = 0;
    for (const p of ex.procs.values()) {
      if (p.role === "main" || !p.fate || p.fate.phase !== phase) continue;
      const n = p.role === "node" ? this.nodes.get(p.id)! : null;
      count += n && n.extraMonitor === "kept" ? 2 : 1;
    }
    return count;
  }

  /** Spawn process `id` from main, store its PID in `p<id>`, print P (and M) lines. */
  private mainSpawn(
    e: Emitter,
    id: number,
    style: SpawnStyle,
    params: Array<{ name: string; code: string[] }>,
    monitored: boolean,
  ): void {
    this.pushCallable(e, `P${id}`, style, params);
    if (monitored) {
      e.op("SPAWN_MONITOR", "STORE rf", `STORE p${id}`);
      e.report(["M|0|", load("rf"), "|", load(`p${id}`)]);
    } else {
      e.op("SPAWN", `STORE p${id}`);
    }
    // Nodes report their PID themselves (ready); main prints P for them when it takes that.
    if (!this.nodes.has(id)) e.report([`P|${id}|`, load(`p${id}`)]);
  }

  /** Take the ready report of `id` (selectively) and keep its PID in `p<id>`. */
  private takeReady(e: Emitter, id: number): void {
    e.typePattern("ready");
    e.op(`PUSH_INT ${id}`, "SET_FIELD id", "RECEIVE_MATCH", "GET_FIELD pid", `STORE p${id}`);
    if (this.nodes.has(id)) e.report([`P|${id}|`, load(`p${id}`)]);
  }

  private mainMonitor(e: Emitter, id: number, demonitor: boolean): void {
    e.op(`LOAD p${id}`, "MONITOR", "STORE rf");
    e.report(["M|0|", load("rf"), "|", load(`p${id}`)]);
    if (demonitor) {
      e.op("LOAD rf", "DEMONITOR");
      e.report(["DM|0|", load("rf")]);
    }
  }

  private fire(e: Emitter, t: Trigger): void {
    if (t.kind === "signal" && t.from === this.hitman) {
      e.op(`LOAD p${this.hitman}`, `LOAD p${t.target}`, ...this.signalCode.get(t.reason)!);
      e.op("MAKE_LIST 2", "SEND");
      return;
    }
    e.op(`LOAD p${t.target}`);
    if (t.kind === "go") {
      e.pushStr("go");
      e.op("SEND");
    } else {
      e.op(...this.signalCode.get(t.reason)!, "EXIT_SIGNAL");
    }
  }

  /** Messages nodes ignore: they sit in mailboxes that exits must free. */
  private sendJunk(e: Emitter, share: number): void {
    for (const id of this.nodes.keys()) {
      if (!this.rng.chance(share)) continue;
      for (let i = this.rng.between(1, 3); i > 0; i--) {
        e.op(`LOAD p${id}`);
        e.pushStr("junk");
        e.op("SEND");
      }
    }
  }

  private awaitDowns(e: Emitter, count: number): void {
    e.countedLoop("md", "k", count, () => {
      e.typePattern("DOWN");
      e.op("RECEIVE_MATCH", "STORE m");
      this.reportDown(e, MAIN_ID);
    });
  }

  private reportDown(e: Emitter, owner: number): void {
    e.report([
      `D|${owner}|`,
      field("m", "ref"),
      "|",
      field("m", "pid"),
      "|",
      field("m", "reason"),
    ]);
  }

  private drainExtras(e: Emitter, owner: number): void {
    const top = e.newLabel(`x${owner}`), done = e.newLabel(`xd${owner}`);
    e.place(top);
    e.op("PUSH_INT 0", `RECEIVE_AFTER ${done}`, "STORE m");
    e.report([`EXTRA|${owner}|`, load("m")]);
    e.op(`JMP ${top}`);
    e.place(done);
  }

  /** Push a callable for entry label `label` binding `params` in the child. */
  private pushCallable(
    e: Emitter,
    label: string,
    style: SpawnStyle,
    params: Array<{ name: string; code: string[] }>,
  ): void {
    if (style === "label" && params.length === 0) {
      e.pushStr(label);
      return;
    }
    if (style === "closure") {
      for (const p of params) e.op(...p.code, `STORE ${p.name}`, `CAPTURE ${p.name}`);
      e.op("PUSH_INT 7", "STORE cz", "CAPTURE cz", `MAKE_LAMBDA ${label}`);
      return;
    }
    const names = params.map((p) => p.name);
    if (style === "fn_args") {
      e.op("PUSH_INT 5");
      e.pushStr("unused");
      names.unshift("ua", "ub");
    }
    for (const p of params) e.op(...p.code);
    e.op(`MAKE_FUNCTION ${label}${names.map((n) => " " + n).join("")}`);
  }

  // ── code: link nodes ────────────────────────────────────────────────────────────────────

  private emitNode(e: Emitter, n: NodeSpec): void {
    const rng = this.rng;
    e.place(`P${n.id}`);
    e.op(`REGISTER n${n.id}`);
    if (n.extraName !== "none") e.op(`REGISTER a${n.id}`);
    const trapFirst = rng.chance(0.5);
    if (n.trap && trapFirst) e.op("PUSH_BOOL true", "TRAP_EXIT");
    if (n.edge === "child_link") {
      e.op("LOAD parent", "LINK");
      if (n.unlinked) e.op("LOAD parent", "UNLINK");
    }
    for (const cid of n.children) {
      const c = this.nodes.get(cid)!;
      const params = c.edge === "child_link" ? [{ name: "parent", code: ["SELF"] }] : [];
      this.pushCallable(e, `P${cid}`, c.style, params);
      switch (c.edge) {
        case "spawn_link":
          e.op("SPAWN_LINK");
          if (c.unlinked) e.op("STORE ck", "LOAD ck", "UNLINK");
          else e.op("POP");
          break;
        case "parent_link":
          e.op("SPAWN", "STORE ck", "LOAD ck", "LINK");
          if (c.unlinked) e.op("LOAD ck", "UNLINK");
          break;
        default:
          e.op("SPAWN", "POP");
      }
    }
    if (n.trap && !trapFirst) e.op("PUSH_BOOL true", "TRAP_EXIT");
    if (n.extraName === "dropped") e.op(`UNREGISTER a${n.id}`);
    e.sendReady(n.id);
    const loop = e.newLabel(`nl${n.id}`), notGo = e.newLabel(`ng${n.id}`);
    const onExit = e.newLabel(`nx${n.id}`), idle = e.newLabel(`ni${n.id}`);
    if (n.selective) {
      e.pushStr("go");
      e.op("RECEIVE_MATCH", "POP");
      emitOwnExit(e, n.own, n.id, `n${n.id}`);
      return;
    }
    if (n.busy) e.initPatience();
    e.place(loop);
    if (n.busy) {
      e.op("PUSH_INT 3", 'PUSH_STR "garbage"', "MAKE_LIST 2", "POP");
      e.op("PUSH_INT 0", `RECEIVE_AFTER ${idle}`);
    } else {
      e.op("RECEIVE");
    }
    e.op("STORE m", "LOAD m");
    e.pushStr("go");
    e.op("EQ", `JZ ${notGo}`);
    emitOwnExit(e, n.own, n.id, `n${n.id}`);
    e.place(notGo);
    e.op("LOAD m");
    e.pushStr("junk");
    e.op("EQ", `JZ ${onExit}`, `JMP ${loop}`);
    e.place(onExit);
    e.report([`X|${n.id}|`, field("m", "from"), "|", field("m", "reason")]);
    emitOwnExit(e, n.own, n.id, `n${n.id}`);
    if (n.busy) {
      e.place(idle);
      e.retryOrGiveUp(loop, n.id, "waiting for its trigger", false);
    }
  }

  private emitHitman(e: Emitter): void {
    e.place(`P${this.hitman}`);
    e.countedLoop(`hl${this.hitman}`, "k", this.hitmanOrders, () => {
      e.op("RECEIVE", "STORE m", "LOAD m", "PUSH_INT 0", "INDEX", "LOAD m", "PUSH_INT 1", "INDEX");
      e.op("EXIT_SIGNAL");
    });
    e.op("HALT");
  }

  // ── code: messaging ─────────────────────────────────────────────────────────────────────

  private emitReceiver(e: Emitter, r: ReceiverSpec): void {
    const bySender = new Map<number, number>();
    for (const s of this.senders) {
      for (const m of s.sends) {
        if (m.recv === r.id) bySender.set(s.id, (bySender.get(s.id) ?? 0) + 1);
      }
    }
    const total = [...bySender.values()].reduce((a, b) => a + b, 0);
    e.place(`P${r.id}`);
    e.op(`REGISTER r${r.id}`);
    const take = (pattern: string[] | null, poll: boolean) => {
      if (!poll) {
        e.op(...(pattern ?? []), pattern ? "RECEIVE_MATCH" : "RECEIVE", "STORE m");
      } else {
        const again = e.newLabel(`rp${r.id}`), none = e.newLabel(`rt${r.id}`);
        const got = e.newLabel(`rg${r.id}`);
        e.initPatience();
        e.place(again);
        e.op(...(pattern ?? []), "PUSH_INT 0");
        e.op(pattern ? `RECEIVE_MATCH_AFTER ${none}` : `RECEIVE_AFTER ${none}`, "STORE m");
        e.op(`JMP ${got}`);
        e.place(none);
        e.retryOrGiveUp(again, r.id, "waiting for a message");
        e.place(got);
      }
      e.report([`G|${r.id}|`, elem("m", 0), "|", elem("m", 1), "|", elem("m", 2)]);
    };
    if (r.mode === "fifo" || r.mode === "poll") {
      e.countedLoop(`rl${r.id}`, "k", total, () => take(null, r.mode === "poll"));
    } else {
      for (const s of this.rng.shuffled([...bySender.keys()])) {
        const pattern = [`PUSH_INT ${s}`, 'PUSH_STR "_"', 'PUSH_STR "_"', "MAKE_LIST 3"];
        e.countedLoop(
          `rs${r.id}`,
          "k",
          bySender.get(s)!,
          () => take(pattern, r.mode === "bysender_poll"),
        );
      }
    }
    if (r.unregister) e.op(`UNREGISTER r${r.id}`);
    emitOwnExit(e, r.own, r.id, `r${r.id}`);
  }

  private emitSender(e: Emitter, s: SenderSpec): void {
    e.place(`P${s.id}`);
    for (const t of s.targets) {
      if (t.via === "param") continue;
      // The receiver registers itself when it first runs: wait for the name.
      const again = e.newLabel(`sw${s.id}`), wait = e.newLabel(`sy${s.id}`);
      const found = e.newLabel(`sf${s.id}`);
      e.initPatience();
      e.place(again);
      e.op(`WHEREIS r${t.recv}`, "DUP", `JZ ${wait}`, `STORE t${t.recv}`, `JMP ${found}`);
      e.place(wait);
      e.op("POP");
      e.retryOrGiveUp(again, s.id, `waiting for name r${t.recv}`);
      e.place(found);
    }
    const via = new Map(s.targets.map((t) => [t.recv, t.via]));
    for (const m of s.sends) {
      if (s.echo) e.report([`S|${s.id}|${m.seq}`]);
      const body = [`PUSH_INT ${s.id}`, `PUSH_INT ${m.seq}`, ...payload(m.kind, s.id, m.seq).code];
      if (via.get(m.recv) === "sendnamed") {
        e.op(...body, "MAKE_LIST 3", `SENDNAMED r${m.recv}`);
      } else {
        e.op(`LOAD t${m.recv}`, ...body, "MAKE_LIST 3", "SEND");
      }
    }
    for (let g = 0; g < s.ghosts; g++) {
      // PIDs that never existed: the message is dropped silently.
      e.op(`PUSH_INT ${900000 + s.id * 4 + g}`);
      e.pushStr("ghost");
      e.op("SEND");
    }
    emitOwnExit(e, s.own, s.id, "");
  }

  // ── code: observers, late demonitors, probers ───────────────────────────────────────────

  private emitObserver(e: Emitter, o: ObserverSpec, ex: Expected): void {
    e.place(`P${o.id}`);
    let due = 0;
    o.monitors.forEach((m, i) => {
      e.op(`WHEREIS ${m.name}`, "DUP", `STORE tp${i}`, "MONITOR", `STORE rf${i}`);
      e.report([`M|${o.id}|`, load(`rf${i}`), "|", load(`tp${i}`)]);
      if (m.demonitor) {
        e.op(`LOAD rf${i}`, "DEMONITOR");
        e.report([`DM|${o.id}|`, load(`rf${i}`)]);
      } else if (ex.procs.get(m.target)!.fate) {
        due++;
      }
    });
    e.sendReady(o.id);
    e.countedLoop(`ol${o.id}`, "k", due, () => {
      if (o.matchDown) {
        e.typePattern("DOWN");
        e.op("RECEIVE_MATCH");
      } else {
        e.op("RECEIVE");
      }
      e.op("STORE m");
      this.reportDown(e, o.id);
    });
    e.op("HALT");
  }

  private emitDemon(e: Emitter, id: number, target: number): void {
    e.place(`P${id}`);
    e.op(`WHEREIS n${target}`, "DUP", "STORE tp", "MONITOR", "STORE rf");
    e.report([`M|${id}|`, load("rf"), "|", load("tp")]);
    e.sendReady(id);
    e.pushStr("dm");
    e.op("RECEIVE_MATCH", "POP", "LOAD rf", "DEMONITOR");
    e.report([`DM|${id}|`, load("rf")]);
    this.drainExtras(e, id);
    e.op("HALT");
  }

  private emitProber(e: Emitter, p: ProberSpec): void {
    e.place(`P${p.id}`);
    switch (p.kind) {
      case "link":
        e.op("LOAD target", "LINK");
        break;
      case "link_trap":
        e.op("PUSH_BOOL true", "TRAP_EXIT", "LOAD target", "LINK", "RECEIVE", "STORE m");
        e.report([`X|${p.id}|`, field("m", "from"), "|", field("m", "reason")]);
        break;
      case "monitor":
        e.op("LOAD target", "MONITOR", "STORE rf");
        e.report([`M|${p.id}|`, load("rf"), "|", load("target")]);
        e.op("RECEIVE", "STORE m");
        this.reportDown(e, p.id);
        break;
      case "send":
        e.op("LOAD target");
        e.pushStr("late");
        e.op("SEND");
        e.report([`A|${p.id}|${p.target}|`, { code: ["LOAD target", "IS_ALIVE"] }]);
        break;
      case "whereis":
        e.report([`W|${p.id}|${p.target}|`, { code: [`WHEREIS n${p.target}`] }]);
        break;
      case "reregister":
        e.op(`REGISTER n${p.target}`);
        e.report([`R|${p.id}|${p.target}|`, { code: [`WHEREIS n${p.target}`, "SELF", "EQ"] }]);
        break;
    }
    e.op("HALT");
  }
}

/** Code for a process ending with exit kind `kind` (see ownExitReason for the reasons). */
function emitOwnExit(e: Emitter, kind: ExitKind, id: number, name: string): void {
  switch (kind) {
    case "halt":
      break;
    case "exit_normal":
      e.pushStr("normal");
      e.op("EXIT_SELF");
      break;
    case "exit_str":
      e.pushStr(`r${id}`);
      e.op("EXIT_SELF");
      break;
    case "exit_list":
      e.pushStr("r");
      e.op(`PUSH_INT ${id}`, "MAKE_LIST 2", "EXIT_SELF");
      break;
    case "crash_div":
      e.op("PUSH_INT 1", "PUSH_INT 0", "DIV");
      break;
    case "crash_throw":
      e.pushStr(`t${id}`);
      e.op("THROW");
      break;
    case "crash_register":
      e.op(`REGISTER ${name}`);
      break;
    case "crash_unregister":
      e.op(`UNREGISTER zz${id}`);
      break;
    case "crash_sendnamed":
      e.op("PUSH_INT 0", `SENDNAMED zz${id}`);
      break;
    case "kill_self":
      e.op("SELF");
      e.pushStr("kill");
      e.op("EXIT_SIGNAL");
      break;
    case "signal_self_normal":
      e.op("SELF");
      e.pushStr("normal");
      e.op("EXIT_SIGNAL");
      break;
  }
  e.op("HALT");
}

if (import.meta.main) {
  const seed = Number(Deno.args[0] ?? "1");
  const scale = Number(Deno.args[1] ?? "1");
  Deno.stdout.writeSync(new TextEncoder().encode(generateProgram(seed, { scale }).source));
}
