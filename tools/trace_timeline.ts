/**
 * A static timeline picture of a `ttvm --trace-procs` trace: reads the Chrome Trace Event JSON
 * that src/observe/trace_writer.ts writes and draws it as a standalone SVG — one horizontal
 * track per scheduler (named by the trace's `thread_name` metadata), each slice a bar coloured
 * and labelled by pid, spawns (▼ above the bars) and exits (● below, with the reason unless it
 * is `normal`; red when the process crashed), migrations (◆), and an arrow from every message
 * send to the receiver's slice. For a README or a review where Perfetto is out of reach; for
 * exploring a run, open the trace at ui.perfetto.dev instead.
 *
 *   deno task trace:svg trace.json [-o out.svg] [--from-ms=A] [--to-ms=B]
 *                       [--max-slices=N] [--width=PX] [--title=TEXT]
 *
 * Times on the axis are ms since the run's epoch, the trace's `ts` / 1000 (so --from-ms and
 * --to-ms pick the same instants as the labels). Without a window the picture spans the whole
 * run, from the first slice to the last event; when that holds more than --max-slices slices
 * (default 300) it is cut after the first N, and the picture says so.
 *
 * Stages, each pure and exported for tests: parseTrace (text → Timeline, or a TraceFileError
 * naming what is wrong), chooseWindow, layoutTimeline (geometry: every bar inside its track's
 * band, every arrow from inside its sender's bar to the start of its receiver's bar) and
 * renderSvg (deterministic: same layout → byte-identical SVG; all text XML-escaped).
 * Exit status: 0 written, 1 the trace cannot be read or is malformed, 2 bad usage.
 */
import { escapeXml } from "./svg_chart.ts";

// ---------------------------------------------------------------- parsing

export interface Track {
  tid: number;
  name: string;
}

export interface TraceSlice {
  tid: number;
  pid: number;
  beginUs: number;
  endUs: number;
}

export interface TraceSpawn {
  tid: number;
  tsUs: number;
  pid: number;
  parent: number;
}

export interface TraceExit {
  tid: number;
  tsUs: number;
  pid: number;
  reason: string;
}

export interface TraceMigration {
  tid: number;
  tsUs: number;
  pid: number;
  fromTid: number;
}

/** A message: sent inside slice `fromSlice` at `sendUs`, received by slice `toSlice`. */
export interface TraceFlow {
  id: number;
  sendUs: number;
  fromSlice: number;
  toSlice: number;
  fromPid: number;
  toPid: number;
}

export interface Timeline {
  /** Tracks in the trace's sort order (thread_sort_index, then tid). */
  tracks: Track[];
  /** Sorted by beginUs. */
  slices: TraceSlice[];
  spawns: TraceSpawn[];
  exits: TraceExit[];
  migrations: TraceMigration[];
  flows: TraceFlow[];
  /** First and last timestamp of any event. */
  startUs: number;
  endUs: number;
}

/** The input is not a trace this tool can draw; the message says where and why. */
export class TraceFileError extends Error {
  override name = "TraceFileError";
}

interface RawEvent {
  name?: unknown;
  ph?: unknown;
  tid?: unknown;
  ts?: unknown;
  id?: unknown;
  args?: Record<string, unknown>;
}

function num(e: RawEvent, field: "tid" | "ts" | "id", at: number): number {
  const v = e[field];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TraceFileError(
      `event ${at} (${JSON.stringify(e).slice(0, 80)}): no numeric ${field}`,
    );
  }
  return v;
}

function argNum(e: RawEvent, key: string, at: number): number {
  const v = e.args?.[key];
  if (typeof v !== "number") {
    throw new TraceFileError(`event ${at} (${String(e.name)}): args.${key} is not a number`);
  }
  return v;
}

/** Parses the text of a --trace-procs file; throws TraceFileError if it is not one. */
export function parseTrace(text: string): Timeline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TraceFileError(`not JSON: ${(e as Error).message}`);
  }
  const events = (json as { traceEvents?: unknown } | null)?.traceEvents;
  if (!Array.isArray(events)) {
    throw new TraceFileError(
      'not a Trace Event file: expected an object with a "traceEvents" array',
    );
  }
  const names = new Map<number, string>();
  const sortIndex = new Map<number, number>();
  const slices: TraceSlice[] = [];
  const spawns: TraceSpawn[] = [];
  const exits: TraceExit[] = [];
  const migrations: TraceMigration[] = [];
  const open = new Map<number, { pid: number; beginUs: number }>();
  const flowStarts = new Map<number, { tid: number; tsUs: number }>();
  const flowEnds: Array<{ id: number; tid: number; tsUs: number; from: number; to: number }> = [];
  let startUs = Infinity, endUs = -Infinity;
  events.forEach((raw: unknown, at: number) => {
    if (raw === null || typeof raw !== "object") {
      throw new TraceFileError(`event ${at} is not an object`);
    }
    const e = raw as RawEvent;
    const tid = num(e, "tid", at);
    if (e.ph === "M") {
      if (e.name === "thread_name") {
        const name = e.args?.name;
        if (typeof name !== "string") {
          throw new TraceFileError(`event ${at}: thread_name without args.name`);
        }
        names.set(tid, name);
      } else if (e.name === "thread_sort_index") {
        sortIndex.set(tid, argNum(e, "sort_index", at));
      }
      return;
    }
    const ts = num(e, "ts", at);
    startUs = Math.min(startUs, ts);
    endUs = Math.max(endUs, ts);
    switch (e.ph) {
      case "B":
        if (open.has(tid)) {
          throw new TraceFileError(`event ${at}: a slice begins inside another on track ${tid}`);
        }
        open.set(tid, { pid: argNum(e, "pid", at), beginUs: ts });
        break;
      case "E": {
        const b = open.get(tid);
        if (!b) {
          throw new TraceFileError(`event ${at}: a slice ends on track ${tid} but none began`);
        }
        open.delete(tid);
        slices.push({ tid, pid: b.pid, beginUs: b.beginUs, endUs: ts });
        break;
      }
      case "i":
        if (e.name === "spawn") {
          spawns.push({
            tid,
            tsUs: ts,
            pid: argNum(e, "pid", at),
            parent: argNum(e, "parent", at),
          });
        } else if (e.name === "exit") {
          const reason = e.args?.reason;
          exits.push({
            tid,
            tsUs: ts,
            pid: argNum(e, "pid", at),
            reason: typeof reason === "string" ? reason : "?",
          });
        } else if (e.name === "migrate") {
          migrations.push({
            tid,
            tsUs: ts,
            pid: argNum(e, "pid", at),
            fromTid: argNum(e, "from", at),
          });
        }
        break;
      case "s":
        flowStarts.set(num(e, "id", at), { tid, tsUs: ts });
        break;
      case "f":
        flowEnds.push({
          id: num(e, "id", at),
          tid,
          tsUs: ts,
          from: argNum(e, "from", at),
          to: argNum(e, "to", at),
        });
        break;
    }
  });
  if (open.size > 0) {
    throw new TraceFileError(`a slice on track ${[...open.keys()][0]} never ends`);
  }
  for (const t of new Set([...slices.map((s) => s.tid), ...spawns.map((s) => s.tid)])) {
    if (!names.has(t)) throw new TraceFileError(`track ${t} has events but no thread_name`);
  }
  if (slices.length === 0) throw new TraceFileError("the trace holds no slices");
  slices.sort((a, b) => a.beginUs - b.beginUs || a.tid - b.tid);
  const tracks = [...names].map(([tid, name]) => ({ tid, name }))
    .sort((a, b) =>
      (sortIndex.get(a.tid) ?? a.tid) - (sortIndex.get(b.tid) ?? b.tid) || a.tid - b.tid
    );
  // Resolve each flow to its two slices: the sender's (containing the send) and the
  // receiver's (beginning where the flow ends).
  const byTrack = new Map<number, number[]>();
  slices.forEach((s, i) => {
    let list = byTrack.get(s.tid);
    if (!list) byTrack.set(s.tid, list = []);
    list.push(i);
  });
  const flows: TraceFlow[] = [];
  for (const f of flowEnds) {
    const s = flowStarts.get(f.id);
    if (!s) throw new TraceFileError(`flow ${f.id} ends but never starts`);
    const fromSlice = sliceAt(slices, byTrack.get(s.tid) ?? [], s.tsUs, false);
    const toSlice = sliceAt(slices, byTrack.get(f.tid) ?? [], f.tsUs, true);
    if (fromSlice < 0) {
      throw new TraceFileError(`flow ${f.id} starts outside any slice of track ${s.tid}`);
    }
    if (toSlice < 0) {
      throw new TraceFileError(`flow ${f.id} ends where no slice of track ${f.tid} begins`);
    }
    flows.push({ id: f.id, sendUs: s.tsUs, fromSlice, toSlice, fromPid: f.from, toPid: f.to });
  }
  return { tracks, slices, spawns, exits, migrations, flows, startUs, endUs };
}

/** Index of the slice (among `indices`, sorted by begin) containing ts, or beginning at ts. */
function sliceAt(slices: TraceSlice[], indices: number[], ts: number, atBegin: boolean): number {
  let lo = 0, hi = indices.length;
  while (lo < hi) { // last slice with begin <= ts
    const mid = (lo + hi) >> 1;
    if (slices[indices[mid]].beginUs <= ts) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return -1;
  const s = slices[indices[lo - 1]];
  if (atBegin) return s.beginUs === ts ? indices[lo - 1] : -1;
  return ts <= s.endUs ? indices[lo - 1] : -1;
}

// ---------------------------------------------------------------- window

export interface WindowOptions {
  fromMs?: number;
  toMs?: number;
  /** When no --to-ms is given, cut the picture after this many slices. */
  maxSlices: number;
}

export interface TimeWindow {
  fromUs: number;
  toUs: number;
  /** Why the window is narrower than the run ("" when it is the whole run). */
  note: string;
}

export const DEFAULT_MAX_SLICES = 300;

/** The time span to draw: the given one, else the whole run, else its first maxSlices slices. */
export function chooseWindow(tl: Timeline, opts: WindowOptions): TimeWindow {
  const firstUs = tl.slices[0].beginUs;
  // A default edge gets a margin of 1.5 % of the run, so that nothing touches the frame.
  const padUs = (tl.endUs - firstUs) * 0.015;
  const fromUs = opts.fromMs !== undefined ? opts.fromMs * 1000 : Math.max(0, firstUs - padUs);
  let toUs = opts.toMs !== undefined ? opts.toMs * 1000 : tl.endUs + padUs;
  if (!(toUs > fromUs)) {
    throw new TraceFileError(
      `empty window: ${fmtMs(fromUs)}–${fmtMs(toUs)} ms (the run spans ${fmtMs(tl.startUs)}–` +
        `${fmtMs(tl.endUs)} ms)`,
    );
  }
  let note = opts.fromMs !== undefined || opts.toMs !== undefined
    ? `window ${fmtMs(fromUs)}–${fmtMs(toUs)} ms of a run spanning ${fmtMs(firstUs)}–` +
      `${fmtMs(tl.endUs)} ms`
    : "";
  if (opts.toMs === undefined) {
    const inside = tl.slices.filter((s) => s.endUs > fromUs && s.beginUs < toUs);
    if (inside.length > opts.maxSlices) {
      // End just before the first slice that does not fit.
      toUs = inside[opts.maxSlices].beginUs;
      note = `first ${opts.maxSlices} of ${inside.length} slices (${fmtMs(fromUs)}–` +
        `${fmtMs(toUs)} ms of a run ending at ${fmtMs(tl.endUs)} ms; pick another with ` +
        `--from-ms/--to-ms)`;
    }
  }
  return { fromUs, toUs, note };
}

function fmtMs(us: number): string {
  const ms = us / 1000;
  return ms >= 100 ? ms.toFixed(1) : ms >= 10 ? ms.toFixed(2) : ms.toFixed(3);
}

// ---------------------------------------------------------------- layout

export interface Band {
  tid: number;
  name: string;
  /** The band's rectangle (the whole track, markers included). */
  y: number;
  height: number;
  /** The bar row inside it. */
  barY: number;
  barHeight: number;
}

export interface Bar {
  slice: number;
  tid: number;
  pid: number;
  x: number;
  y: number;
  width: number;
  height: number;
  color: string;
  /** Text drawn inside the bar ("" when it does not fit). */
  label: string;
  title: string;
}

export interface Marker {
  kind: "spawn" | "exit" | "crash" | "migrate";
  pid: number;
  x: number;
  y: number;
  /** Drawn next to the marker ("" for none). */
  label: string;
  /** Where the label's text is anchored, and at which end. */
  labelX: number;
  labelAnchor: "start" | "end";
  labelY: number;
  title: string;
}

export interface Arrow {
  flow: number;
  /** Indices into Layout.bars. */
  fromBar: number;
  toBar: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** SVG path data from (x1,y1) to (x2,y2). */
  d: string;
  title: string;
}

export interface Tick {
  x: number;
  label: string;
}

export interface Layout {
  width: number;
  height: number;
  title: string;
  subtitle: string;
  plotX: number;
  plotWidth: number;
  axisY: number;
  bands: Band[];
  bars: Bar[];
  markers: Marker[];
  arrows: Arrow[];
  ticks: Tick[];
  legend: Array<{ pid: number; color: string }>;
}

export interface LayoutOptions {
  widthPx: number;
  title: string;
}

/** 12 distinguishable colours (Tableau 10 + 2), by pid. */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#9c755f",
  "#ff9da7",
  "#86bcb6",
  "#8cd17d",
  "#bab0ac",
  "#d4a6c8",
];

export function pidColor(pid: number): string {
  return PALETTE[((pid % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

const LABEL_W = 130;
const RIGHT_PAD = 24;
const TOP = 64;
const BAND_H = 104;
const BAR_TOP = 26; // within the band: spawn markers above
const BAR_H = 26;
const EXIT_ROWS = 3; // exit labels stagger over this many rows below the bars
const CHAR_W = 6.2; // approximate width of an 11px sans-serif character

/** Geometry of the picture; every coordinate in px. */
export function layoutTimeline(tl: Timeline, win: TimeWindow, opts: LayoutOptions): Layout {
  const plotX = LABEL_W;
  const plotWidth = opts.widthPx - LABEL_W - RIGHT_PAD;
  const span = win.toUs - win.fromUs;
  const xOf = (us: number) => plotX + ((us - win.fromUs) / span) * plotWidth;
  const inWin = (us: number) => us >= win.fromUs && us <= win.toUs;
  // A track is drawn if it ran any slice, or has a spawn or exit inside the window.
  const drawnTids = new Set<number>([
    ...tl.slices.map((s) => s.tid),
    ...[...tl.spawns, ...tl.exits].filter((e) => inWin(e.tsUs)).map((e) => e.tid),
  ]);
  const bands: Band[] = tl.tracks.filter((t) => drawnTids.has(t.tid)).map((t, i) => {
    const y = TOP + i * BAND_H;
    return { tid: t.tid, name: t.name, y, height: BAND_H, barY: y + BAR_TOP, barHeight: BAR_H };
  });
  const bandOf = new Map(bands.map((b) => [b.tid, b]));

  const bars: Bar[] = [];
  const barOfSlice = new Map<number, number>();
  const pids = new Set<number>();
  tl.slices.forEach((s, i) => {
    if (s.endUs <= win.fromUs || s.beginUs >= win.toUs) return;
    const band = bandOf.get(s.tid)!;
    // At least 1 px wide, and inside the plot even when it begins at its right edge.
    const x = Math.min(xOf(Math.max(s.beginUs, win.fromUs)), plotX + plotWidth - 1);
    const width = Math.max(1, xOf(Math.min(s.endUs, win.toUs)) - x);
    const text = `pid ${s.pid}`;
    const label = width >= text.length * CHAR_W + 6
      ? text
      : width >= String(s.pid).length * CHAR_W + 4
      ? String(s.pid)
      : "";
    barOfSlice.set(i, bars.length);
    pids.add(s.pid);
    bars.push({
      slice: i,
      tid: s.tid,
      pid: s.pid,
      x,
      y: band.barY,
      width,
      height: band.barHeight,
      color: pidColor(s.pid),
      label,
      title: `pid ${s.pid} on ${band.name}: ${fmtMs(s.beginUs)}–${fmtMs(s.endUs)} ms ` +
        `(${((s.endUs - s.beginUs) / 1000).toFixed(3)} ms)`,
    });
  });

  const markers: Marker[] = [];
  for (const s of tl.spawns) {
    const band = bandOf.get(s.tid);
    if (!band || !inWin(s.tsUs)) continue;
    markers.push({
      kind: "spawn",
      pid: s.pid,
      x: xOf(s.tsUs),
      y: band.barY - 4,
      label: "",
      labelX: 0,
      labelAnchor: "start",
      labelY: 0,
      title: `spawn pid ${s.pid}` + (s.parent ? ` by pid ${s.parent}` : "") +
        ` at ${fmtMs(s.tsUs)} ms`,
    });
  }
  // Exit labels stagger over EXIT_ROWS rows so that neighbours do not overprint; one that
  // would run off the right edge is drawn leftwards of its marker.
  const rows = new Map<number, Array<Array<[number, number]>>>();
  for (const e of [...tl.exits].sort((a, b) => a.tsUs - b.tsUs)) {
    const band = bandOf.get(e.tid);
    if (!band || !inWin(e.tsUs)) continue;
    const x = xOf(e.tsUs);
    const crashed = e.reason !== "normal" && e.reason !== "shutdown";
    let label = e.reason === "normal" ? "" : `${e.pid}: ${e.reason}`;
    if (label.length > 40) label = label.slice(0, 39) + "…";
    const textW = label.length * CHAR_W;
    const leftwards = x + 3 + textW > opts.widthPx - 4;
    const labelX = leftwards ? x - 3 : x + 3;
    let taken = rows.get(e.tid);
    if (!taken) rows.set(e.tid, taken = Array.from({ length: EXIT_ROWS }, () => []));
    let row = 0;
    if (label) {
      const span: [number, number] = leftwards ? [labelX - textW, x] : [x, labelX + textW];
      const free = (r: Array<[number, number]>) =>
        r.every(([a, b]) => span[1] + 6 < a || b + 6 < span[0]);
      row = taken.findIndex(free);
      if (row < 0) row = taken.reduce((best, r, i) => r.length < taken![best].length ? i : best, 0);
      taken[row].push(span);
    }
    const markerY = band.barY + band.barHeight + 6;
    markers.push({
      kind: crashed ? "crash" : "exit",
      pid: e.pid,
      x,
      y: markerY,
      label,
      labelX,
      labelAnchor: leftwards ? "end" : "start",
      labelY: markerY + 14 + row * 13,
      title: `pid ${e.pid} exits (${e.reason}) at ${fmtMs(e.tsUs)} ms`,
    });
  }
  for (const m of tl.migrations) {
    const band = bandOf.get(m.tid);
    if (!band || !inWin(m.tsUs)) continue;
    const from = tl.tracks.find((t) => t.tid === m.fromTid)?.name ?? `track ${m.fromTid}`;
    markers.push({
      kind: "migrate",
      pid: m.pid,
      x: xOf(m.tsUs),
      y: band.barY - 18,
      label: "",
      labelX: 0,
      labelAnchor: "start",
      labelY: 0,
      title: `pid ${m.pid} migrates from ${from} to ${band.name} at ${fmtMs(m.tsUs)} ms`,
    });
  }

  const arrows: Arrow[] = [];
  for (const f of tl.flows) {
    const fromBar = barOfSlice.get(f.fromSlice);
    const toBar = barOfSlice.get(f.toSlice);
    const receiver = tl.slices[f.toSlice];
    if (fromBar === undefined || toBar === undefined) continue;
    if (!inWin(f.sendUs) || !inWin(receiver.beginUs)) continue;
    const a = bars[fromBar], b = bars[toBar];
    const x1 = xOf(f.sendUs), x2 = b.x;
    let y1: number, y2: number, d: string;
    if (a.tid === b.tid) {
      // Same track: an arc over the bar row.
      y1 = a.y;
      y2 = b.y;
      const lift = Math.min(22, 8 + (x2 - x1) / 6);
      d = `M${r(x1)},${r(y1)} C${r(x1)},${r(y1 - lift)} ${r(x2)},${r(y2 - lift)} ${r(x2)},${r(y2)}`;
    } else {
      // Across tracks: from the sender bar's edge facing the receiver to the receiver's.
      const down = b.y > a.y;
      y1 = down ? a.y + a.height : a.y;
      y2 = down ? b.y : b.y + b.height;
      const midY = (y1 + y2) / 2;
      d = `M${r(x1)},${r(y1)} C${r(x1)},${r(midY)} ${r(x2)},${r(midY)} ${r(x2)},${r(y2)}`;
    }
    arrows.push({
      flow: f.id,
      fromBar,
      toBar,
      x1,
      y1,
      x2,
      y2,
      d,
      title: `message pid ${f.fromPid} → pid ${f.toPid}, sent at ${fmtMs(f.sendUs)} ms`,
    });
  }

  const axisY = TOP + bands.length * BAND_H + 8;
  const ticks = timeTicks(win.fromUs, win.toUs).map((us) => ({
    x: xOf(us),
    label: tickLabel(us, win.toUs - win.fromUs),
  }));
  const counts = [
    plural(bands.length, "track"),
    plural(bars.length, "slice"),
    plural(arrows.length, "message"),
    plural(markers.filter((m) => m.kind === "migrate").length, "migration"),
    plural(markers.filter((m) => m.kind === "crash").length, "crash", "crashes"),
  ].join(" · ");
  return {
    width: opts.widthPx,
    height: axisY + 78,
    title: opts.title,
    subtitle: win.note ? `${counts} — ${win.note}` : counts,
    plotX,
    plotWidth,
    axisY,
    bands,
    bars,
    markers,
    arrows,
    ticks,
    legend: [...pids].sort((a, b) => a - b).map((pid) => ({ pid, color: pidColor(pid) })),
  };
}

function plural(n: number, one: string, many = one + "s"): string {
  return `${n} ${n === 1 ? one : many}`;
}

function r(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Round tick positions (1, 2 or 5 × 10^k µs apart), about 8 across the window. */
export function timeTicks(fromUs: number, toUs: number): number[] {
  const raw = (toUs - fromUs) / 8;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(fromUs / step) * step; t <= toUs + 1e-9; t += step) {
    ticks.push(Math.round(t * 1000) / 1000);
  }
  return ticks;
}

function tickLabel(us: number, spanUs: number): string {
  const decimals = Math.max(0, Math.min(3, Math.ceil(-Math.log10(spanUs / 8 / 1000))));
  return `${(us / 1000).toFixed(decimals)}`;
}

// ---------------------------------------------------------------- rendering

const FONT = 'font-family="sans-serif"';

/** The layout as standalone SVG text. */
export function renderSvg(l: Layout): string {
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" ` +
      `viewBox="0 0 ${l.width} ${l.height}">`,
    `<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" ` +
      `markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" ` +
      `fill="#444"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${l.plotX}" y="24" ${FONT} font-size="16" font-weight="bold">` +
      `${escapeXml(l.title)}</text>`,
    `<text x="${l.plotX}" y="44" ${FONT} font-size="12" fill="#555">` +
      `${escapeXml(l.subtitle)}</text>`,
  );
  const plotRight = l.plotX + l.plotWidth;
  l.bands.forEach((b, i) => {
    out.push(
      `<rect x="0" y="${b.y}" width="${l.width}" height="${b.height}" ` +
        `fill="${i % 2 ? "#ffffff" : "#f5f6f8"}"/>`,
      `<text x="10" y="${b.barY + b.barHeight / 2 + 4}" ${FONT} font-size="12" ` +
        `font-weight="bold">${escapeXml(b.name)}</text>`,
    );
  });
  for (const t of l.ticks) {
    out.push(
      `<line x1="${r(t.x)}" y1="${l.bands[0]?.y ?? l.axisY}" x2="${r(t.x)}" y2="${l.axisY}" ` +
        `stroke="#dde" stroke-width="1"/>`,
      `<text x="${r(t.x)}" y="${l.axisY + 16}" ${FONT} font-size="11" text-anchor="middle">` +
        `${escapeXml(t.label)}</text>`,
    );
  }
  out.push(
    `<line x1="${l.plotX}" y1="${l.axisY}" x2="${plotRight}" y2="${l.axisY}" stroke="#333"/>`,
    `<text x="${r(l.plotX + l.plotWidth / 2)}" y="${l.axisY + 34}" ${FONT} font-size="12" ` +
      `text-anchor="middle">time since the run started (ms)</text>`,
  );
  for (const b of l.bars) {
    out.push(
      `<rect x="${r(b.x)}" y="${b.y}" width="${r(b.width)}" height="${b.height}" ` +
        `fill="${b.color}" stroke="#ffffff" stroke-width="0.5"><title>${escapeXml(b.title)}` +
        `</title></rect>`,
    );
    if (b.label) {
      out.push(
        `<text x="${r(b.x + b.width / 2)}" y="${b.y + b.height / 2 + 4}" ${FONT} ` +
          `font-size="11" text-anchor="middle" fill="#1a1a1a" pointer-events="none">` +
          `${escapeXml(b.label)}</text>`,
      );
    }
  }
  for (const a of l.arrows) {
    out.push(
      `<path d="${a.d}" fill="none" stroke="#444" stroke-width="1" stroke-opacity="0.75" ` +
        `marker-end="url(#arrow)"><title>${escapeXml(a.title)}</title></path>`,
    );
  }
  for (const m of l.markers) {
    const title = `<title>${escapeXml(m.title)}</title>`;
    const x = r(m.x), y = m.y;
    if (m.kind === "spawn") {
      out.push(
        `<path d="M${r(m.x - 5)},${y - 8} L${r(m.x + 5)},${y - 8} L${x},${y} z" ` +
          `fill="#2e7d32">${title}</path>`,
      );
    } else if (m.kind === "migrate") {
      out.push(
        `<path d="M${x},${y - 5} L${r(m.x + 5)},${y} L${x},${y + 5} L${r(m.x - 5)},${y} z" ` +
          `fill="#e65100">${title}</path>`,
      );
    } else {
      const color = m.kind === "crash" ? "#c62828" : "#757575";
      out.push(`<circle cx="${x}" cy="${y}" r="4" fill="${color}">${title}</circle>`);
      if (m.label) {
        out.push(
          `<line x1="${x}" y1="${y + 4}" x2="${x}" y2="${m.labelY - 9}" stroke="${color}" ` +
            `stroke-width="0.75"/>`,
          `<text x="${r(m.labelX)}" y="${m.labelY}" ${FONT} font-size="10.5" fill="${color}" ` +
            `text-anchor="${m.labelAnchor}">` +
            `${escapeXml(m.label)}</text>`,
        );
      }
    }
  }
  // Legend: marker kinds, then pid colours.
  let x = l.plotX;
  const ly = l.axisY + 58;
  const key = (shape: string, text: string) => {
    out.push(shape, `<text x="${x + 10}" y="${ly + 4}" ${FONT} font-size="11">${text}</text>`);
    x += 18 + text.length * CHAR_W;
  };
  key(
    `<path d="M${x - 5},${ly - 4} L${x + 5},${ly - 4} L${x},${ly + 4} z" fill="#2e7d32"/>`,
    "spawn",
  );
  key(`<circle cx="${x}" cy="${ly}" r="4" fill="#757575"/>`, "exit");
  key(`<circle cx="${x}" cy="${ly}" r="4" fill="#c62828"/>`, "crash (reason)");
  key(
    `<path d="M${x},${ly - 5} L${x + 5},${ly} L${x},${ly + 5} L${x - 5},${ly} z" fill="#e65100"/>`,
    "migration",
  );
  key(
    `<line x1="${x - 6}" y1="${ly}" x2="${x + 4}" y2="${ly}" stroke="#444" ` +
      `marker-end="url(#arrow)"/>`,
    "message",
  );
  for (const p of l.legend) {
    if (x > l.plotX + l.plotWidth - 50) break;
    key(`<rect x="${x - 5}" y="${ly - 5}" width="10" height="10" fill="${p.color}"/>`, `${p.pid}`);
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------- command line

export interface CliOptions {
  input: string;
  output: string;
  fromMs?: number;
  toMs?: number;
  maxSlices: number;
  widthPx: number;
  title?: string;
}

export const USAGE = "usage: deno task trace:svg TRACE.json [-o OUT.svg] [--from-ms=MS] " +
  "[--to-ms=MS] [--max-slices=N] [--width=PX] [--title=TEXT]";

/** Parses the arguments; throws an Error whose message is the usage problem. */
export function parseArgs(args: string[]): CliOptions {
  let input = "", output = "";
  const o: Partial<CliOptions> = {};
  const number = (flag: string, v: string, min: number): number => {
    const n = Number(v);
    if (v === "" || !Number.isFinite(n) || n < min) {
      throw new Error(`${flag} wants a number ≥ ${min}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf("=");
    const [flag, value] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= args.length) throw new Error(`${flag} wants a value`);
      return args[++i];
    };
    if (flag === "-o" || flag === "--out") output = next();
    else if (flag === "--from-ms") o.fromMs = number(flag, next(), 0);
    else if (flag === "--to-ms") o.toMs = number(flag, next(), 0);
    else if (flag === "--max-slices") o.maxSlices = Math.floor(number(flag, next(), 1));
    else if (flag === "--width") o.widthPx = Math.floor(number(flag, next(), 400));
    else if (flag === "--title") o.title = next();
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else if (input) throw new Error(`one trace file only (got ${input} and ${a})`);
    else input = a;
  }
  if (!input) throw new Error("no trace file given");
  if (o.fromMs !== undefined && o.toMs !== undefined && o.toMs <= o.fromMs) {
    throw new Error(`--to-ms (${o.toMs}) must be after --from-ms (${o.fromMs})`);
  }
  return {
    input,
    output: output || input.replace(/\.json$/i, "") + ".svg",
    maxSlices: o.maxSlices ?? DEFAULT_MAX_SLICES,
    widthPx: o.widthPx ?? 1200,
    fromMs: o.fromMs,
    toMs: o.toMs,
    title: o.title,
  };
}

/** Runs the tool; returns the exit status (messages on stderr, the summary on stdout). */
export async function main(args: string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(args);
  } catch (e) {
    console.error(`trace_timeline: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    let text: string;
    try {
      text = await Deno.readTextFile(opts.input);
    } catch (e) {
      throw new TraceFileError(`cannot read ${opts.input}: ${(e as Error).message}`);
    }
    const tl = parseTrace(text);
    const win = chooseWindow(tl, opts);
    const layout = layoutTimeline(tl, win, {
      widthPx: opts.widthPx,
      title: opts.title ?? `ttvm --trace-procs: ${opts.input.split("/").pop()}`,
    });
    await Deno.writeTextFile(opts.output, renderSvg(layout));
    console.log(
      `${opts.output}: ${plural(layout.bands.length, "track")}, ` +
        `${plural(layout.bars.length, "slice")}, ${plural(layout.arrows.length, "message")}` +
        (win.note ? ` (${win.note})` : ""),
    );
    return 0;
  } catch (e) {
    if (e instanceof TraceFileError) {
      console.error(`trace_timeline: ${opts.input}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
