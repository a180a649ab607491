import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { createRenderer } from '../../src/ui/index.js';
import { PlainLines } from '../../src/ui/plainLines.js';
import type { RunEvent } from '../../src/protocol/events.js';
import { loadEvents } from './fixtures.js';

/** A writable that records chunks, posing as a terminal of the given size. */
function sink(columns = 100): Writable & { chunks: string[]; columns: number; rows: number; isTTY: boolean } {
  const chunks: string[] = [];
  const w = new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb(); } }) as Writable & { chunks: string[]; columns: number; rows: number; isTTY: boolean };
  w.chunks = chunks;
  w.columns = columns;
  w.rows = 40;
  w.isTTY = true;
  return w;
}

const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\u001b\][^\u0007]*\u0007/g, '');

test('json mode: each event is one JSON line, unchanged', async () => {
  const events = loadEvents('failed');
  const out = sink();
  const r = createRenderer({ mode: 'json', out });
  for (const e of events) r.onEvent(e);
  await r.close();
  const lines = out.chunks.join('').split('\n').filter(Boolean);
  assert.is(lines.length, events.length);
  assert.equal(lines.map((l) => JSON.parse(l) as RunEvent), events);
});

test('plain mode: greppable lines, no ANSI without colour, queued events silent', async () => {
  const out = sink();
  const r = createRenderer({ mode: 'plain', out, color: false });
  for (const e of loadEvents('failed')) r.onEvent(e);
  await r.close();
  const text = out.chunks.join('');
  assert.not.match(text, /\u001b\[/);
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d run\s+20261125-152000-a1b2 file=workflows\/quick\.fbw store=\/home\/u\/proj\/\.fbw devices=cpu:0,cpu:1 backend=native stages=9$/);
  assert.not.ok(lines.some((l) => / queued /.test(l)));
  assert.is(lines.filter((l) => / cached\s+/.test(l)).length, 3);
  assert.ok(lines.some((l) => /^\S+ done\s+finetune\.full\.mnist seconds=21\.\d+ loss=0\.0512 accuracy=0\.931$/.test(l)), text);
  const failed = lines.findIndex((l) => /^\S+ failed\s+finetune\.full\.synth_shapes error="SafetensorsCorrupt: /.test(l));
  assert.ok(failed > 0, text);
  assert.is(lines[failed + 1], '  log: /home/u/proj/.fbw/runs/20261125-152000-a1b2/logs/finetune.full.synth_shapes.log');
  assert.is(lines[failed + 7], '  replay: fbw replay 20261125-152000-a1b2 --stage finetune.full.synth_shapes');
  assert.is(lines.filter((l) => / skipped\s+/.test(l)).length, 4);
  assert.match(lines[lines.length - 1]!, /finished\s+failed seconds=24\.\d+ done=1 cached=3 failed=1 skipped=4$/);
});

test('plain mode: progress at most every 10 % or 10 s per stage', () => {
  const p = new PlainLines(false);
  const base = { run: 'r', stage: 's' } as const;
  const progressLines: string[] = [];
  p.lines({ ...base, t: 0, event: 'started', key: 'k', device: 'cpu', attempt: 1, log: 'l' });
  // 1000 steps, an event every step, 20 ms apart (20 s in total)
  for (let step = 1; step <= 1000; step++) progressLines.push(...p.lines({ ...base, t: step * 20, event: 'progress', step, total: 1000, loss: 1 / step }));
  // deciles give 10 lines (10 %..100 %) plus the first; 10 s spacing adds none at this speed
  assert.is(progressLines.length, 11);
  assert.match(progressLines[1]!, /progress\s+s step=100\/1000 \(10%\) loss=0\.0100 eta=18s$/);
  // slow stage: 10 s between lines even without a new decile
  const q = new PlainLines(false);
  const slow: string[] = [];
  for (let i = 0; i <= 60; i++) slow.push(...q.lines({ ...base, t: i * 1000, event: 'progress', step: i, total: 10000 }));
  assert.is(slow.length, 7);
});

test('plain mode with colour paints the event name only', () => {
  const p = new PlainLines(true);
  const [line] = p.lines({ run: 'r', t: 0, event: 'failed', stage: 's', error: 'boom', log: 'l', logTail: [], replay: 'fbw replay r --stage s' });
  assert.match(line!, /\u001b\[31mfailed\s+\u001b\[0m s error=boom/);
});

test('tty mode: renders with ink, throttled, and leaves the final screen on close', async () => {
  const out = sink(120);
  const r = createRenderer({ mode: 'tty', out, color: false, frameMs: 200 });
  const events = loadEvents('finished');
  for (const e of events) r.onEvent(e);
  await r.close();
  const text = stripAnsi(out.chunks.join(''));
  assert.match(text, /fbw run workflows\/quick\.fbw\s+run 20261125-152000-a1b2/);
  assert.match(text, /✔ 6 done\s+≡ 3 cached\s+▶ 0 running\s+· 0 queued\s+✖ 0 failed\s+finished ok in 30s/);
  // 50 events pushed synchronously: one frame at most before close, plus the final one
  const footers = out.chunks.filter((c) => /\d done/.test(stripAnsi(c))).length;
  assert.ok(footers >= 1 && footers <= 2, `frames with a footer: ${footers}`);
  for (const id of ['model.clip-tiny', 'finetune.full.mnist', 'merge.average', 'report']) assert.match(text, new RegExp(`[✔≡] ${id.replace(/\./g, '\\.')}\\s`));
});

test('tty mode: close before any event writes nothing', async () => {
  const out = sink();
  const r = createRenderer({ mode: 'tty', out });
  await r.close();
  assert.is(out.chunks.join(''), '');
});

test.run();
