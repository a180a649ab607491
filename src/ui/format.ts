// Small text formatters shared by the ink view, the plain lines and `fbw show`, so
// every surface spells durations, rates and bars the same way.

export { formatDuration } from '../util/formatDuration.js';

/**
 * Loss in one format everywhere: four decimals (1.0470, 0.4918, 0.0091), two from 10 up, an
 * exponent only beyond 1000 (why: rows of one column must read alike and fit 6 cells).
 */
export function formatLoss(loss: number | undefined): string {
  if (loss === undefined || !Number.isFinite(loss)) return loss === undefined ? '' : String(loss);
  const a = Math.abs(loss);
  if (a >= 1000) return loss.toExponential(1);
  return loss.toFixed(a >= 10 ? 2 : 4);
}

/** Accuracy (a fraction in [0,1]) as a percentage with one decimal. */
export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return '';
  return `${(fraction * 100).toFixed(1)}%`;
}

/** Images per second, compact: 87, 1.2k. */
export function formatRate(rate: number | undefined): string {
  if (rate === undefined || !Number.isFinite(rate)) return '';
  if (rate >= 10000) return `${(rate / 1000).toFixed(0)}k`;
  if (rate >= 1000) return `${(rate / 1000).toFixed(1)}k`;
  if (rate >= 10) return `${Math.round(rate)}`;
  return rate.toFixed(1);
}

/** A progress bar of exactly `width` cells with eighth-block resolution. */
export function progressBar(fraction: number, width: number): string {
  if (width <= 0) return '';
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  const partial = rest > 0 ? ' ▏▎▍▌▋▊▉'[rest]! : '';
  return ('█'.repeat(full) + partial).padEnd(width, '░').slice(0, width);
}

const SPARK = '▁▂▃▄▅▆▇█';

/**
 * A sparkline of the last `width` values. The scale spans at least a tenth of the largest
 * value, so a flat, noisy loss (2.10 → 2.08) stays a flat line near the bottom instead of
 * min–max stretching its noise into full-height swings.
 */
export function sparkline(values: readonly number[], width: number): string {
  const v = values.filter((x) => Number.isFinite(x)).slice(-width);
  if (v.length === 0 || width <= 0) return '';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const span = Math.max(hi - lo, 0.1 * Math.max(Math.abs(hi), Math.abs(lo)));
  return v.map((x) => SPARK[span === 0 ? 0 : Math.min(7, Math.floor(((x - lo) / span) * 7.999))]!).join('');
}

/** Fit a string into exactly `width` cells: pad or cut with an ellipsis. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = Array.from(text);
  if (chars.length > width) return width === 1 ? '…' : chars.slice(0, width - 1).join('') + '…';
  return align === 'left' ? text.padEnd(width + text.length - chars.length) : text.padStart(width + text.length - chars.length);
}

/**
 * Fit a name into `width` cells by cutting its middle, keeping the first dotted part (the stage
 * kind) and as much of the end as fits: the end is what tells sweep points and tasks apart
 * (`eval.…[scaling_factor=0.7].synth_colors`).
 */
export function elideMiddle(text: string, width: number, by: 'kind' | 'third' = 'kind'): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return width === 1 ? '…' : '';
  const dot = chars.indexOf('.');
  // 'third': a label with no kind prefix (a report row) keeps its first third
  const head = by === 'third' ? Math.floor((width - 1) / 3) : Math.min(dot >= 0 ? dot + 1 : 0, Math.floor((width - 1) / 3));
  const tail = width - 1 - head;
  return chars.slice(0, head).join('') + '…' + chars.slice(chars.length - tail).join('');
}

/**
 * Split a path (or command) into lines of at most `width` cells, breaking after a `/` or a
 * space where it can, so each piece stays copy-pasteable; a single longer part is cut hard.
 */
export function wrapPath(text: string, width: number): string[] {
  const chars = Array.from(text);
  if (width <= 0 || chars.length <= width) return [text];
  const out: string[] = [];
  let start = 0;
  while (chars.length - start > width) {
    let cut = -1;
    for (let i = start + width - 1; i > start; i--) if (chars[i] === '/' || chars[i] === ' ') { cut = i + 1; break; }
    if (cut <= start) cut = start + width;
    out.push(chars.slice(start, cut).join(''));
    start = cut;
  }
  out.push(chars.slice(start).join(''));
  return out;
}

/** Local wall-clock time HH:MM:SS of an epoch-ms timestamp. */
export function clock(t: number): string {
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** A step count that fits a narrow column: 950, 12345, 358k, 1.2M. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a < 100000) return String(Math.round(n));
  if (a < 1e6) return `${Math.round(n / 1000)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}
