/**
 * The reference model of exit propagation that the generated actor programs are checked
 * against: Erlang link semantics (LANGUAGE.md §2–§3) over a graph of link nodes.
 *
 * Rules modelled:
 * - `go` message → the node exits with its own exit kind.
 * - direct exit signal `kill` → the node exits `killed` (untrappable).
 * - direct signal with another reason → trapping: an EXIT message {from: sender}, then the node
 *   exits with its own kind; non-trapping: `normal` is ignored, anything else kills with it.
 * - link signal (a linked node exited with reason r) → trapping: EXIT message, then own exit;
 *   non-trapping: `normal` is ignored, anything else (also `killed`) kills with the same reason.
 * - An exiting node signals every linked node still alive; the main process (id 0) traps exits
 *   and never dies here, so links to it only produce EXIT messages in its mailbox.
 *
 * Invariant: the generator only fires one trigger per connected component of live nodes per
 * phase, and waits for the phase to settle; on a forest this makes the outcome independent of
 * scheduling order, which is what lets the test compute it.
 */

export type ExitKind =
  | "halt"
  | "exit_normal"
  | "exit_str"
  | "exit_list"
  | "crash_div"
  | "crash_throw"
  | "crash_register"
  | "crash_unregister"
  | "crash_sendnamed"
  | "kill_self"
  | "signal_self_normal";

/** How a process ended: its exit reason (display form), whether it crashed (error / THROW, so
 *  a `Process <pid> crashed` line is due), and the phase in which it died. */
export interface Fate {
  reason: string;
  crashed: boolean;
  phase: number;
  /** When several triggers race in one component ("chaos"), any of these reasons is right. */
  alternatives?: string[];
}

/** The reason a process gets from its own exit kind. `name` is a name it has registered. */
export function ownExitReason(
  kind: ExitKind,
  id: number,
  name: string,
): { reason: string; crashed: boolean } {
  switch (kind) {
    case "halt":
    case "exit_normal":
    case "signal_self_normal":
      return { reason: "normal", crashed: false };
    case "exit_str":
      return { reason: `r${id}`, crashed: false };
    case "exit_list":
      return { reason: `[r, ${id}]`, crashed: false };
    case "crash_div":
      return { reason: "Division by zero", crashed: true };
    case "crash_throw":
      return { reason: `t${id}`, crashed: true };
    case "crash_register":
      return { reason: `Name already registered: ${name}`, crashed: true };
    case "crash_unregister":
      return { reason: `Name not registered: zz${id}`, crashed: true };
    case "crash_sendnamed":
      return { reason: `No process registered as zz${id}`, crashed: true };
    case "kill_self":
      return { reason: "killed", crashed: false };
  }
}

/** A reason for EXIT_SIGNAL: its display form (`kill` and `normal` are special). */
export type SignalReason = string;

/** What main does to start a phase in one component: send `go`, or have an exit signal sent
 *  (by main itself or by another process, `from`). */
export type Trigger =
  | { target: number; kind: "go" }
  | { target: number; kind: "signal"; reason: SignalReason; from: number };

export interface LinkNode {
  id: number;
  trap: boolean;
  own: ExitKind;
  /** Name used by `crash_register` (already registered by the node). */
  name: string;
}

/** An EXIT message the model expects in `owner`'s mailbox (owner/from 0 = main). */
export interface ExitMessage {
  owner: number;
  from: number;
  reason: string;
  /** As Fate.alternatives. */
  alternatives?: string[];
}

export const MAIN_ID = 0;

export class LinkModel {
  readonly fates = new Map<number, Fate>();
  readonly exitMessages: ExitMessage[] = [];
  private readonly adjacency = new Map<number, Set<number>>();

  constructor(
    private readonly nodes: ReadonlyMap<number, LinkNode>,
    edges: ReadonlyArray<readonly [number, number]>,
  ) {
    for (const id of nodes.keys()) this.adjacency.set(id, new Set());
    for (const [a, b] of edges) this.link(a, b);
  }

  /** Add a link (either end may be MAIN_ID). */
  link(a: number, b: number): void {
    if (!this.adjacency.has(a)) this.adjacency.set(a, new Set());
    if (!this.adjacency.has(b)) this.adjacency.set(b, new Set());
    this.adjacency.get(a)!.add(b);
    this.adjacency.get(b)!.add(a);
  }

  alive(id: number): boolean {
    return !this.fates.has(id);
  }

  aliveNodes(): number[] {
    return [...this.nodes.keys()].filter((id) => this.alive(id));
  }

  /** Connected components of the live nodes (main excluded: it never propagates). */
  components(): number[][] {
    const seen = new Set<number>();
    const out: number[][] = [];
    for (const start of this.aliveNodes()) {
      if (seen.has(start)) continue;
      const comp: number[] = [];
      const stack = [start];
      seen.add(start);
      while (stack.length) {
        const id = stack.pop()!;
        comp.push(id);
        for (const n of this.adjacency.get(id)!) {
          if (n !== MAIN_ID && this.alive(n) && !seen.has(n)) {
            seen.add(n);
            stack.push(n);
          }
        }
      }
      out.push(comp.sort((a, b) => a - b));
    }
    return out;
  }

  /**
   * Several exit signals fired at once into one component of non-trapping nodes: everyone
   * dies, each with the reason of whichever signal reaches it first — so any of the signals'
   * reasons is acceptable for every node (and for the EXIT messages they send main).
   */
  applyRace(triggers: Trigger[], component: number[], phase: number): void {
    const reasons = triggers.map((t) =>
      t.kind === "signal" && t.reason === "kill" ? "killed" : t.kind === "signal" ? t.reason : ""
    );
    if (triggers.some((t) => t.kind !== "signal" || t.reason === "normal")) {
      throw new Error("applyRace: only abnormal exit signals race deterministically to death");
    }
    if (component.some((id) => this.nodes.get(id)!.trap)) {
      throw new Error("applyRace: trapping nodes make survival order-dependent");
    }
    const members = new Set(component);
    const firstMessage = this.exitMessages.length;
    for (const t of triggers) this.apply(t, phase);
    for (const id of component) this.fates.get(id)!.alternatives = reasons;
    for (const m of this.exitMessages.slice(firstMessage)) {
      if (members.has(m.from)) m.alternatives = reasons;
    }
  }

  /** Apply one trigger and everything it propagates to. */
  apply(trigger: Trigger, phase: number): void {
    type Delivery = { to: number; kind: "go" | "direct" | "link"; reason: string; from: number };
    const queue: Delivery[] = [{
      to: trigger.target,
      kind: trigger.kind === "go" ? "go" : "direct",
      reason: trigger.kind === "go" ? "" : trigger.reason,
      from: trigger.kind === "go" ? MAIN_ID : trigger.from,
    }];
    const die = (id: number, reason: string, crashed: boolean) => {
      this.fates.set(id, { reason, crashed, phase });
      for (const n of this.adjacency.get(id)!) {
        if (n === MAIN_ID) this.exitMessages.push({ owner: MAIN_ID, from: id, reason });
        else if (this.alive(n)) queue.push({ to: n, kind: "link", reason, from: id });
      }
    };
    const dieOwn = (node: LinkNode) => {
      const own = ownExitReason(node.own, node.id, node.name);
      die(node.id, own.reason, own.crashed);
    };
    while (queue.length) {
      const d = queue.shift()!;
      const node = this.nodes.get(d.to)!;
      if (!this.alive(node.id)) continue;
      if (d.kind === "go") {
        dieOwn(node);
      } else if (d.kind === "direct" && d.reason === "kill") {
        die(node.id, "killed", false);
      } else if (node.trap) {
        this.exitMessages.push({ owner: node.id, from: d.from, reason: d.reason });
        dieOwn(node);
      } else if (d.reason !== "normal") {
        die(node.id, d.reason, false);
      }
    }
  }
}
