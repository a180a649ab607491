import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fbw as runFbw } from '../shared/helpers.js';
import { buildReport, writeReport } from '../../src/report/index.js';
import type { RunEvent } from '../../src/protocol/events.js';
import { loadEvents } from './fixtures.js';

// an empty environment: no NO_COLOR/TERM/HOME of the machine running the tests leaks in
const fbw = (cwd: string, ...args: string[]) => runFbw(args, cwd, {});

/** A project folder with a real store layout holding the fixture runs, their logs and a report. */
function project(): { root: string; store: string; runDir: (id: string) => string } {
  const root = mkdtempSync(path.join(tmpdir(), 'fbw-show-'));
  const store = path.join(root, '.fbw');
  const runDir = (id: string): string => path.join(store, 'runs', id);
  const write = (id: string, events: RunEvent[]): void => {
    mkdirSync(path.join(runDir(id), 'logs'), { recursive: true });
    const fixed = events.map((e) => JSON.parse(JSON.stringify({ ...e, run: id }).replaceAll('/home/u/proj/.fbw', store).replaceAll('20261125-152000-a1b2', id)) as RunEvent);
    writeFileSync(path.join(runDir(id), 'journal.jsonl'), fixed.map((e) => JSON.stringify(e)).join('\n') + '\n');
    for (const e of fixed) if (e.event === 'started') writeFileSync(e.log, `${e.stage} started on ${e.device}\nstep 100 loss 0.5\n`);
  };
  write('20261125-150000-aaaa', loadEvents('failed'));
  write('20261125-152000-bbbb', loadEvents('finished'));
  return { root, store, runDir };
}

test('show: per-stage outcomes and timings, failure with replay, no report for a failed run', async () => {
  const p = project();
  try {
    const r = await fbw(p.root, 'show', 'aaaa');
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^run 20261125-150000-aaaa  failed in 24s\n/);
    assert.match(r.out, /1 done, 3 cached, 1 failed, 4 skipped of 9 stages/);
    assert.match(r.out, /✔ finetune\.full\.mnist\s+finetune\s+mnist\s+cpu:0\s+done\s+2\ds\s+93\.1%\s+1/);
    assert.match(r.out, /✖ finetune\.full\.synth_shapes .*failed[\s\S]*replay fbw replay 20261125-150000-aaaa --stage finetune\.full\.synth_shapes/);
    assert.match(r.out, /⊘ report\s+report\s+skipped\n\s+because finetune\.full\.synth_shapes failed/);
    assert.match(r.out, /No report: the run did not commit a report stage\./);
  } finally { rmSync(p.root, { recursive: true, force: true }); }
});

test('show last: the report table of a finished run; --json summary', async () => {
  const p = project();
  try {
    await writeReport(path.join(p.runDir('20261125-152000-bbbb'), 'report'), buildReport([{ task: 'mnist', row: 'average', accuracy: 0.71, loss: 0.9, n: 2000 }, { task: 'synth_shapes', row: 'average', accuracy: 0.64, loss: 1.1, n: 2000 }], []));
    const r = await fbw(p.root, 'show', 'last');
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^run 20261125-152000-bbbb  ok in 30s/);
    assert.match(r.out, /\| Method \| mnist \| synth_shapes \| Avg\. \|\n\| --- \| ---: \| ---: \| ---: \|\n\| average \| 71\.0 \| 64\.0 \| 67\.5 \|/);
    const j = await fbw(path.join(p.root), 'show', '20261125-152000', '--json');
    assert.is(j.code, 0, j.err);
    const doc = JSON.parse(j.out) as { status: string; stages: { id: string; status: string; seconds: number | null }[]; counts: { done: number; cached: number } };
    assert.is(doc.status, 'ok');
    assert.is(doc.counts.done, 6);
    assert.is(doc.counts.cached, 3);
    assert.is(doc.stages.find((s) => s.id === 'merge.average')!.seconds, 0.8);
  } finally { rmSync(p.root, { recursive: true, force: true }); }
});

test('show: unknown run suggests, missing store is a clear error, usage errors exit 2', async () => {
  const p = project();
  try {
    const r = await fbw(p.root, 'show', '20261125-152000-bbbc');
    assert.is(r.code, 1);
    assert.match(r.err, /no run '20261125-152000-bbbc' .* did you mean '20261125-152000-bbbb'\?/);
    const none = await fbw(tmpdir(), 'show', 'last', '--store', path.join(p.root, 'nope'));
    assert.is(none.code, 1);
    assert.match(none.err, /no fbw store at .*nope/);
    assert.is((await fbw(p.root, 'show')).code, 2);
    const bad = await fbw(p.root, 'show', 'last', '--jsn');
    assert.is(bad.code, 2);
    assert.match(bad.err, /did you mean '--json'\?/);
  } finally { rmSync(p.root, { recursive: true, force: true }); }
});

test('logs: prints a stage log by id or unique part; suggests on typos; cached stages explain', async () => {
  const p = project();
  try {
    const r = await fbw(p.root, 'logs', 'last', 'merge.average');
    assert.is(r.code, 0, r.err);
    assert.is(r.out, 'merge.average started on cpu:0\nstep 100 loss 0.5\n');
    assert.is((await fbw(p.root, 'logs', 'aaaa', 'synth_shapes')).code, 1, 'ambiguous part of an id');
    const typo = await fbw(p.root, 'logs', 'last', 'merge.averag');
    assert.is(typo.code, 0, 'a unique part of an id is enough');
    const wrong = await fbw(p.root, 'logs', 'last', 'merge.avrage');
    assert.is(wrong.code, 1);
    assert.match(wrong.err, /did you mean 'merge\.average'\?/);
    const cached = await fbw(p.root, 'logs', 'last', 'model.clip-tiny');
    assert.is(cached.code, 1);
    assert.match(cached.err, /it was cached in this run, and no earlier run in this store computed it/);
    const list = await fbw(p.root, 'logs', 'last');
    assert.is(list.code, 2);
    assert.match(list.err, /missing STAGE; stages of run 20261125-152000-bbbb:\n  model\.clip-tiny/);
  } finally { rmSync(p.root, { recursive: true, force: true }); }
});

test('logs of a cached stage come from the run that computed it', async () => {
  const p = project();
  try {
    const events = loadEvents('finished');
    const key = (events.find((e) => e.event === 'cached' && e.stage === 'model.clip-tiny') as Extract<RunEvent, { event: 'cached' }>).key;
    const id = '20261125-140000-eeee';
    mkdirSync(path.join(p.runDir(id), 'logs'), { recursive: true });
    const log = path.join(p.runDir(id), 'logs', 'model.clip-tiny.log');
    writeFileSync(log, 'resolved clip-tiny\n');
    const j = [
      { t: 1, run: id, event: 'started', stage: 'model.clip-tiny', key, device: 'cpu', attempt: 1, log },
      { t: 2, run: id, event: 'committed', stage: 'model.clip-tiny', key, seconds: 1 },
    ];
    writeFileSync(path.join(p.runDir(id), 'journal.jsonl'), j.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await fbw(p.root, 'logs', '20261125-152000-bbbb', 'model.clip-tiny');
    assert.is(r.code, 0, r.err);
    assert.is(r.out, 'resolved clip-tiny\n');
    assert.match(r.err, /was cached in run 20261125-152000-bbbb; this is its log from run 20261125-140000-eeee/);
  } finally { rmSync(p.root, { recursive: true, force: true }); }
});

test('logs -f: follows new lines and stops when the stage commits', async () => {
  const p = project();
  try {
    const id = '20261125-160000-cccc';
    const dir = p.runDir(id);
    mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const log = path.join(dir, 'logs', 'finetune.full.mnist.log');
    const ev = (e: object): string => JSON.stringify({ run: id, t: Date.now(), ...e }) + '\n';
    writeFileSync(path.join(dir, 'journal.jsonl'), ev({ event: 'run', file: 'w.fbw', store: p.store, devices: ['cpu'], backend: 'cpu', stages: [{ id: 'finetune.full.mnist', kind: 'finetune', label: 'x', task: 'mnist', inputs: [] }] }) + ev({ event: 'started', stage: 'finetune.full.mnist', key: 'k', device: 'cpu', attempt: 1, log }));
    writeFileSync(log, 'step 1\n');
    const following = fbw(p.root, 'logs', id, 'finetune.full.mnist', '-f');
    await new Promise((r) => setTimeout(r, 300));
    appendFileSync(log, 'step 2\n');
    await new Promise((r) => setTimeout(r, 300));
    appendFileSync(log, 'step 3\ndone\n');
    appendFileSync(path.join(dir, 'journal.jsonl'), ev({ event: 'committed', stage: 'finetune.full.mnist', key: 'k', seconds: 1 }));
    const r = await following;
    assert.is(r.code, 0, r.err);
    assert.is(r.out, 'step 1\nstep 2\nstep 3\ndone\n');
  } finally { rmSync(p.root, { recursive: true, force: true }); }
});

test('logs: a part matching several stages follows the running one, else lists them to pick from', async () => {
  const p = project();
  try {
    const id = '20261125-170000-dddd';
    const dir = p.runDir(id);
    mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const ev = (e: object): string => JSON.stringify({ run: id, t: Date.now(), ...e }) + '\n';
    const stages = ['finetune.lora.mnist', 'eval.lora.mnist', 'eval.clip-tiny.mnist'].map((s) => ({ id: s, kind: s.split('.')[0], label: s, task: 'mnist', inputs: [] }));
    const log = path.join(dir, 'logs', 'finetune.lora.mnist.log');
    writeFileSync(log, 'step 10/200 loss 1.2345 acc 43.8% lr 5.00e-3\n');
    writeFileSync(path.join(dir, 'journal.jsonl'), ev({ event: 'run', file: 'w.fbw', store: p.store, devices: ['cpu'], backend: 'cpu', stages })
      + ev({ event: 'committed', stage: 'eval.clip-tiny.mnist', key: 'a', seconds: 1 })
      + ev({ event: 'started', stage: 'finetune.lora.mnist', key: 'k', device: 'cpu', attempt: 1, log }));
    const r = await fbw(p.root, 'logs', id, 'mnist');
    assert.is(r.code, 0, r.err);
    assert.match(r.err, /'mnist' matches 3 stages; showing the running one, finetune\.lora\.mnist/);
    assert.is(r.out, 'step 10/200 loss 1.2345 acc 43.8% lr 5.00e-3\n');
    appendFileSync(path.join(dir, 'journal.jsonl'), ev({ event: 'committed', stage: 'finetune.lora.mnist', key: 'k', seconds: 1 }));
    const none = await fbw(p.root, 'logs', id, 'mnist');
    assert.is(none.code, 1);
    assert.match(none.err, /'mnist' matches 3 stages of run 20261125-170000-dddd; name one:\n  finetune\.lora\.mnist  \(done\)\n  eval\.lora\.mnist  \(\w+\)\n  eval\.clip-tiny\.mnist  \(done\)/);
  } finally { rmSync(p.root, { recursive: true, force: true }); }
});

test('open: prints the HTML report path, or says why there is none', async () => {
  const p = project();
  try {
    const rep = path.join(p.runDir('20261125-152000-bbbb'), 'report');
    await writeReport(rep, buildReport([{ task: 'mnist', row: 'average', accuracy: 0.71, loss: 0.9, n: 2000 }], []));
    const r = await fbw(p.root, 'open', 'bbbb');
    assert.is(r.code, 0, r.err);
    assert.is(r.out, path.join(rep, 'report.html') + '\n');
    assert.is((await fbw(p.root, 'open', 'bbbb', '--format', 'csv')).out, path.join(rep, 'report.csv') + '\n');
    const failed = await fbw(p.root, 'open', 'aaaa');
    assert.is(failed.code, 1);
    assert.match(failed.err, /has no html report: it finished failed without committing a report stage/);
    assert.is((await fbw(p.root, 'open', 'bbbb', '--format', 'pdf')).code, 2);
  } finally { rmSync(p.root, { recursive: true, force: true }); }
});

test('help of each command has usage, examples and exit codes', async () => {
  for (const name of ['show', 'logs', 'open']) {
    const r = await fbw(tmpdir(), name, '--help');
    assert.is(r.code, 0);
    assert.match(r.out, new RegExp(`^Usage: fbw ${name} RUN`));
    assert.match(r.out, /Examples:/);
    assert.match(r.out, /Exit codes:/);
  }
});

test.run();
