/**
 * Grouped bar charts as standalone SVG text (used by tools/bench_compare.ts for
 * docs/performance.svg). No external service, no DOM: the chart is built from plain strings.
 *
 * Invariants: output is deterministic for a given spec (same input → byte-identical SVG); every
 * piece of user text is XML-escaped; a value that is missing (null) or not positive draws no bar
 * but still reserves its slot, so series stay aligned across groups. On a log scale the axis
 * spans whole decades that contain every value and the reference line.
 */

export interface BarSeries {
  name: string;
  /** Any SVG colour, e.g. "#4e79a7". */
  color: string;
}

export interface BarGroup {
  label: string;
  /** One value per series, in series order; null = no measurement. */
  values: (number | null)[];
}

export interface BarChartSpec {
  title: string;
  yLabel: string;
  series: BarSeries[];
  groups: BarGroup[];
  /** Log10 y axis (for ratios that span orders of magnitude). Default false. */
  logScale?: boolean;
  /** Draw a dashed horizontal line at this value (e.g. 1 = parity), if given. */
  referenceLine?: number;
  /** Decimals of the value printed above each bar. Default 1. */
  valueDecimals?: number;
}

const WIDTH_PX = 960;
const HEIGHT_PX = 480;
const MARGIN = { top: 56, right: 24, bottom: 92, left: 72 };
const FONT = 'font-family="sans-serif"';

/** Escape text for use in SVG element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The y-axis range and tick values for the given positive values. */
export function axisTicks(
  values: number[],
  logScale: boolean,
): { min: number; max: number; ticks: number[] } {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (logScale) {
    const lo = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : 0;
    let hi = positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 1;
    if (hi <= lo) hi = lo + 1;
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    return { min: 10 ** lo, max: 10 ** hi, ticks };
  }
  const top = positive.length ? Math.max(...positive) : 1;
  const step = niceStep(top / 5);
  const max = Math.ceil(top / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { min: 0, max, ticks };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function formatTick(v: number): string {
  if (v >= 1) return v.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return String(Number(v.toPrecision(3)));
}

/** Render a grouped bar chart as an SVG document. */
export function renderBarChart(spec: BarChartSpec): string {
  const logScale = spec.logScale ?? false;
  const decimals = spec.valueDecimals ?? 1;
  const allValues = spec.groups.flatMap((g) => g.values).filter((v): v is number =>
    v !== null && v > 0
  );
  if (spec.referenceLine !== undefined) allValues.push(spec.referenceLine);
  const axis = axisTicks(allValues, logScale);
  const plotW = WIDTH_PX - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT_PX - MARGIN.top - MARGIN.bottom;
  const yOf = (v: number): number => {
    const f = logScale
      ? (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min))
      : (v - axis.min) / (axis.max - axis.min);
    return MARGIN.top + plotH * (1 - Math.min(1, Math.max(0, f)));
  };
  const baseY = MARGIN.top + plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${HEIGHT_PX}" ` +
      `viewBox="0 0 ${WIDTH_PX} ${HEIGHT_PX}">`,
    `<rect width="${WIDTH_PX}" height="${HEIGHT_PX}" fill="#ffffff"/>`,
    `<text x="${WIDTH_PX / 2}" y="28" text-anchor="middle" ${FONT} font-size="18" ` +
      `font-weight="bold">${escapeXml(spec.title)}</text>`,
  );
  // Grid lines and tick labels.
  for (const t of axis.ticks) {
    const y = yOf(t).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH_PX - MARGIN.right}" y2="${y}" ` +
        `stroke="#dddddd"/>`,
      `<text x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" ` +
        `${FONT} font-size="12">${escapeXml(formatTick(t))}</text>`,
    );
  }
  out.push(
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" ` +
      `text-anchor="middle" ${FONT} font-size="13">${escapeXml(spec.yLabel)}</text>`,
  );
  // Bars.
  const groupW = plotW / Math.max(1, spec.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, spec.series.length);
  spec.groups.forEach((group, gi) => {
    const gx = MARGIN.left + gi * groupW + groupW * 0.1;
    spec.series.forEach((series, si) => {
      const v = group.values[si];
      if (v === null || v === undefined || !(v > 0)) return;
      const x = gx + si * barW;
      const y = yOf(v);
      const bottom = logScale ? yOf(axis.min) : baseY;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 2).toFixed(1)}" ` +
          `height="${Math.max(0, bottom - y).toFixed(1)}" fill="${escapeXml(series.color)}">` +
          `<title>${escapeXml(`${group.label}, ${series.name}: ${v.toFixed(decimals)}`)}</title>` +
          `</rect>`,
        `<text x="${(x + (barW - 2) / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" ` +
          `text-anchor="middle" ${FONT} font-size="10">${v.toFixed(decimals)}</text>`,
      );
    });
    out.push(
      `<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${baseY + 18}" text-anchor="middle" ` +
        `${FONT} font-size="12">${escapeXml(group.label)}</text>`,
    );
  });
  if (spec.referenceLine !== undefined) {
    const y = yOf(spec.referenceLine).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH_PX - MARGIN.right}" y2="${y}" ` +
        `stroke="#333333" stroke-dasharray="6 4"/>`,
    );
  }
  out.push(
    `<line x1="${MARGIN.left}" y1="${baseY}" x2="${WIDTH_PX - MARGIN.right}" y2="${baseY}" ` +
      `stroke="#333333"/>`,
  );
  // Legend.
  spec.series.forEach((series, si) => {
    const x = MARGIN.left + si * 260;
    const y = HEIGHT_PX - 32;
    out.push(
      `<rect x="${x}" y="${y - 10}" width="14" height="14" fill="${escapeXml(series.color)}"/>`,
      `<text x="${x + 20}" y="${y + 1}" ${FONT} font-size="12">${escapeXml(series.name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** A chart-sized SVG that only states why there is no chart. */
export function renderMessageChart(title: string, message: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="160" ` +
    `viewBox="0 0 ${WIDTH_PX} 160">`,
    `<rect width="${WIDTH_PX}" height="160" fill="#ffffff"/>`,
    `<text x="${WIDTH_PX / 2}" y="50" text-anchor="middle" ${FONT} font-size="18" ` +
    `font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${WIDTH_PX / 2}" y="100" text-anchor="middle" ${FONT} font-size="14">${
      escapeXml(message)
    }</text>`,
    "</svg>",
  ].join("\n") + "\n";
}
