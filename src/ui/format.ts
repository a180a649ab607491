// Small text formatters shared by the ink view, the plain lines and `fbw show`, so
// every surface spells durations, rates and bars the same way.

export { formatDuration } from '../util/formatDuration.js';

/** Loss with 4 significant digits (why: losses span 1e-3..10 and must stay narrow). */
export function formatLoss(loss: number | undefined): string {
  if (loss === undefined || !Number.isFinite(loss)) return loss === undefined ? '' : String(loss);
  if (loss !== 0 && (Math.abs(loss) < 1e-3 || Math.abs(loss) >= 1e4)) return loss.toExponential(1);
  const t = loss.toPrecision(4);
  return t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t;
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

/** A sparkline of the last `width` values, scaled between their min and max. */
export function sparkline(values: readonly number[], width: number): string {
  const v = values.filter((x) => Number.isFinite(x)).slice(-width);
  if (v.length === 0 || width <= 0) return '';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const span = hi - lo;
  return v.map((x) => SPARK[span === 0 ? 3 : Math.min(7, Math.floor(((x - lo) / span) * 7.999))]!).join('');
}

/** Fit a string into exactly `width` cells: pad or cut with an ellipsis. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = Array.from(text);
  if (chars.length > width) return width === 1 ? '…' : chars.slice(0, width - 1).join('') + '…';
  return align === 'left' ? text.padEnd(width + text.length - chars.length) : text.padStart(width + text.length - chars.length);
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
