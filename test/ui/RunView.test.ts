import { test } from 'uvu';
import * as assert from 'uvu/assert';
import React from 'react';
import { render } from 'ink-testing-library';
import { RunView } from '../../src/ui/RunView.js';
import { replayRun } from '../../src/ui/reduceRun.js';
import type { RunEvent } from '../../src/protocol/events.js';
import { loadEvents } from './fixtures.js';

/** Render the state after `events` and return the frame's lines (static part included). */
function frame(events: readonly RunEvent[], columns = 150, color = false, rows = 40): string[] {
  const state = replayRun(events);
  const r = render(React.createElement(RunView, { state, columns, rows, color, now: events[events.length - 1]!.t + 1000 }));
  const out = r.lastFrame() ?? '';
  r.unmount();
  return out.split('\n');
}

const lineOf = (lines: string[], id: string): string => lines.find((l) => l.includes(` ${id} `) || l.endsWith(` ${id}`)) ?? assert.unreachable(`no line for ${id}:\n${lines.join('\n')}`) as never;

test('running: header, cached rows, running rows with bar, step, loss, rate, ETA, sparkline; footer counts', () => {
  const lines = frame(loadEvents('running'));
  assert.match(lines[0]!, /fbw run workflows\/quick\.fbw\s+run 20261125-152000-a1b2/);
  assert.match(lines[1]!, /store \/home\/u\/proj\/\.fbw\s+devices cpu:0,cpu:1\s+backend native\s+stages 9/);
  assert.match(lineOf(lines, 'model.clip-tiny'), /^≡ .*cached$/);
  const ft = lineOf(lines, 'finetune.full.mnist');
  assert.match(ft, /^▶ finetune\.full\.mnist\s+mnist\s+cpu:0\s+[█▏▎▍▌▋▊▉]+░+\s+120\/200\s+0\.3613\s+160\s+8\.0s\s+[▁▂▃▄▅▆▇█]{6}\s+train$/);
  assert.match(lineOf(lines, 'merge.average'), /^· merge\.average\s+queued$/);
  assert.match(lines[lines.length - 1]!, /✔ 0 done\s+≡ 3 cached\s+▶ 2 running\s+· 4 queued\s+✖ 0 failed\s+elapsed 15s/);
});

test('cached: a fully cached run shows every stage cached and the summary', () => {
  const base = loadEvents('running').filter((e) => e.event === 'run');
  const run = base[0] as Extract<RunEvent, { event: 'run' }>;
  const events: RunEvent[] = [run, ...run.stages.map((s, i): RunEvent => ({ t: run.t + 10 + i, run: run.run, event: 'cached', stage: s.id, key: `k${i}` })),
    { t: run.t + 30, run: run.run, event: 'finished', status: 'ok', report: '/p/report.json', counts: { done: 0, cached: 9, failed: 0, skipped: 0 }, seconds: 0.03 }];
  const lines = frame(events);
  for (const s of run.stages) assert.match(lineOf(lines, s.id), /^≡ .*cached$/);
  assert.ok(lines.some((l) => /≡ 9 cached/.test(l) && /finished ok in 0\.0s/.test(l)), lines.join('\n'));
  assert.is(lines[lines.length - 1], 'report /p/report.json');
});

test('resumed: the row says which step it resumed from', () => {
  const lines = frame(loadEvents('resumed'), 100);
  assert.match(lineOf(lines, 'finetune.full.mnist'), /160\/200 .* resumed from step 100/);
  assert.match(lineOf(frame(loadEvents('resumed')), 'finetune.full.mnist'), /160\/200 .* resumed from step 100 · train$/);
});

test('failed: error, log path, last log lines and the exact replay command', () => {
  const lines = frame(loadEvents('failed'));
  const at = lines.findIndex((l) => l.startsWith('✖ finetune.full.synth_shapes'));
  assert.ok(at >= 0, lines.join('\n'));
  assert.match(lines[at + 1]!, /^\s+error\s+SafetensorsCorrupt: model\.safetensors: header length/);
  assert.match(lines[at + 2]!, /^\s+log\s+\/home\/u\/proj\/\.fbw\/runs\/20261125-152000-a1b2\/logs\/finetune\.full\.synth_shapes\.log$/);
  assert.match(lines[at + 7]!, /│ Error: SafetensorsCorrupt: header length 9e9 exceeds file size 4096/);
  assert.is(lines[at + 8]!.trim(), 'replay fbw replay 20261125-152000-a1b2 --stage finetune.full.synth_shapes');
  assert.match(lineOf(lines, 'report'), /^⊘ report\s+skipped: finetune\.full/);
  assert.match(lines[lines.length - 1]!, /✔ 1 done\s+≡ 3 cached\s+▶ 0 running\s+· 0 queued\s+✖ 1 failed\s+⊘ 4 skipped\s+finished failed in 24s/);
});

test('finished: every stage done or cached, final accuracy shown, report path', () => {
  const lines = frame(loadEvents('finished'));
  const rows = lines.filter((l) => /^[✔≡] /.test(l) && !/ done  /.test(l));
  assert.is(rows.length, 9, lines.join('\n'));
  assert.match(lineOf(lines, 'finetune.full.mnist'), /200\/200\s+0\.1321\s+93\.1%.*done in 22s$/);
  assert.match(lineOf(lines, 'eval.average.mnist'), /71\.0%/);
  assert.match(lines[lines.length - 2]!, /✔ 6 done\s+≡ 3 cached\s+▶ 0 running\s+· 0 queued\s+✖ 0 failed\s+finished ok in 30s/);
  assert.match(lines[lines.length - 1]!, /^report \/home\/u\/proj\/\.fbw\/runs\/.*\/report\.json$/);
});

test('narrow terminal: columns dropped, no line wider than the terminal, compact footer', () => {
  for (const columns of [40, 60, 80]) {
    const lines = frame(loadEvents('running'), columns);
    for (const l of lines) assert.ok(Array.from(l).length <= columns, `${columns}: line too wide (${Array.from(l).length}): ${l}`);
    assert.ok(lines.some((l) => l.startsWith('▶ finet') && l.includes('.mnist ') && l.includes('120/200')), lines.join('\n'));
  }
  // a failure's error and replay command wrap instead of being cut
  const failed = frame(loadEvents('failed'), 60);
  for (const l of failed) assert.ok(Array.from(l).length <= 60, l);
  const at = failed.findIndex((l) => l.includes('replay fbw replay'));
  assert.is((failed[at]! + failed[at + 1]!.trimStart()).replace(/^\s+replay /, ''), 'fbw replay 20261125-152000-a1b2 --stage finetune.full.synth_shapes');
  const narrow = frame(loadEvents('running'), 60);
  assert.not.match(narrow.join('\n'), /img\/s|loss curve/);
  assert.match(narrow[narrow.length - 1]!, /^✔0 ≡3 ▶2 ·4 ✖0 15s$/);
  const wide = frame(loadEvents('running'), 150);
  assert.match(wide.join('\n'), /img\/s/);
  assert.match(wide.join('\n'), /loss curve/);
});

test('colour: ANSI styles only when color is on (NO_COLOR)', () => {
  const plain = frame(loadEvents('failed'), 120, false).join('\n');
  assert.not.match(plain, /\u001b\[/);
  const coloured = frame(loadEvents('failed'), 120, true).join('\n');
  assert.match(coloured, /\u001b\[31m✖\u001b\[39m\S* finetune\.full\.synth_shap/);
  assert.match(coloured, /\u001b\[32m✔/);
});

test('interrupted (Ctrl-C): running stages say where they checkpointed, footer says interrupted', () => {
  const events = loadEvents('running');
  const t = events[events.length - 1]!.t;
  const run = events[0]!.run;
  const more: RunEvent[] = [
    { t: t + 100, run, event: 'interrupted' },
    { t: t + 900, run, event: 'checkpointed', stage: 'finetune.full.mnist', step: 120 },
    { t: t + 1000, run, event: 'interrupted', stage: 'finetune.full.mnist' },
    { t: t + 1000, run, event: 'interrupted', stage: 'finetune.full.synth_shapes' },
  ];
  const during = frame([...events, more[0]!]);
  assert.match(during[during.length - 1]!, /interrupting: checkpointing running stages…$/);
  const lines = frame([...events, ...more, { t: t + 1100, run, event: 'finished', status: 'interrupted', counts: { done: 0, cached: 3, failed: 0, skipped: 0 }, seconds: 17 }]);
  assert.match(lineOf(lines, 'finetune.full.mnist'), /^‖ .*120\/200.*interrupted \(checkpoint at step 120\)$/);
  assert.match(lines[lines.length - 1]!, /‖ 2 interrupted\s+finished interrupted in 17s$/);
});

test('short terminal: the live area fits the screen, the rest is counted', () => {
  const lines = frame(loadEvents('running'), 150, false, 8);
  const live = lines.slice(lines.findIndex((l) => l.startsWith('▶')));
  assert.ok(live.length <= 7, live.join('\n'));
  assert.is(live.filter((l) => l.startsWith('▶')).length, 2);
  assert.ok(live.includes('  … 2 more waiting'), live.join('\n'));
});

test('a thousand cache hits in one frame: 40 rows and one summary line, failures always listed', () => {
  const run: RunEvent = { t: 0, run: 'r1', event: 'run', file: 'big.fbw', store: '.fbw', devices: ['cpu'], backend: 'cpu', stages: Array.from({ length: 1000 }, (_, i) => ({ id: `eval.s${i}`, kind: 'eval', label: 'x', inputs: [] })) };
  const events: RunEvent[] = [run, ...Array.from({ length: 999 }, (_, i): RunEvent => ({ t: 1, run: 'r1', event: 'cached', stage: `eval.s${i}`, key: 'k' })),
    { t: 2, run: 'r1', event: 'failed', stage: 'eval.s999', error: 'boom', log: 'l', logTail: [], replay: 'fbw replay r1 --stage eval.s999' }];
  const lines = frame(events);
  assert.is(lines.filter((l) => l.startsWith('≡ eval.s')).length, 40);
  assert.ok(lines.some((l) => l.startsWith('✖ eval.s999')));
  assert.ok(lines.includes('  … and 959 more stages finished (959 cached); `fbw show r1` lists every stage'), lines.join('\n'));
});

test.run();
