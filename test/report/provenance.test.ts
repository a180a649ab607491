// Review M10 and minors 34–38: the run's report names where it comes from and what made each
// row; numbers are stored without float noise and rounded one way everywhere; bold means
// "best merge, and better than zero-shot"; normalized accuracy, gain, sweeps, long CSV.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildReport, fixed, gainOverZeroShot, normalizedAccuracy, parseCsv, reportCsvLong, reportFromJson, reportHtml, reportJson, reportMarkdown,
  roundHalfAway, rowSpecs, runProvenance, stampReport, sweeps, writeReport, type MetricsRecord,
} from '../../src/report/index.js';
import type { Stage } from '../../src/compile/ir.js';
import { readReport } from '../shared/helpers.js';

const m = (row: string, task: string, accuracy: number, loss = 1.5, n = 2000): MetricsRecord => ({ row, task, accuracy, loss, n });

// the quickstart's numbers as the eval stages wrote them (fractions; ×100 gives the review's float noise)
const QUICK: MetricsRecord[] = [
  m('pretrained (zero-shot)', 'mnist', 0.4015), m('pretrained (zero-shot)', 'synth_shapes', 0.384, 1.6, 500),
  m('fine-tuned (individual)', 'mnist', 0.501), m('fine-tuned (individual)', 'synth_shapes', 0.464, 1.37, 500),
  m('average', 'mnist', 0.3785), m('average', 'synth_shapes', 0.256, 2.1959908390045166, 500),
  m('task_arithmetic(scaling_factor=0.5)', 'mnist', 0.3495), m('task_arithmetic(scaling_factor=0.5)', 'synth_shapes', 0.222, 2.5, 500),
];

test('rounding: half away from zero on the stored value, no float noise in report.json', () => {
  assert.is(roundHalfAway(34.949999999999996, 1), 35);
  assert.is(roundHalfAway(40.150000000000006, 1), 40.2);
  assert.is(roundHalfAway(-2.25, 1), -2.3);
  assert.is(fixed(34.95, 1), '35.0');
  const rep = buildReport(QUICK, []);
  const json = reportJson(rep);
  for (const num of json.match(/-?\d+\.\d+(e-?\d+)?/g) ?? []) assert.ok(!/\.\d{5,}/.test(num), `float noise in report.json: ${num}`);
  assert.match(json, /"mnist": 34\.95/);
  assert.match(json, /"precision": \{\s*"accuracy": 2,\s*"loss": 4,\s*"rounding": "half away from zero"/);
  // Markdown rounds 34.95 and 40.15 the same way (the review saw 34.9 next to 40.2)
  const md = reportMarkdown(rep);
  assert.match(md, /\| task_arithmetic\(scaling_factor=0\.5\) \| 35\.0 \|/);
  assert.match(md, /\| pretrained \(zero-shot\) \| 40\.2 \|/);
});

test('bold: only the best merge of a column that beats zero-shot, and a legend says so', () => {
  const rep = buildReport(QUICK, []);
  const md = reportMarkdown(rep);
  // every merge is below zero-shot on both tasks: nothing bold
  assert.not.match(md, /\*\*\d/);
  assert.match(reportHtml(rep), /No merge or method beats the pretrained \(zero-shot\) model in any column, so nothing is bold\./);
  const better = buildReport([...QUICK, m('ties(threshold=20)', 'mnist', 0.45)], []);
  const md2 = reportMarkdown(better);
  assert.match(md2, /\| ties\(threshold=20\) \| \*\*45\.0\*\* \|/);
  assert.match(md2, /\*\*Bold\*\*: the best merge or method in the column, shown only where it beats the pretrained \(zero-shot\) model\./);
  assert.match(reportHtml(better), /<td class="num best">45\.0<\/td>/);
});

test("normalized accuracy (merged ÷ individual) and gain over zero-shot, FusionBench's views", () => {
  const rep = buildReport(QUICK, []);
  const norm = normalizedAccuracy(rep)!;
  const avg = norm.rows.find((r) => r.method === 'average')!;
  assert.is(avg.values['mnist'], roundHalfAway((100 * 37.85) / 50.1, 2));
  assert.is(avg.values['synth_shapes'], roundHalfAway((100 * 25.6) / 46.4, 2));
  const gain = gainOverZeroShot(rep)!;
  assert.is(gain.rows.find((r) => r.method === 'average')!.values['mnist'], -2.3);
  assert.is(gain.rows.find((r) => r.method === 'fine-tuned (individual)')!.values['mnist'], 9.95);
  const html = reportHtml(rep);
  assert.match(html, /<h2>Normalized accuracy \(%\)<\/h2>/);
  assert.match(html, /<h2>Gain over zero-shot \(points\)<\/h2>/);
  assert.match(html, /<h2>Evaluation loss<\/h2>/);
  assert.match(html, /<td class="num">2\.196<\/td>/);
});

test('a sweep (one parameter varied) gets an accuracy-vs-value plot', () => {
  const rows = [0.1, 0.3, 0.5, 0.7].flatMap((s, i) => [m(`task_arithmetic(scaling_factor=${s})`, 'mnist', 0.3 + i / 20), m(`task_arithmetic(scaling_factor=${s})`, 'synth_shapes', 0.2 + i / 50)]);
  const rep = buildReport([...QUICK.slice(0, 4), ...rows, m('ties(threshold=20)', 'mnist', 0.3)], []);
  const sw = sweeps(rep);
  assert.is(sw.length, 1);
  assert.is(sw[0]!.param, 'scaling_factor');
  assert.equal(sw[0]!.points.map((p) => p.x), [0.1, 0.3, 0.5, 0.7]);
  const html = reportHtml(rep);
  assert.match(html, /<h2>Sweep: task_arithmetic over scaling_factor<\/h2>/);
  assert.is((html.match(/<circle /g) ?? []).length, 12, 'a dot per (value, task or average)');
});

test('long CSV: one value per line with method, params, task, metric, run', () => {
  const rep = buildReport(QUICK, []);
  const rows = parseCsv(reportCsvLong(rep)).filter((r) => r.length > 1);
  assert.equal(rows[0], ['label', 'method', 'params', 'task', 'metric', 'value', 'run']);
  assert.ok(rows.some((r) => r.join('|') === 'task_arithmetic(scaling_factor=0.5)|task_arithmetic|scaling_factor=0.5|mnist|accuracy|34.95|'), rows.map((r) => r.join('|')).join('\n'));
  assert.ok(rows.some((r) => r.join('|') === 'average|average||synth_shapes|loss|2.1960|'));
  assert.is(rows.length, 1 + 4 * (2 * 3 + 1));
});

test("the run's copy: provenance, title after the workflow, each row's method and resolved parameters", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fbw-prov-'));
  try {
    const workflow = path.join(dir, 'quickstart.fbw');
    await writeFile(workflow, 'model base = clip-tiny\n');
    const st = (id: string, kind: Stage['kind'], method: string, params: Stage['params'], inputs: Stage['inputs'] = []): Stage => ({ id, kind, method, params, inputs, output: kind === 'eval' ? 'metrics' : 'model', label: id });
    const stages: Stage[] = [
      st('model.clip-tiny', 'pretrained', 'builtin', { name: 'clip-tiny' }),
      st('finetune.lora.mnist', 'finetune', 'lora', { r: 8, learning_rate: 0.005, seed: 42 }, [{ stage: 'model.clip-tiny', role: 'base' }]),
      st('merge.task_arithmetic', 'merge', 'task_arithmetic', { scaling_factor: 0.5 }, [{ stage: 'finetune.lora.mnist', role: 'model' }]),
      st('eval.ta.mnist', 'eval', 'accuracy', { row: 'task_arithmetic(scaling_factor=0.5)' }, [{ stage: 'merge.task_arithmetic', role: 'model' }]),
      st('eval.ft.mnist', 'eval', 'accuracy', { row: 'fine-tuned (individual)' }, [{ stage: 'finetune.lora.mnist', role: 'model' }]),
    ];
    const report: Stage = { ...st('report', 'report', 'report', {}, [{ stage: 'eval.ta.mnist', role: 'metrics' }, { stage: 'eval.ft.mnist', role: 'metrics' }]), output: 'report' };
    const out = path.join(dir, 'report');
    // a training log with float noise: stored rounded, accuracies in percent like the table
    const log = { stage: 'finetune.lora.mnist', task: 'mnist', entries: [1, 2, 3].map((i) => ({ step: i * 10, loss: 1.5 / i + 1e-9, lr: 0.005, seconds: i * 0.3333333, accuracy: 0.4375 + i / 100 })) };
    await writeReport(out, buildReport(QUICK, [log]));
    const prov = runProvenance({ run: '20261205-001502-832a', workflow, backend: 'native', now: new Date('2026-12-05T00:15:02Z') }, [...stages, report]);
    await stampReport(out, prov, rowSpecs(report, [...stages, report]));
    const json = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as { title: string; provenance: Record<string, unknown>; rows: { label: string; method: string; params: Record<string, unknown>; stage?: string }[] };
    assert.is(json.title, 'quickstart');
    assert.equal(json.provenance, {
      run: '20261205-001502-832a', created: '2026-12-05T00:15:02.000Z', workflow, workflow_sha256: createHash('sha256').update('model base = clip-tiny\n').digest('hex'),
      fbw_version: JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')).version, backend: 'native', seeds: { 'finetune.lora.mnist': 42 },
    });
    const ta = json.rows.find((r) => r.label === 'task_arithmetic(scaling_factor=0.5)')!;
    assert.equal({ method: ta.method, params: ta.params, stage: ta.stage }, { method: 'task_arithmetic', params: { scaling_factor: 0.5 }, stage: 'merge.task_arithmetic' });
    assert.equal(json.rows.find((r) => r.label === 'fine-tuned (individual)')!.params, { r: 8, learning_rate: 0.005, seed: 42 });
    // a row the graph does not explain falls back to its parsed label
    assert.equal(json.rows.find((r) => r.label === 'average')!.method, 'average');
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    assert.match(html, /<title>quickstart · 20261205-001502-832a<\/title>/);
    assert.match(html, /fbw <code>\d+\.\d+\.\d+<\/code>/);
    assert.match(await readFile(path.join(out, 'report.md'), 'utf8'), /^# quickstart\n\nrun `20261205-001502-832a` · workflow `[^`]+quickstart\.fbw` · workflow sha256 `[0-9a-f]{16}` · fbw `[^`]+` · date `2026-12-05T00:15:02\.000Z` · backend `native` · seeds `42 \(every seeded stage\)`/);
    assert.match(await readFile(path.join(out, 'report_long.csv'), 'utf8'), /,20261205-001502-832a\r\n/);
    const ft = (JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as { finetune: { last_batch_accuracy: number; log: { loss: number; accuracy: number; seconds: number }[] }[] }).finetune[0]!;
    assert.is(ft.last_batch_accuracy, 46.75);
    assert.equal(ft.log.map((e) => [e.loss, e.accuracy, e.seconds]), [[1.5, 44.75, 0.33], [0.75, 45.75, 0.67], [0.5, 46.75, 1]]);
    // reading the stamped JSON back gives the same report (the stamp is idempotent)
    const again = readReport(out);
    assert.is(reportJson(again), await readFile(path.join(out, 'report.json'), 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
