/**
 * `ttvm --observe[=PORT]`: the live dashboard's HTTP server, on the main thread, loopback only
 * (127.0.0.1; requests naming another Host are refused, so a web page elsewhere cannot read it
 * through DNS rebinding).
 *
 *   GET /                         the page (src/observe/page.ts: HTML, CSS and JS in one string)
 *   GET /api/snapshot?sort=K&n=N  header counters, the top N processes by K, chart history,
 *                                 supervision trees (JSON)
 *   GET /api/process?pid=P        one process's details (JSON; 404 when it is not alive)
 *
 * Cost control (the VM must not notice the dashboard): samples (src/observe/sampler.ts) are
 * taken only while a page is polling — for a request when the last sample is older than
 * FRESH_MS (so a new process shows up within a poll), and every TICK_MS for the charts — never
 * more often than keeps the sampler under SAMPLE_BUDGET of the time (a huge process table is
 * sampled less often), and they stop IDLE_AFTER_MS after the last request. On the single scheduler the main thread is
 * also the scheduler: the run loop gives Deno's event loop a turn every `turnEveryMs`
 * (src/vm/vm.ts), which this server sets to ACTIVE_TURN_MS while a page polls and to
 * IDLE_TURN_MS otherwise (enough to accept a new page). Measured on pingpong: see
 * docs/ARCHITECTURE.md "Introspection, dashboard and tracing".
 */
import { NO_NODE } from "../vm/ops_introspect.ts";
import { ObserveError } from "./observe_error.ts";
import { PAGE_HTML } from "./page.ts";
import { type ObserveSource, rowAt, Sampler, type SupNode, type Tick } from "./sampler.ts";

/** Sampling period while a page is open, and the age at which a request takes a new sample. */
export const TICK_MS = 1000;
const FRESH_MS = 250;
/** At most this share of the time goes to sampling. */
const SAMPLE_BUDGET = 0.02;
/** Sampling stops this long after the last request. */
const IDLE_AFTER_MS = 10_000;
/** Event-loop turns of the single scheduler while a page polls / while none does. */
export const ACTIVE_TURN_MS = 100;
export const IDLE_TURN_MS = 250;
const MAX_ROWS = 500;

export const SORT_KEYS = [
  "reductions",
  "reductions_rate",
  "memory",
  "memory_rate",
  "mailbox",
  "mailbox_rate",
  "pid",
] as const;
export type SortKey = typeof SORT_KEYS[number];

/** The single scheduler's run loop, which hands the event loop turns (src/vm/vm.ts). */
export interface TurnGiver {
  turnEveryMs: number;
}

/** Per-second rates of the last sample's rows (aligned with its columns). */
interface Rates {
  reductions: Float64Array;
  memory: Float64Array;
  mailbox: Float64Array;
}

export class Observer {
  readonly url: string;
  private readonly sampler: Sampler;
  private readonly server: Deno.HttpServer<Deno.NetAddr>;
  private readonly abort = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastRequestMs = -Infinity;
  /** Rates and sorted views of the last tick (computed once per tick and key). */
  private rates: Rates = {
    reductions: new Float64Array(0),
    memory: new Float64Array(0),
    mailbox: new Float64Array(0),
  };
  private sorted = new Map<string, number[]>();
  private trees: SupNode[] = [];
  private closed = false;

  constructor(
    private readonly source: ObserveSource,
    port: number,
    private readonly clockMs: () => number,
    private readonly turns: TurnGiver | null,
  ) {
    this.sampler = new Sampler(source);
    try {
      this.server = Deno.serve({
        hostname: "127.0.0.1",
        port,
        signal: this.abort.signal,
        onListen: () => {},
        onError: () => new Response("internal error", { status: 500 }),
      }, (req) => this.handle(req));
    } catch (e) {
      throw new ObserveError(
        `--observe: cannot listen on 127.0.0.1:${port}: ${e instanceof Error ? e.message : e}`,
      );
    }
    this.url = `http://127.0.0.1:${this.server.addr.port}/`;
    if (turns) turns.turnEveryMs = IDLE_TURN_MS;
  }

  get port(): number {
    return this.server.addr.port;
  }

  /** Stop serving (the run is over). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    if (this.turns) this.turns.turnEveryMs = Infinity;
    this.abort.abort();
    await this.server.finished.catch(() => {});
  }

  private handle(req: Request): Response {
    const url = new URL(req.url);
    const host = req.headers.get("host") ?? "";
    if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}`) {
      return new Response("forbidden host\n", { status: 403 });
    }
    if (req.method !== "GET") return new Response("method not allowed\n", { status: 405 });
    switch (url.pathname) {
      case "/":
        return new Response(PAGE_HTML, {
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
        });
      case "/api/snapshot":
        this.active();
        return json(this.snapshot(url.searchParams));
      case "/api/process": {
        this.active();
        const pid = Number(url.searchParams.get("pid"));
        const detail = Number.isInteger(pid) && pid > 0 ? this.sampler.detail(pid) : null;
        if (detail === null) return json({ error: `process ${pid} is not alive` }, 404);
        return json(detail);
      }
    }
    return new Response("not found\n", { status: 404 });
  }

  /** A page is polling: sample if the last sample is stale, and keep sampling while it
   *  polls. */
  private active(): void {
    this.lastRequestMs = performance.now();
    if (this.turns) this.turns.turnEveryMs = ACTIVE_TURN_MS;
    const last = this.sampler.last;
    const gap = Math.max(FRESH_MS, (last?.costMs ?? 0) / SAMPLE_BUDGET);
    if (last === null || this.timer === undefined || this.clockMs() - last.t >= gap) this.tick();
  }

  private tick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    if (performance.now() - this.lastRequestMs > IDLE_AFTER_MS) {
      if (this.turns) this.turns.turnEveryMs = IDLE_TURN_MS;
      return; // nobody looks: no more samples until the next request
    }
    const tick = this.sampler.tick(this.clockMs());
    this.rate(tick);
    this.trees = this.sampler.supervisionTrees();
    const next = Math.max(TICK_MS, tick.costMs / SAMPLE_BUDGET);
    this.timer = setTimeout(() => this.tick(), next);
  }

  /** Rates against the previous sample: both are in PID order, so one merge walk. */
  private rate(tick: Tick): void {
    const c = tick.procs, prev = this.sampler.previous;
    const rates: Rates = {
      reductions: new Float64Array(c.count),
      memory: new Float64Array(c.count),
      mailbox: new Float64Array(c.count),
    };
    if (prev) {
      const p = prev.procs, dt = Math.max(0.001, (tick.t - prev.t) / 1000);
      for (let i = 0, j = 0; i < c.count; i++) {
        while (j < p.count && p.pid[j] < c.pid[i]) j++;
        if (j < p.count && p.pid[j] === c.pid[i]) {
          rates.reductions[i] = (c.reductions[i] - p.reductions[j]) / dt;
          rates.memory[i] = (c.memory[i] - p.memory[j]) / dt;
          rates.mailbox[i] = (c.mailbox[i] - p.mailbox[j]) / dt;
        } else {
          rates.reductions[i] = c.reductions[i] / dt; // born within the window
        }
      }
    }
    this.rates = rates;
    this.sorted.clear();
  }

  /** Row indices of the top `n` by `key` (descending, ties by PID), cached per tick. */
  private top(key: SortKey, n: number): number[] {
    const cacheKey = `${key}/${n}`;
    const cached = this.sorted.get(cacheKey);
    if (cached) return cached;
    const c = this.sampler.last!.procs;
    let out: number[];
    if (key === "pid") {
      out = Array.from({ length: Math.min(n, c.count) }, (_, i) => i);
    } else {
      const values = key === "reductions"
        ? c.reductions
        : key === "memory"
        ? c.memory
        : key === "mailbox"
        ? c.mailbox
        : key === "reductions_rate"
        ? this.rates.reductions
        : key === "memory_rate"
        ? this.rates.memory
        : this.rates.mailbox;
      out = topIndices(values, c.pid, c.count, n);
    }
    this.sorted.set(cacheKey, out);
    return out;
  }

  private snapshot(params: URLSearchParams): Record<string, unknown> {
    const tick = this.sampler.last!;
    const sortParam = params.get("sort") ?? "reductions_rate";
    const sort: SortKey = (SORT_KEYS as readonly string[]).includes(sortParam)
      ? sortParam as SortKey
      : "reductions_rate";
    const n = Math.min(MAX_ROWS, Math.max(1, Number(params.get("n")) || 25));
    const image = this.source.image;
    const h = this.sampler.history;
    const latest = h[h.length - 1];
    return {
      node: NO_NODE,
      uptime_ms: Math.round(tick.t),
      schedulers: tick.scheds.length,
      process_count: tick.processCount,
      process_limit: tick.processLimit,
      memory_bytes: tick.memoryBytes,
      buffer_bytes: tick.bufferBytes,
      messages: tick.messages,
      reductions: tick.reductions,
      run_queue: tick.runQueues.reduce((a, b) => a + b, 0) + tick.sharedQueue,
      messages_per_s: latest?.messagesPerS ?? 0,
      reductions_per_s: latest?.reductionsPerS ?? 0,
      sample_ms: Math.round(tick.costMs * 1000) / 1000,
      sort,
      n,
      processes: this.top(sort, n).map((i) => {
        const r = rowAt(tick, i);
        return {
          pid: r.pid,
          name: r.name,
          status: r.status,
          reductions: r.reductions,
          reductions_rate: Math.round(this.rates.reductions[i] ?? 0),
          memory: r.memory,
          memory_rate: Math.round(this.rates.memory[i] ?? 0),
          mailbox: r.mailbox,
          mailbox_rate: Math.round(this.rates.mailbox[i] ?? 0),
          current: image.location(r.pc),
        };
      }),
      history: {
        t: h.map((p) => Math.round(p.t)),
        util: h.map((p) => p.util.map((u) => Math.round(u * 1000) / 1000)),
        run_queue: h.map((p) => p.runQueue),
        memory: h.map((p) => p.memoryBytes),
        messages_per_s: h.map((p) => Math.round(p.messagesPerS)),
        reductions_per_s: h.map((p) => Math.round(p.reductionsPerS)),
        processes: h.map((p) => p.processes),
      },
      supervision: this.trees,
    };
  }
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/** Indices of the `n` largest `values` (ties: smaller pid first), largest first: a min-heap of
 *  n candidates, O(count log n). */
export function topIndices(
  values: Float64Array,
  pids: Int32Array,
  count: number,
  n: number,
): number[] {
  const heap: number[] = [];
  // a ranks below b: smaller value, or equal value and larger pid.
  const below = (a: number, b: number) =>
    values[a] < values[b] || (values[a] === values[b] && pids[a] > pids[b]);
  const up = (k: number) => {
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!below(heap[k], heap[parent])) break;
      [heap[k], heap[parent]] = [heap[parent], heap[k]];
      k = parent;
    }
  };
  const down = (k: number) => {
    for (;;) {
      const l = 2 * k + 1, r = l + 1;
      let m = k;
      if (l < heap.length && below(heap[l], heap[m])) m = l;
      if (r < heap.length && below(heap[r], heap[m])) m = r;
      if (m === k) return;
      [heap[k], heap[m]] = [heap[m], heap[k]];
      k = m;
    }
  };
  for (let i = 0; i < count; i++) {
    if (heap.length < n) {
      heap.push(i);
      up(heap.length - 1);
    } else if (n > 0 && below(heap[0], i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (below(a, b) ? 1 : below(b, a) ? -1 : 0));
}
