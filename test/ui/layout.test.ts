// The live view at the widths people use (review M3, minors 30–32): sweep rows stay
// distinguishable, accuracy shows at 80 columns, paths wrap whole, a finished run prints its
// accuracy table and the HTML report, a pty reporting 0×0 is drawn at 80×24.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import React from 'react';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { render } from 'ink-testing-library';
import { RunView } from '../../src/ui/RunView.js';
import { createRenderer, terminalSize } from '../../src/ui/index.js';
import { replayRun } from '../../src/ui/reduceRun.js';
import { readFinishedReport } from '../../src/ui/finishedReport.js';
import { elideMiddle, formatLoss, sparkline, wrapPath } from '../../src/ui/format.js';
import { buildReport, writeReport } from '../../src/report/index.js';
import type { RunEvent } from '../../src/protocol/events.js';
import type { FinishedReport } from '../../src/ui/finishedReport.js';

const RUN = '20261205-001502-832a';
const TASKS = ['mnist', 'synth_shapes', 'synth_colors'];
const SWEEP = [0.3, 0.7];
const evalIds = (method: string): string[] => TASKS.map((t) => `eval.${method}.${t}`);
const swept = SWEEP.map((v) => `task_arithmetic[scaling_factor=${v}]`);

/** Events of a finished sweep run: zero-shot and two sweep points evaluated on three tasks, every stage done. */
function sweepEvents(store: string): RunEvent[] {
  const ids = [...TASKS.map((t) => `head.clip-tiny.${t}`), ...evalIds('clip-tiny'), ...swept.map((m) => `merge.${m}`), ...swept.flatMap(evalIds), 'report'];
  const kind = (id: string): string => id.split('.')[0] === 'head' ? 'zeroshot_head' : id.split('.')[0]!;
  const events: RunEvent[] = [{ t: 0, run: RUN, event: 'run', file: 'tiny2/a_workflow_with_a_rather_long_name_for_testing.fbw', store, devices: ['cpu#1', 'cpu#2'], backend: 'native',
    stages: ids.map((id) => ({ id, kind: kind(id), label: id, ...(TASKS.includes(id.slice(id.lastIndexOf('.') + 1)) ? { task: id.slice(id.lastIndexOf('.') + 1) } : {}), inputs: [] })) }];
  ids.forEach((id, i) => {
    events.push({ t: 10 + i, run: RUN, event: 'started', stage: id, key: `k${i}`, device: 'cpu#1', attempt: 1, log: path.join(store, 'runs', RUN, 'logs', `${id}.log`) });
    // each eval gets its own accuracy, so a row can be told apart only by its full name
    events.push({ t: 20 + i, run: RUN, event: 'committed', stage: id, key: `k${i}`, seconds: 1 + i / 10, ...(id.startsWith('eval.') ? { metrics: { accuracy: 0.3 + i / 100, loss: 1.5 } } : {}) });
  });
  events.push({ t: 100, run: RUN, event: 'finished', status: 'ok', report: path.join(store, 'runs', RUN, 'report', 'report.json'), counts: { done: ids.length, cached: 0, failed: 0, skipped: 0 }, seconds: 42 });
  return events;
}

function frame(events: readonly RunEvent[], columns: number, report?: FinishedReport): string[] {
  const r = render(React.createElement(RunView, { state: replayRun(events), columns, rows: 24, color: false, now: 200, ...(report ? { report } : {}) }));
  const out = r.lastFrame() ?? '';
  r.unmount();
  return out.split('\n');
}

const rowsOf = (lines: string[]): string[] => lines.filter((l) => /^[✔≡▶·✖⊘‖] /.test(l) && !/ done {2}/.test(l));

test('80 columns: every sweep row is distinguishable, accuracy shown, nothing wider than the terminal', () => {
  const lines = frame(sweepEvents('/home/u/tiny2/.fbw'), 80);
  for (const l of lines) assert.ok(Array.from(l).length <= 80, `too wide: ${l}`);
  const rows = rowsOf(lines);
  assert.is(rows.length, 15, lines.join('\n'));
  const names = rows.map((l) => l.slice(2, l.indexOf('  ', 2)));
  assert.is(new Set(names).size, names.length, `two rows look the same:\n${names.join('\n')}`);
  // the sweep value and the task survive the cut
  assert.ok(names.some((n) => n.endsWith('=0.7].synth_colors')), names.join('\n'));
  assert.ok(names.some((n) => n.endsWith('=0.3].synth_colors')), names.join('\n'));
  for (const r of rows.filter((l) => l.startsWith('✔ eval.'))) assert.match(r, /\d+\.\d%/);
  assert.match(lines.find((l) => l.startsWith('  stage'))!, /\bacc\b/);
});

test('200 columns: full stage names, accuracy and task columns', () => {
  const lines = frame(sweepEvents('/home/u/tiny2/.fbw'), 200);
  for (const id of swept.flatMap(evalIds)) assert.ok(lines.some((l) => l.startsWith(`✔ ${id} `)), `${id} not shown whole:\n${lines.join('\n')}`);
  assert.match(lines.find((l) => l.startsWith('  stage'))!, /\btask\b.*\bacc\b/);
});

test('finished: the accuracy table of the real report and the HTML path, wrapped at / at 80 columns', async () => {
  const store = mkdtempSync(path.join(tmpdir(), 'fbw-ui-layout-with-a-long-folder-name-'));
  try {
    const events = sweepEvents(store);
    const metrics = [['pretrained (zero-shot)', 0.41], ...swept.map((m, i) => [m.replace('[', '(').replace(']', ')'), 0.5 + i / 10] as const)]
      .flatMap(([row, acc]) => TASKS.map((task, k) => ({ task, row: row as string, accuracy: (acc as number) + k / 50, loss: 1.2, n: 100 })));
    await writeReport(path.join(store, 'runs', RUN, 'report'), buildReport(metrics, [], { title: 'sweep' }));
    const report = readFinishedReport(path.join(store, 'runs', RUN, 'report', 'report.json'));
    assert.is(report.html, path.join(store, 'runs', RUN, 'report', 'report.html'));
    for (const columns of [80, 200]) {
      const lines = frame(events, columns, report);
      const at = lines.findIndex((l) => l.startsWith('| Method'));
          assert.ok(at > 0, lines.join('\n'));
      const table = lines.slice(at, lines.findIndex((l) => l.startsWith('report ')));
      for (const l of table) assert.ok(Array.from(l).length <= columns, `table line too wide: ${l}`);
      assert.match(table.join('\n'), /factor=0\.7\)\s*\|\s*\*\*60\.0\*\*\s*\|/);
      assert.match(table.join('\n'), /factor=0\.3\)\s*\|\s*50\.0\s*\|/);
      const start = lines.findIndex((l) => l.startsWith('report '));
      const pieces = lines.slice(start).map((l, i) => (i === 0 ? l.slice('report '.length) : l.trimStart()));
      assert.is(pieces.join(''), report.html);
      for (const p of pieces.slice(0, -1)) assert.ok(p.endsWith('/'), `a path piece broken inside a name: ${p}`);
      if (columns === 80) assert.ok(pieces.length > 1, 'expected the long path to wrap at 80 columns');
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});

test('a failed stage: its log path wraps after a / and never inside a name', () => {
  const store = '/home/u/a/rather/deep/folder/for/the/experiments/of/this/project/.fbw';
  const ev = sweepEvents(store).filter((e) => e.event !== 'finished' && !(e.event === 'committed' && e.stage === 'eval.task_arithmetic[scaling_factor=0.7].synth_colors'));
  const log = path.join(store, 'runs', RUN, 'logs', 'eval.task_arithmetic_scaling_factor_0.7_.synth_colors.log');
  ev.push({ t: 90, run: RUN, event: 'failed', stage: 'eval.task_arithmetic[scaling_factor=0.7].synth_colors', error: 'Error: boom', log, logTail: [], replay: `fbw replay ${RUN} --stage eval.x` });
  const lines = frame(ev, 80);
  const at = lines.findIndex((l) => /^\s+log\s+\//.test(l));
  assert.ok(at > 0, lines.join('\n'));
  const pieces = [lines[at]!.replace(/^\s+log\s+/, '')];
  for (let i = at + 1; /^ {11}\S/.test(lines[i] ?? '') && !/replay|│/.test(lines[i]!); i++) pieces.push(lines[i]!.trim());
  assert.is(pieces.join(''), log);
  assert.ok(pieces.length > 1 && pieces.slice(0, -1).every((p) => p.endsWith('/')), pieces.join('\n'));
});

test('formatters: middle elision keeps the suffix, paths wrap at /, flat loss stays flat, one loss format', () => {
  assert.is(elideMiddle('eval.task_arithmetic[scaling_factor=0.7].synth_colors', 30), 'eval.…factor=0.7].synth_colors');
  assert.is(elideMiddle('merge.average', 30), 'merge.average');
  assert.is(Array.from(elideMiddle('eval.task_arithmetic[scaling_factor=0.7].synth_colors', 12)).length, 12);
  assert.equal(wrapPath('/a/bb/ccc/dddd.log', 8), ['/a/bb/', 'ccc/', 'dddd.log']);
  assert.equal(wrapPath('/abcdefghijkl', 5), ['/abcd', 'efghi', 'jkl']);
  // synth_position's loss: 2.10 → 2.08 with noise must not swing from ▁ to █
  const flat = sparkline([2.1, 2.09, 2.1, 2.085, 2.095, 2.08, 2.09, 2.08], 8);
  assert.ok([...flat].every((c) => '▁▂'.includes(c)), flat);
  const falling = sparkline([2.3, 1.8, 1.2, 0.8, 0.5], 5);
  assert.is(falling[0], '█');
  assert.is(falling[4], '▁');
  assert.equal([6.4e-4, 0.009123, 0.4918, 1.047, 12.5].map(formatLoss), ['0.0006', '0.0091', '0.4918', '1.0470', '12.50']);
});

test('terminal size: a pty reporting 0×0 uses COLUMNS/LINES, else 80×24', () => {
  assert.equal(terminalSize({ columns: 0, rows: 0 }, {}), { columns: 80, rows: 24 });
  assert.equal(terminalSize({ columns: 0, rows: 0 }, { COLUMNS: '132', LINES: '50' }), { columns: 132, rows: 50 });
  assert.equal(terminalSize({ columns: 100, rows: 30 }, { COLUMNS: '132', LINES: '50' }), { columns: 100, rows: 30 });
});

test('tty renderer on a 0×0 pty: frames 80 wide, the screen is never cleared', async () => {
  const chunks: string[] = [];
  const out = Object.assign(new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } }), { columns: 0, rows: 0, isTTY: true });
  const saved = { COLUMNS: process.env['COLUMNS'], LINES: process.env['LINES'] };
  delete process.env['COLUMNS'];
  delete process.env['LINES'];
  try {
    const r = createRenderer({ mode: 'tty', out, color: false, frameMs: 1 });
    for (const e of sweepEvents('/home/u/tiny2/.fbw').slice(0, -1)) { r.onEvent(e); await new Promise((res) => setTimeout(res, 2)); }
    await r.close();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
  const text = chunks.join('');
  assert.not.match(text, /\u001b\[2J/, 'the screen was cleared');
  const plain = text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
  const widths = plain.split('\n').map((l) => Array.from(l).length);
  assert.ok(Math.max(...widths) > 40 && Math.max(...widths) <= 80, `widest line ${Math.max(...widths)}`);
});

test.run();
