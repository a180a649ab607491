// Inline SVG charts for the HTML report: no scripts, no fonts, no URLs, so the page opens
// offline and prints. Grouped bars (accuracy per task per method) and line charts (loss).

import { fixed } from './rounding.js';

/** Ten distinguishable colours (Tableau 10), cycled. */
export const PALETTE: readonly string[] = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Escape text for HTML/SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function n(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Round ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

function legend(names: readonly string[], x: number, y: number, width: number): { svg: string; height: number } {
  const parts: string[] = [];
  let cx = x, cy = y;
  names.forEach((name, i) => {
    const w = 18 + Math.min(name.length, 40) * 6.5 + 14;
    if (cx + w > x + width && cx > x) { cx = x; cy += 18; }
    parts.push(`<rect x="${n(cx)}" y="${n(cy - 9)}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${n(cx + 16)}" y="${n(cy + 1)}" font-size="11">${escapeXml(name)}</text>`);
    cx += w;
  });
  return { svg: parts.join(''), height: cy - y + 18 };
}

function legendColored(items: readonly { name: string; color: number }[], x: number, y: number, width: number): { svg: string; height: number } {
  const parts: string[] = [];
  let cx = x, cy = y;
  for (const { name, color } of items) {
    const w = 18 + Math.min(name.length, 40) * 6.5 + 14;
    if (cx + w > x + width && cx > x) { cx = x; cy += 18; }
    parts.push(`<rect x="${n(cx)}" y="${n(cy - 9)}" width="12" height="12" fill="${PALETTE[color % PALETTE.length]}"/><text x="${n(cx + 16)}" y="${n(cy + 1)}" font-size="11">${escapeXml(name)}</text>`);
    cx += w;
  }
  return { svg: parts.join(''), height: cy - y + 18 };
}

/** Grouped bar chart: one group per category, one bar per series; null values leave a gap. */
export function groupedBarChart(opts: { readonly title: string; readonly groups: readonly string[]; readonly series: readonly { readonly name: string; readonly values: readonly (number | null)[] }[]; readonly yMax?: number; readonly yLabel: string }): string {
  const { groups, series } = opts;
  const barW = Math.max(4, Math.min(18, 120 / Math.max(1, series.length)));
  const groupW = barW * series.length + 16;
  const left = 52, right = 16, bottom = 70;
  const plotW = Math.max(480, groups.length * groupW);
  const width = left + plotW + right;
  const lg = legend(series.map((s) => s.name), left, 36, plotW);
  const top = 36 + lg.height + 6;
  const plotH = 220;
  const height = top + plotH + bottom;
  const yMax = opts.yMax ?? Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const ticks = niceTicks(0, yMax);
  const yTop = ticks[ticks.length - 1]!;
  const y = (v: number): number => top + plotH - (v / yTop) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`, lg.svg);
  for (const t of ticks) parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="#ddd"/><text x="${left - 6}" y="${n(y(t) + 4)}" font-size="10" text-anchor="end">${t}</text>`);
  parts.push(`<text transform="translate(14 ${n(top + plotH / 2)}) rotate(-90)" font-size="11" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);
  const step = plotW / Math.max(1, groups.length);
  groups.forEach((g, gi) => {
    const gx = left + gi * step + (step - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined) return;
      const h = Math.max(0, top + plotH - y(v));
      parts.push(`<rect class="bar" x="${n(gx + si * barW)}" y="${n(y(v))}" width="${n(barW - 1)}" height="${n(h)}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeXml(`${s.name} · ${g}: ${fixed(v, 1)}`)}</title></rect>`);
    });
    const lx = left + gi * step + step / 2;
    parts.push(`<text transform="translate(${n(lx)} ${top + plotH + 12}) rotate(30)" font-size="11">${escapeXml(g)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  return `<svg class="chart bars" viewBox="0 0 ${n(width)} ${n(height)}" width="${n(width)}" height="${n(height)}" role="img" aria-label="${escapeXml(opts.title)}">${parts.join('')}</svg>`;
}

/** Line chart of several series of (x, y) points on shared axes. */
export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** palette index (default: the series' position among the legend's series) */
  readonly color?: number;
  /** drawn thin and pale behind the others, left out of the legend (raw values under a smoothed curve) */
  readonly faint?: boolean;
  /** draw a dot at each point (few points, e.g. a sweep) */
  readonly dots?: boolean;
}

export function lineChart(opts: { readonly title: string; readonly series: readonly LineSeries[]; readonly xLabel: string; readonly yLabel: string; readonly xFrom?: 'zero' | 'data' }): string {
  const pts = opts.series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const left = 56, right = 16, bottom = 40, plotW = 560, plotH = 220;
  const shown = opts.series.filter((s) => !s.faint);
  const colorOf = (s: LineSeries): number => s.color ?? Math.max(0, shown.indexOf(s));
  const lg = legendColored(shown.map((s) => ({ name: s.name, color: colorOf(s) })), left, 36, plotW);
  const top = 36 + lg.height + 6;
  const width = left + plotW + right, height = top + plotH + bottom;
  const xs = opts.xFrom === 'data' ? niceTicks(Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))) : niceTicks(0, Math.max(1, ...pts.map((p) => p[0])));
  const ys = niceTicks(Math.min(0, ...pts.map((p) => p[1])), Math.max(1e-9, ...pts.map((p) => p[1])));
  const x0 = xs[0]!, x1 = xs[xs.length - 1]!, y0 = ys[0]!, y1 = ys[ys.length - 1]!;
  const X = (v: number): number => left + ((v - x0) / (x1 - x0)) * plotW;
  const Y = (v: number): number => top + plotH - ((v - y0) / (y1 - y0)) * plotH;
  const parts: string[] = [`<text x="${left}" y="20" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`, lg.svg];
  for (const t of ys) parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${n(Y(t))}" y2="${n(Y(t))}" stroke="#ddd"/><text x="${left - 6}" y="${n(Y(t) + 4)}" font-size="10" text-anchor="end">${t}</text>`);
  for (const t of xs) parts.push(`<text x="${n(X(t))}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${t}</text>`);
  parts.push(`<text x="${n(left + plotW / 2)}" y="${top + plotH + 32}" font-size="11" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${n(top + plotH / 2)}) rotate(-90)" font-size="11" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);
  // faint (raw) series first, so the smoothed curves are drawn over them
  for (const s of [...opts.series.filter((x) => x.faint), ...shown]) {
    const good = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (good.length === 0) continue;
    const colour = PALETTE[colorOf(s) % PALETTE.length];
    const d = good.map(([a, b], j) => `${j === 0 ? 'M' : 'L'}${n(X(a))} ${n(Y(b))}`).join(' ');
    parts.push(`<path class="curve${s.faint ? ' raw' : ''}" d="${d}" fill="none" stroke="${colour}" stroke-width="${s.faint ? 1 : 1.8}"${s.faint ? ' stroke-opacity="0.25"' : ''}><title>${escapeXml(s.name)}</title></path>`);
    if (s.dots) for (const [a, b] of good) parts.push(`<circle cx="${n(X(a))}" cy="${n(Y(b))}" r="3" fill="${colour}"><title>${escapeXml(`${s.name}: ${opts.xLabel} ${a} → ${fixed(b, 1)}`)}</title></circle>`);
  }
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/><line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  return `<svg class="chart lines" viewBox="0 0 ${width} ${n(height)}" width="${width}" height="${n(height)}" role="img" aria-label="${escapeXml(opts.title)}">${parts.join('')}</svg>`;
}
