// One stage as one terminal line, laid out for a given width: columns are dropped by
// priority (sparkline first, name and step last) so narrow terminals never wrap. Pure
// text segments, so the ink view, `fbw show` and the tests share one layout.

import { etaSeconds, stageFraction, type StageState, type StageStatus } from './reduceRun.js';
import { elideMiddle, fit, formatCount, formatDuration, formatLoss, formatPercent, formatRate, progressBar, sparkline } from './format.js';

/** A piece of a line with an optional style (the ink view maps it to <Text> props). */
export interface Segment {
  readonly text: string;
  readonly color?: 'green' | 'red' | 'yellow' | 'cyan' | 'magenta' | 'blue' | 'gray';
  readonly dim?: boolean;
  readonly bold?: boolean;
}

/** Column ids of the stage table, in display order. */
export type ColumnId = 'status' | 'name' | 'task' | 'device' | 'bar' | 'steps' | 'loss' | 'acc' | 'rate' | 'eta' | 'spark' | 'note';

interface ColumnSpec {
  readonly id: ColumnId;
  readonly header: string;
  readonly width: number;
  /** lower is dropped first; Infinity never */
  readonly keep: number;
  readonly align: 'left' | 'right';
}

const COLUMNS: readonly ColumnSpec[] = [
  { id: 'status', header: '', width: 1, keep: Infinity, align: 'left' },
  { id: 'name', header: 'stage', width: 16, keep: Infinity, align: 'left' },
  // the stage id already ends with the task, so the task column is among the first to go
  { id: 'task', header: 'task', width: 12, keep: 1, align: 'left' },
  { id: 'device', header: 'dev', width: 5, keep: 0, align: 'left' },
  { id: 'bar', header: 'progress', width: 10, keep: 4, align: 'left' },
  { id: 'steps', header: 'step', width: 9, keep: Infinity, align: 'right' },
  { id: 'loss', header: 'loss', width: 6, keep: 6, align: 'right' },
  // the number a finished run is for: kept down to 80 columns and below
  { id: 'acc', header: 'acc', width: 5, keep: 8, align: 'right' },
  { id: 'rate', header: 'img/s', width: 5, keep: 3, align: 'right' },
  { id: 'eta', header: 'ETA', width: 5, keep: 7, align: 'right' },
  { id: 'spark', header: 'loss curve', width: 10, keep: 2, align: 'left' },
  { id: 'note', header: '', width: 0, keep: Infinity, align: 'left' },
];

/** The columns chosen for a width, with the name column's final width. */
export interface TableLayout {
  readonly columns: readonly { readonly id: ColumnId; readonly width: number; readonly header: string; readonly align: 'left' | 'right' }[];
  readonly width: number;
}

/** Longest content of the variable columns, so short task and device names take less room. */
export interface ContentWidths {
  readonly name?: number;
  readonly task?: number;
  readonly device?: number;
}

/** widest device column: room for a job label like slurm:12345678@node-042 */
const DEVICE_MAX = 24;
/** room for "resumed from step 100" */
const NOTE_MIN = 21;
/** optional columns give way before the name shrinks below this (or 28 % of a wider terminal) */
const NAME_KEEP = 22;

/** Content widths of a set of stages. */
export function contentWidths(stages: Iterable<StageState>): ContentWidths {
  let name = 0, task = 0, device = 0;
  for (const s of stages) {
    name = Math.max(name, s.id.length);
    task = Math.max(task, (s.task ?? '').length);
    device = Math.max(device, (s.device ?? '').length);
  }
  return { name, task, device };
}

/**
 * Choose the columns that fit `width` cells (one space between columns); the name column takes
 * whatever is left, up to the longest stage id (names that still do not fit lose their middle).
 */
export function layoutTable(width: number, content: ContentWidths = {}): TableLayout {
  const wantName = Math.max(12, content.name ?? NAME_KEEP);
  // a wider terminal keeps more of the name before it keeps the device, sparkline or rate
  const nameNeed = Math.min(wantName, Math.max(NAME_KEEP, Math.floor(width * 0.28)));
  const sized = COLUMNS.map((c) => {
    if (c.id === 'task' && content.task !== undefined) return { ...c, width: Math.max(4, Math.min(16, content.task)) };
    // a cluster job label (slurm:1234@node1) gets room, and outlives the sparkline, rate, task and accuracy
    if (c.id === 'device' && content.device !== undefined) return content.device > 8 ? { ...c, width: Math.min(DEVICE_MAX, content.device), keep: 5 } : { ...c, width: Math.max(3, content.device) };
    return c;
  });
  let cols = sized.filter((c) => !(c.id === 'task' && content.task === 0));
  // widths plus one space between neighbouring columns (the note's own width is the reserve)
  const used = (cs: readonly ColumnSpec[]): number => cs.reduce((a, c) => a + (c.id === 'name' ? nameNeed : c.width) + 1, 0) - 1 + (width >= 80 ? NOTE_MIN : 10);
  while (used(cols) > width) {
    const droppable = cols.filter((c) => c.keep !== Infinity);
    if (droppable.length === 0) break;
    const drop = droppable.reduce((a, b) => (b.keep < a.keep ? b : a));
    cols = cols.filter((c) => c !== drop);
  }
  const others = cols.reduce((a, c) => a + (c.id === 'name' || c.id === 'note' ? 0 : c.width + 1), 0) + 1;
  const noteReserve = width >= 80 ? NOTE_MIN : 10;
  const name = Math.max(6, Math.min(wantName, width - others - noteReserve));
  const note = Math.max(0, width - others - name);
  return { columns: cols.map((c) => ({ id: c.id, header: c.header, align: c.align, width: c.id === 'name' ? name : c.id === 'note' ? note : c.width })), width };
}

/** Status symbol and colour; the symbol alone tells the status (NO_COLOR). */
export function statusSymbol(status: StageStatus): Segment {
  switch (status) {
    case 'pending': return { text: '·', dim: true };
    case 'queued': return { text: '·' };
    case 'running': return { text: '▶', color: 'cyan', bold: true };
    case 'retrying': return { text: '↻', color: 'yellow' };
    case 'done': return { text: '✔', color: 'green' };
    case 'cached': return { text: '≡', color: 'blue' };
    case 'failed': return { text: '✖', color: 'red', bold: true };
    case 'skipped': return { text: '⊘', color: 'yellow' };
    case 'interrupted': return { text: '‖', color: 'yellow' };
    default: { const never: never = status; return never; }
  }
}

function note(s: StageState, width: number): Segment {
  switch (s.status) {
    case 'pending': return { text: 'waiting for inputs', dim: true };
    case 'queued': return { text: 'queued', dim: true };
    case 'running': {
      const parts: string[] = [];
      if (s.resumedFrom !== undefined) parts.push(`resumed from step ${s.resumedFrom}`);
      if ((s.attempt ?? 1) > 1) parts.push(`attempt ${s.attempt}`);
      if (s.phase) parts.push(s.phase);
      else if (s.step === undefined) parts.push('starting');
      // drop trailing parts (phase first) rather than cut the resume step in half
      while (parts.length > 1 && parts.join(' · ').length > width) parts.pop();
      return { text: parts.join(' · '), ...(s.resumedFrom !== undefined ? { color: 'yellow' as const } : { dim: true }) };
    }
    case 'retrying': return { text: `retry ${s.attempt ?? ''}: ${s.retryReason ?? ''}`, color: 'yellow' };
    case 'done': {
      const took = s.seconds !== undefined ? `done in ${formatDuration(s.seconds)}` : 'done';
      return { text: s.resumedFrom !== undefined ? `${took} (resumed from step ${s.resumedFrom})` : took, color: 'green' };
    }
    case 'cached': return { text: 'cached', color: 'blue' };
    case 'failed': return { text: `failed: ${s.error ?? ''}`, color: 'red' };
    case 'skipped': return { text: `skipped: ${s.skippedBecause ?? ''}`, color: 'yellow' };
    case 'interrupted': return { text: s.checkpointStep !== undefined ? `interrupted (checkpoint at step ${s.checkpointStep})` : 'interrupted', color: 'yellow' };
    default: { const never: never = s.status; return never; }
  }
}

/** Stage kinds whose loss over steps is a training curve (others get no sparkline). */
const TRAINING_KINDS: ReadonlySet<string> = new Set(['finetune', 'pretrain', 'continual', 'multitask']);

function cell(s: StageState, id: ColumnId, width: number): Segment {
  switch (id) {
    case 'status': return statusSymbol(s.status);
    case 'name': return { text: s.id, ...(s.status === 'running' ? { bold: true } : {}) };
    case 'task': return { text: s.task ?? '', dim: true };
    case 'device': return { text: s.device ?? '', dim: true };
    case 'bar': {
      const f = stageFraction(s);
      if (f === undefined) return { text: s.status === 'running' ? '░'.repeat(width) : '' , dim: true };
      return { text: progressBar(f, width), color: s.status === 'failed' ? 'red' : s.status === 'running' ? 'cyan' : 'green', ...(s.status === 'cached' ? { dim: true } : {}) };
    }
    case 'steps': return { text: s.step !== undefined && s.total !== undefined ? `${formatCount(s.step)}/${formatCount(s.total)}` : '' };
    case 'loss': return { text: formatLoss(s.loss), color: 'magenta' };
    case 'acc': {
      const a = s.accuracy ?? s.metrics?.['accuracy'];
      // "100.0%" would not fit the 5-wide column
      return { text: a !== undefined && a >= 0.9995 ? '100%' : formatPercent(a) };
    }
    case 'rate': return { text: s.status === 'running' ? formatRate(s.throughput) : '', dim: true };
    case 'eta': {
      const eta = etaSeconds(s);
      return { text: eta !== undefined ? formatDuration(eta) : '', dim: true };
    }
    case 'spark': return { text: TRAINING_KINDS.has(s.kind) ? sparkline(s.losses, width) : '', color: 'magenta' };
    case 'note': return note(s, width);
    default: { const never: never = id; return never; }
  }
}

/** One stage as segments exactly `layout.width` cells wide (or less, trailing note trimmed). */
export function stageRow(s: StageState, layout: TableLayout): readonly Segment[] {
  const out: Segment[] = [];
  layout.columns.forEach((c, i) => {
    const seg = cell(s, c.id, c.width);
    const last = i === layout.columns.length - 1;
    const text = c.id === 'note' ? fit(seg.text, c.width).trimEnd() : c.id === 'name' ? fit(elideMiddle(seg.text, c.width), c.width) : fit(seg.text, c.width, c.align);
    out.push({ ...seg, text });
    if (!last) out.push({ text: ' ' });
  });
  return trimSegments(out);
}

/** The table's header line for a layout. */
export function headerRow(layout: TableLayout): readonly Segment[] {
  const text = layout.columns.map((c) => fit(c.header, c.width, c.align)).join(' ');
  return [{ text: text.trimEnd(), dim: true }];
}

function trimSegments(segs: Segment[]): Segment[] {
  while (segs.length > 0 && segs[segs.length - 1]!.text.trim() === '') segs.pop();
  return segs;
}

/** Plain text of segments (for `fbw show` and tests). */
export function segmentsText(segs: readonly Segment[]): string {
  return segs.map((s) => s.text).join('');
}

const SGR: { readonly [c in NonNullable<Segment['color']>]: number } = { green: 32, red: 31, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90 };

/** Segments as one string, with ANSI styles when `color` (one ink <Text> per line keeps frames cheap). */
export function paint(segs: readonly Segment[], color: boolean): string {
  if (!color) return segmentsText(segs);
  let out = '';
  for (const s of segs) {
    const codes: number[] = [];
    if (s.bold) codes.push(1);
    if (s.dim) codes.push(2);
    if (s.color) codes.push(SGR[s.color]);
    out += codes.length > 0 && s.text.trim() !== '' ? `\u001b[${codes.join(';')}m${s.text}\u001b[0m` : s.text;
  }
  return out;
}
