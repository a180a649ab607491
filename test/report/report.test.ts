import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { report as reportStage } from '../../src/stages/report.js';
import type { StageContext } from '../../src/stages/contract.js';
import type { Stage, StageInput } from '../../src/compile/ir.js';
import { buildReport, parseCsv, reportCsv, readMetrics, ReportInputError, type MetricsRecord } from '../../src/report/index.js';

const TASKS = ['mnist', 'synth_shapes', 'synth_colors'] as const;
// accuracy (fraction) per row and task: what eval stages of a small run wrote
const TABLE: Record<string, readonly number[]> = {
  'pretrained (zero-shot)': [0.4125, 0.305, 0.52],
  'fine-tuned (individual)': [0.9715, 0.9, 0.995],
  average: [0.6, 0.55, 0.81],
  'ties(threshold=20)': [0.7235, 0.61, 0.83],
};

interface Fixture { dir: string; ctx: StageContext; out: string }

/** Write real eval/finetune artifact folders and a report StageContext over them. */
async function fixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fbw-report-'));
  const inputs: Record<string, string> = {};
  const stageInputs: StageInput[] = [];
  for (const [row, accs] of Object.entries(TABLE)) {
    for (const [i, task] of TASKS.entries()) {
      if (row === 'fine-tuned (individual)' && task === 'synth_colors') continue; // a row missing one task
      const id = `eval.${row.replace(/\W+/g, '_')}.${task}`;
      const folder = path.join(dir, id);
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, 'metrics.json'), JSON.stringify({ task, row, accuracy: accs[i], loss: 2 - 2 * accs[i]!, n: 2000 }));
      inputs[id] = folder;
      stageInputs.push({ stage: id, role: 'metrics', task });
    }
  }
  for (const task of TASKS) {
    const id = `finetune.full.${task}`;
    const folder = path.join(dir, id);
    await mkdir(folder, { recursive: true });
    const log = Array.from({ length: 20 }, (_, i) => ({ step: (i + 1) * 10, loss: 2.3 * Math.exp(-i / 6) + 0.05, lr: 1e-5, seconds: (i + 1) * 0.5, ...(i % 5 === 4 ? { accuracy: 0.5 + i / 50 } : {}) }));
    await writeFile(path.join(folder, 'train_log.json'), JSON.stringify(log));
    inputs[id] = folder;
    stageInputs.push({ stage: id, role: 'train_log', task });
  }
  const out = path.join(dir, 'out');
  await mkdir(out);
  const stage: Stage = { id: 'report', kind: 'report', method: 'report', tasks: [...TASKS], params: {}, inputs: stageInputs, output: 'report', label: 'report' };
  const logs: string[] = [];
  const ctx: StageContext = {
    stage, inputs, outDir: out, checkpointDir: path.join(dir, 'ckpt'), device: 'cpu',
    progress: () => {}, checkpointed: () => {}, resumed: () => {}, log: (l) => void logs.push(l), signal: new AbortController().signal,
  };
  return { dir, ctx, out };
}

test('report stage writes a FusionBench-shaped Markdown table with an average column', async () => {
  const f = await fixture();
  try {
    await reportStage(f.ctx);
    const md = await readFile(path.join(f.out, 'report.md'), 'utf8');
    const lines = md.split('\n');
    const h = lines.findIndex((l) => l.startsWith('| Method |'));
    assert.is(lines[h], '| Method | mnist | synth_shapes | synth_colors | Avg. |');
    assert.is(lines[h + 1], '| --- | ---: | ---: | ---: | ---: |');
    assert.is(lines[h + 2], '| pretrained (zero-shot) | 41.3 | 30.5 | 52.0 | 41.3 |');
    // the fine-tuned row lacks one task: its average is over the tasks it has, and marked
    assert.is(lines[h + 3], '| fine-tuned (individual) | 97.2 | 90.0 | — | 93.6* |');
    assert.is(lines[h + 4], '| average | 60.0 | 55.0 | 81.0 | 65.3 |');
    // best merge per column in bold
    assert.is(lines[h + 5], '| ties(threshold=20) | **72.4** | **61.0** | **83.0** | **72.1** |');
    assert.match(md, /## Fine-tuning\n\nTrain acc\. is the accuracy on the last training batch \(not an evaluation\)[^\n]*\n\n\| Stage \| Task \| Steps \| Final loss \| Train acc\., last batch \(%\) \| Train time \|/);
    assert.match(md, /\| finetune\.full\.mnist \| mnist \| 200 \| 0\.\d{4} \| 88\.0 \| 10s \|/);
  } finally {
    await rm(f.dir, { recursive: true, force: true });
  }
});

test('CSV parses back to the table; JSON carries the same numbers', async () => {
  const f = await fixture();
  try {
    await reportStage(f.ctx);
    const rows = parseCsv(await readFile(path.join(f.out, 'report.csv'), 'utf8'));
    assert.equal(rows[0], ['method', 'mnist', 'synth_shapes', 'synth_colors', 'average']);
    assert.is(rows.length, 5);
    const json = JSON.parse(await readFile(path.join(f.out, 'report.json'), 'utf8')) as { rows: { label: string; accuracy: Record<string, number>; average: number }[]; tasks: string[]; finetune: { stage: string; log: unknown[] }[] };
    assert.equal(json.tasks, [...TASKS]);
    for (const [i, r] of json.rows.entries()) {
      const csv = rows[i + 1]!;
      assert.is(csv[0], r.label);
      for (const [j, t] of TASKS.entries()) assert.is(csv[j + 1], r.accuracy[t] === undefined ? '' : r.accuracy[t]!.toFixed(2));
      assert.is(Number(csv[4]), Number(r.average.toFixed(2)));
      const accs = TABLE[r.label]!;
      assert.is(Math.round(r.accuracy['mnist']! * 1000), Math.round(accs[0]! * 100000));
    }
    assert.is(json.finetune.length, 3);
    assert.is(json.finetune[0]!.log.length, 20);
  } finally {
    await rm(f.dir, { recursive: true, force: true });
  }
});

test('CSV quoting round-trips commas, quotes and newlines in labels', () => {
  const m = (row: string, task: string, accuracy: number): MetricsRecord => ({ row, task, accuracy, loss: 1, n: 10 });
  const rep = buildReport([m('ties(threshold=20, k="x")', 'a,b', 0.5), m('multi\nline', 'a,b', 0.25)], []);
  const rows = parseCsv(reportCsv(rep));
  assert.equal(rows, [['method', 'a,b', 'average'], ['ties(threshold=20, k="x")', '50.00', '50.00'], ['multi\nline', '25.00', '25.00']]);
});

test('HTML: self-contained, with accuracy bars per method and loss curves, no external URLs', async () => {
  const f = await fixture();
  try {
    await reportStage(f.ctx);
    const html = await readFile(path.join(f.out, 'report.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    // bars, training loss, batch accuracy, learning rate
    assert.is((html.match(/<svg /g) ?? []).length, 4);
    // one bar per (method, task or average) that has a value: 4 rows × 4 columns − 1 missing
    assert.is((html.match(/<rect class="bar"/g) ?? []).length, 15);
    // each training loss smoothed (EMA) over its raw values drawn faint
    assert.is((html.match(/<path class="curve"/g) ?? []).length, 3 + 3 + 3);
    assert.is((html.match(/<path class="curve raw"/g) ?? []).length, 3 + 3);
    assert.match(html, /aria-label="Learning rate"/);
    assert.match(html, /<title>ties\(threshold=20\) · mnist: 72\.4<\/title>/);
    assert.not.match(html, /https?:\/\//);
    assert.not.match(html, /<script|<link|<img|\ssrc=|\shref=|@import|url\(/i);
  } finally {
    await rm(f.dir, { recursive: true, force: true });
  }
});

test('columns follow the pool order given to the report stage, then any other task', () => {
  const m = (row: string, task: string): MetricsRecord => ({ row, task, accuracy: 0.5, loss: 1, n: 10 });
  const rep = buildReport([m('average', 'dtd'), m('average', 'extra'), m('average', 'mnist'), m('pretrained (zero-shot)', 'mnist')], [], { tasks: ['mnist', 'svhn', 'dtd'] });
  assert.equal(rep.tasks, ['mnist', 'dtd', 'extra']);
  assert.equal(rep.rows.map((r) => r.method), ['pretrained (zero-shot)', 'average']);
});

test('the report is byte-identical when rebuilt from the same inputs', async () => {
  const f = await fixture();
  try {
    await reportStage(f.ctx);
    const first = await Promise.all(['report.md', 'report.csv', 'report_long.csv', 'report.json', 'report.html'].map((n) => readFile(path.join(f.out, n))));
    await reportStage(f.ctx);
    const second = await Promise.all(['report.md', 'report.csv', 'report_long.csv', 'report.json', 'report.html'].map((n) => readFile(path.join(f.out, n))));
    for (let i = 0; i < 5; i++) assert.ok(first[i]!.equals(second[i]!));
  } finally {
    await rm(f.dir, { recursive: true, force: true });
  }
});

test('a malformed metrics.json is an error naming the file and the field', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fbw-report-'));
  try {
    const file = path.join(dir, 'metrics.json');
    await writeFile(file, JSON.stringify({ task: 'mnist', row: 'average', accuracy: 93.1, loss: 0.2, n: 100 }));
    const err = await readMetrics(file).then(() => undefined, (e: unknown) => e);
    assert.instance(err, ReportInputError);
    assert.match((err as Error).message, new RegExp(`${file.replace(/[.\\/]/g, '\\$&')}: "accuracy" must be a fraction in \\[0, 1\\], got 93\\.1`));
    const missing = await readMetrics(path.join(dir, 'nope.json')).then(() => undefined, (e: unknown) => e);
    assert.match((missing as Error).message, /nope\.json: file not found/);
    await writeFile(file, '{"task": ');
    const broken = await readMetrics(file).then(() => undefined, (e: unknown) => e);
    assert.match((broken as Error).message, /not valid JSON/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
