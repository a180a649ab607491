import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FIXTURE_CLASSES, fixtureImages } from '../ml-data/fixtures.js';
import { writeImageParquet } from '../ml-data/parquetWriter.js';
import { runGraph } from '../../src/scheduler/runGraph.js';
import { main } from '../../src/cli/main.js';
import { Store } from '../../src/store/Store.js';
import { tempDir, makeModelDir, pretrained, stage, graph, eventsOf } from './helpers.js';

/** A workflow with a model whose safetensors file is corrupt, a stage depending on it, and a healthy sibling. */
async function brokenWorkflow() {
  const dir = tempDir();
  const good = await makeModelDir(join(dir, 'good'), 1);
  const bad = await makeModelDir(join(dir, 'bad'), 2);
  writeFileSync(join(bad, 'model.safetensors'), Buffer.from('this is not a safetensors file at all'));
  const g = graph(join(dir, 'w.fbw'), [
    pretrained('model.bad', bad),
    pretrained('model.good', good),
    stage('head.bad.mnist', 'zeroshot_head', 'zeroshot', {}, [{ stage: 'model.bad', role: 'model' }], { task: 'mnist', output: 'head' }),
  ]);
  return { dir, bad, g };
}

function capture() {
  let out = '', err = '';
  const io = {
    stdout: Object.assign({ write: (s: string) => { out += s; return true; } }) as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => { err += s; return true; } } as unknown as NodeJS.WritableStream,
  };
  return { io, out: () => out, err: () => err };
}

test('a failing stage fails only its dependents; --keep-going lets the sibling finish', async () => {
  const { g } = await brokenWorkflow();
  const r = await runGraph(g, { devices: 'cpu:1', keepGoing: true });
  assert.is(r.status, 'failed');
  assert.equal(r.counts, { done: 1, cached: 0, failed: 1, skipped: 1 });
  const f = eventsOf(r.journal, 'failed')[0]!;
  assert.is(f.stage, 'model.bad');
  assert.match(f.error, /ModelFilesInvalid: .*model\.safetensors: corrupt safetensors/);
  assert.ok(existsSync(f.log), 'the failure names an existing log file');
  assert.ok(f.logTail.some((l) => l.includes('corrupt safetensors')), 'the log tail shows the error');
  assert.is(f.replay, `fbw replay ${r.run} --stage model.bad --store ${r.store}`);
  assert.equal(eventsOf(r.journal, 'skipped').map((e) => [e.stage, e.because]), [['head.bad.mnist', 'input model.bad failed']]);
  assert.equal(eventsOf(r.journal, 'committed').map((e) => e.stage), ['model.good']);
});

test('without --keep-going a failure stops launching new stages', async () => {
  const { g } = await brokenWorkflow();
  const r = await runGraph(g, { devices: 'cpu:1' });
  assert.is(r.status, 'failed');
  assert.equal(r.counts, { done: 0, cached: 0, failed: 1, skipped: 2 });
  assert.match(eventsOf(r.journal, 'skipped').find((e) => e.stage === 'model.good')!.because, /stopped after model.bad failed/);
});

test('fbw replay re-runs the failed stage of a run once it is fixed', async () => {
  const { dir, bad, g } = await brokenWorkflow();
  writeFileSync(join(dir, 'g.json'), JSON.stringify(g));
  const c1 = capture();
  const code1 = await main(['run', 'g.json', '--json', '--keep-going', '--devices', 'cpu:1'], { ...c1.io, cwd: dir, env: process.env });
  assert.is(code1, 1);
  const lines = c1.out().trim().split('\n').map((l) => JSON.parse(l));
  const last = lines.at(-1);
  assert.is(last.event, 'finished');
  assert.is(last.status, 'failed');
  const runId = lines[0].run as string;
  await makeModelDir(bad, 2); // repair the model file
  const c2 = capture();
  const code2 = await main(['replay', runId, '--json'], { ...c2.io, cwd: dir, env: process.env });
  assert.is(code2, 0, c2.err());
  const ev = c2.out().trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(ev.filter((e) => e.event === 'committed').map((e) => e.stage), ['model.bad']);
  assert.equal(ev.filter((e) => e.event === 'started').map((e) => e.stage), ['model.bad']);
  // the dependent was not part of the replay without --downstream; with it, it runs too
  assert.not.ok(ev.some((e) => e.stage === 'head.bad.mnist'));
});

test('a worker killed by a signal is a transient failure: retried with backoff, then committed', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  let killed = 0;
  const r = await runGraph(graph(join(dir, 'w.fbw'), [pretrained('model.a', a)]), {
    retryBaseMs: 10,
    subscribers: [(e) => { if (e.event === 'started' && e.attempt === 1 && e.pid) { process.kill(e.pid, 'SIGKILL'); killed++; } }],
  });
  assert.is(killed, 1);
  assert.is(r.status, 'ok');
  const rt = eventsOf(r.journal, 'retried');
  assert.is(rt.length, 1);
  assert.match(rt[0]!.reason, /WorkerDied: .*SIGKILL/);
  assert.equal(eventsOf(r.journal, 'started').map((e) => e.attempt), [1, 2]);
});

test('a second run on a store in use refuses with a clear message', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  writeFileSync(join(dir, 'g.json'), JSON.stringify(graph(join(dir, 'w.fbw'), [pretrained('model.a', a)])));
  const store = new Store(join(dir, '.fbw')).init();
  const { acquireLock } = await import('../../src/store/lock.js');
  const held = acquireLock(store.lockFile, { run: 'someone-else' });
  const c = capture();
  const code = await main(['run', 'g.json'], { ...c.io, cwd: dir, env: process.env });
  held.release();
  assert.is(code, 1);
  assert.match(c.err(), /in use by another fbw run \(pid \d+, run someone-else/);
  assert.match(c.err(), /--wait/);
  void readFileSync;
});

test('--wait queues behind a live run instead of refusing', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  const store = new Store(join(dir, '.fbw')).init();
  const { acquireLock } = await import('../../src/store/lock.js');
  const held = acquireLock(store.lockFile, { run: 'first' });
  let waited = '';
  const r = await runGraph(graph(join(dir, 'w.fbw'), [pretrained('model.a', a)]), {
    wait: true,
    onWait: (h) => { waited = h.run ?? ''; setTimeout(() => held.release(), 50); },
  });
  assert.is(waited, 'first');
  assert.is(r.status, 'ok');
});

test('a corrupt image in a data set fails its stage with the file and the row, and no stack trace in the log tail', async () => {
  const dir = tempDir();
  const data = join(dir, 'shapes');
  mkdirSync(data);
  const rows = fixtureImages('test').map((r) => ({ bytes: r.bytes, path: r.name, label: r.cls }));
  rows[2] = { ...rows[2]!, bytes: rows[2]!.bytes.subarray(0, 40) };
  writeFileSync(join(data, 'train-00000-of-00001.parquet'), writeImageParquet(rows.slice(0, 2)));
  writeFileSync(join(data, 'test-00000-of-00001.parquet'), writeImageParquet(rows));
  writeFileSync(join(data, 'classnames.json'), JSON.stringify(FIXTURE_CLASSES));
  const tiny = fileURLToPath(new URL('../../../models/clip-tiny', import.meta.url));
  const g = graph(join(dir, 'w.fbw'), [
    pretrained('model.tiny', tiny),
    stage('head.tiny.shapes', 'zeroshot_head', 'zeroshot', {}, [{ stage: 'model.tiny', role: 'model' }], { task: data, output: 'head' }),
    stage('eval.tiny.shapes', 'eval', 'accuracy', { row: 'tiny' }, [{ stage: 'model.tiny', role: 'model' }, { stage: 'head.tiny.shapes', role: 'head' }], { task: data }),
  ]);
  const r = await runGraph(g, { devices: 'cpu:1' });
  assert.is(r.status, 'failed');
  const f = eventsOf(r.journal, 'failed')[0]!;
  assert.is(f.stage, 'eval.tiny.shapes', f.error);
  assert.match(f.error, /DatasetFormatError: .*test-00000-of-00001\.parquet row 2: /);
  assert.ok(f.logTail.some((l) => l.includes('test-00000-of-00001.parquet row 2: ')), 'the log tail names the file and the row');
  assert.not.ok(f.logTail.some((l) => /^\s+at /.test(l) || /\(file:\/\//.test(l)), `no stack trace in the log tail:\n${f.logTail.join('\n')}`);
});

test.run();
