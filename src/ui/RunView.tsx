// The live terminal view of a run (ink): a pure function of RunState. Finished stages
// go into <Static> so they scroll up once and are never redrawn; the live area holds
// running and waiting stages and the footer.

import React from 'react';
import { Box, Static, Text } from 'ink';
import { countStages, isTerminal, type RunState, type StageState } from './reduceRun.js';
import { contentWidths, headerRow, layoutTable, paint, stageRow, statusSymbol, type Segment, type TableLayout } from './stageRow.js';
import { fit, formatDuration, wrapPath } from './format.js';
import { alignTable, type FinishedReport } from './finishedReport.js';

/** Props of the run view; `now` drives the elapsed clock so frames are reproducible in tests. */
export interface RunViewProps {
  readonly state: RunState;
  readonly columns: number;
  /** terminal height; limits how many waiting stages the live area lists */
  readonly rows?: number;
  readonly color: boolean;
  /** epoch ms used for the elapsed time while the run is live */
  readonly now: number;
  /**
   * finished stage ids grouped by the frame that first showed them (append-only; each group is
   * one <Static> item, so a thousand cached stages cost one text node). Default: one group.
   */
  readonly batches?: readonly (readonly string[])[];
  /** the finished run's accuracy table and HTML report (read by the renderer once the run ends) */
  readonly report?: FinishedReport;
}

/** How many log lines of a failed stage are shown. */
export const LOG_TAIL_LINES = 8;

function Line({ segs, color }: { readonly segs: readonly Segment[]; readonly color: boolean }): React.ReactElement {
  return <Text wrap="truncate-end">{paint(segs, color)}</Text>;
}

function headerLines(state: RunState, width: number): Segment[][] {
  const first: Segment[] = [{ text: 'fbw run ', bold: true }, { text: state.file ?? '' }, { text: '  run ', dim: true }, { text: state.run ?? '', color: 'cyan' }];
  const second: Segment[] = [
    { text: 'store ', dim: true },
    { text: state.store ?? '' },
    { text: '  devices ', dim: true },
    { text: state.devices.join(',') || '—' },
    { text: '  backend ', dim: true },
    { text: state.backend ?? '—' },
    { text: '  stages ', dim: true },
    { text: String(state.order.length) },
  ];
  return [first, second].map((l) => clip(l, width));
}

function clip(segs: readonly Segment[], width: number): Segment[] {
  const out: Segment[] = [];
  let left = width;
  for (const s of segs) {
    if (left <= 0) break;
    const n = Array.from(s.text).length;
    out.push(n <= left ? s : { ...s, text: fit(s.text, left) });
    left -= n;
  }
  return out;
}

/** A labelled value hard-wrapped to the width (never cut: the error and the replay command must stay whole). */
function wrapped(label: string, value: Segment, width: number): Segment[][] {
  const room = Math.max(10, width - label.length);
  const chars = Array.from(value.text);
  const out: Segment[][] = [];
  for (let i = 0; i === 0 || i < chars.length; i += room) {
    out.push([{ text: i === 0 ? label : ' '.repeat(label.length), dim: true }, { ...value, text: chars.slice(i, i + room).join('') }]);
  }
  return out;
}

/** A labelled path wrapped after `/` (never inside a name), so every piece copy-pastes whole. */
function pathLines(label: string, value: Segment, width: number): Segment[][] {
  return wrapPath(value.text, Math.max(10, width - label.length)).map((piece, i) => [{ text: i === 0 ? label : ' '.repeat(label.length), dim: true }, { ...value, text: piece }]);
}

function failureLines(s: StageState, width: number): Segment[][] {
  const lines: Segment[][] = [];
  if (s.error) lines.push(...wrapped('    error  ', { text: s.error, color: 'red' }, width));
  if (s.log) lines.push(...pathLines('    log    ', { text: s.log }, width));
  for (const l of (s.logTail ?? []).slice(-LOG_TAIL_LINES)) lines.push(clip([{ text: '    │ ', dim: true }, { text: l, dim: true }], width));
  if (s.replay) lines.push(...wrapped('    replay ', { text: s.replay, bold: true }, width));
  return lines;
}

/** The lines of one stage: its row, plus error, log tail and replay command when it failed. */
function stageLines(s: StageState, layout: TableLayout, color: boolean): string[] {
  const lines = [paint(stageRow(s, layout), color)];
  if (s.status === 'failed') for (const l of failureLines(s, layout.width)) lines.push(paint(l, color));
  return lines;
}

function StageBlock({ s, layout, color }: { readonly s: StageState; readonly layout: TableLayout; readonly color: boolean }): React.ReactElement {
  return <Text wrap="truncate-end">{stageLines(s, layout, color).join('\n')}</Text>;
}

/** Footer: counts and elapsed time, or the final summary once the run finished; compact when narrow. */
export function footerSegments(state: RunState, now: number, width = Infinity): Segment[] {
  const c = countStages(state);
  const f = state.finished;
  const time: Segment = f
    ? { text: `finished ${f.status} in ${formatDuration(f.seconds)}`, color: f.status === 'ok' ? 'green' : f.status === 'failed' ? 'red' : 'yellow', bold: true }
    : { text: `elapsed ${formatDuration(Math.max(0, now - (state.startedAt ?? now)) / 1000)}`, dim: true };
  const buckets: [number, string, Segment, boolean][] = [
    [c.done, 'done', statusSymbol('done'), true],
    [c.cached, 'cached', statusSymbol('cached'), true],
    [c.running, 'running', statusSymbol('running'), true],
    [c.queued, 'queued', statusSymbol('queued'), true],
    [c.failed, 'failed', statusSymbol('failed'), true],
    [c.skipped, 'skipped', statusSymbol('skipped'), c.skipped > 0],
    [c.interrupted, 'interrupted', statusSymbol('interrupted'), c.interrupted > 0],
  ];
  const build = (compact: boolean): Segment[] => {
    const segs: Segment[] = [];
    for (const [n, label, sym, show] of buckets) {
      if (!show) continue;
      segs.push({ ...sym, text: compact ? `${sym.text}${n}` : `${sym.text} ${n} ${label}` }, { text: compact ? ' ' : '  ' });
    }
    segs.push(compact ? { ...time, text: time.text.replace(/^elapsed /, '').replace(/^finished /, '') } : time);
    if (!f && state.interrupted) segs.push({ text: compact ? ' interrupting' : `  interrupting: checkpointing running stages…${state.finishing?.length ? ` ${state.finishing.join(', ')} (no checkpoint) ${state.finishing.length === 1 ? 'finishes' : 'finish'} first` : ''}`, color: 'yellow' });
    return segs;
  };
  const full = build(false);
  return full.reduce((a, s) => a + Array.from(s.text).length, 0) <= width ? full : build(true);
}

type StaticItem = { readonly key: string; readonly ids: readonly string[] };

/** Most finished rows one frame prints; beyond it the rest are summarised (failed ones are always shown). */
export const STATIC_ROWS_PER_FRAME = 40;

/** Lines of a group of stages that finished within one frame; thousands of cache hits become one summary line. */
function batchLines(ids: readonly string[], state: RunState, layout: TableLayout, color: boolean): string[] {
  const lines: string[] = [];
  let shown = 0;
  const rest = new Map<string, number>();
  for (const id of ids) {
    const s = state.stages[id]!;
    if (s.status === 'failed' || shown < STATIC_ROWS_PER_FRAME) {
      lines.push(...stageLines(s, layout, color));
      shown++;
    } else rest.set(s.status, (rest.get(s.status) ?? 0) + 1);
  }
  if (rest.size > 0) {
    const n = [...rest.values()].reduce((a, b) => a + b, 0);
    const parts = [...rest].map(([status, k]) => `${k} ${status}`).join(', ');
    lines.push(paint([{ text: `  … and ${n} more stages finished (${parts}); \`fbw show ${state.run ?? 'RUN'}\` lists every stage`, dim: true }], color));
  }
  return lines;
}

/** Lines under a finished run: the accuracy table, then where the HTML report is. */
function reportLines(state: RunState, report: FinishedReport | undefined, width: number): { table: string[]; path: Segment[][] } {
  const file = report?.html ?? state.finished?.report;
  if (!state.finished || !file) return { table: [], path: [] };
  return { table: report && report.table.length > 0 ? ['', ...alignTable(report.table, width), ''] : [], path: pathLines('report ', { text: file }, width) };
}

/** The whole screen. */
export function RunView({ state, columns, rows, color, now, batches, report }: RunViewProps): React.ReactElement {
  // a terminal reporting no size (0×0) is treated as the usual 80 columns, never a 20-wide strip
  const width = columns > 0 ? Math.max(20, columns) : 80;
  const layout = layoutTable(width, contentWidths(state.order.map((id) => state.stages[id]!)));
  const hasHeader = state.run !== undefined;
  const groups = batches ?? [state.finishedOrder];
  const staticItems: StaticItem[] = hasHeader ? [{ key: '#header', ids: [] }, ...groups.map((ids, i) => ({ key: `#${i}`, ids }))] : [];
  const live = state.order.map((id) => state.stages[id]!).filter((s) => s !== undefined && (!hasHeader || !isTerminal(s.status)));
  const active = live.filter((s) => s.status === 'running' || s.status === 'retrying' || s.status === 'interrupted' || isTerminal(s.status));
  const waiting = live.filter((s) => s.status === 'pending' || s.status === 'queued');
  // the live area must fit the terminal, or ink cannot redraw it in place
  const height = Math.max(6, rows ?? 40) - 3;
  const shownActive = active.length > height ? active.slice(0, height - 1) : active;
  const hiddenActive = active.length - shownActive.length;
  const budget = Math.max(1, height - shownActive.length - (hiddenActive > 0 ? 1 : 0));
  const shownWaiting = state.finished || hiddenActive > 0 ? [] : waiting.slice(0, waiting.length > budget ? budget - 1 : budget);
  const hidden = state.finished ? 0 : waiting.length - shownWaiting.length;
  const done = reportLines(state, report, width);
  return (
    <Box flexDirection="column" width={width}>
      <Static items={staticItems}>
        {(item) =>
          item.key === '#header' ? (
            <Text key={item.key} wrap="truncate-end">
              {[...headerLines(state, width), headerRow(layout)].map((l) => paint(l, color)).join('\n')}
            </Text>
          ) : item.ids.length > 0 ? (
            <Text key={item.key} wrap="truncate-end">
              {batchLines(item.ids, state, layout, color).join('\n')}
            </Text>
          ) : null
        }
      </Static>
      {!hasHeader && state.order.length > 0 ? <Line segs={headerRow(layout)} color={color} /> : null}
      {shownActive.map((s) => <StageBlock key={s.id} s={s} layout={layout} color={color} />)}
      {hiddenActive > 0 ? <Line segs={[{ text: `  … ${hiddenActive} more running (the terminal is too short to list them)`, dim: true }]} color={color} /> : null}
      {shownWaiting.map((s) => <StageBlock key={s.id} s={s} layout={layout} color={color} />)}
      {hidden > 0 ? <Line segs={[{ text: `  … ${hidden} more waiting`, dim: true }]} color={color} /> : null}
      <Line segs={clip(footerSegments(state, now, width), width)} color={color} />
      {done.table.length > 0 ? <Text wrap="wrap">{done.table.join('\n')}</Text> : null}
      {done.path.map((l, i) => <Line key={`report${i}`} segs={l} color={color} />)}
    </Box>
  );
}
