import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { runGraph } from '../../src/scheduler/runGraph.js';
import { Store } from '../../src/store/Store.js';
import { tempDir, makeModelDir, pretrained, graph, eventsOf, stage } from './helpers.js';
import { makeTinyClip } from './tinyClip.js';

test('a second run executes no stage: everything cached', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  const b = await makeModelDir(join(dir, 'b'), 2);
  const g = graph(join(dir, 'w.fbw'), [pretrained('model.a', a), pretrained('model.b', b)]);
  const r1 = await runGraph(g, { devices: 'cpu:2' });
  assert.is(r1.status, 'ok');
  assert.equal(r1.counts, { done: 2, cached: 0, failed: 0, skipped: 0 });
  const store = new Store(r1.store);
  const keyA = eventsOf(r1.journal, 'committed').find((e) => e.stage === 'model.a')!.key;
  assert.ok(store.verify(keyA).ok);
  assert.equal(readFileSync(join(store.objectDir(keyA), 'model.safetensors')), readFileSync(join(a, 'model.safetensors')));
  const r2 = await runGraph(g, { devices: 'cpu:2' });
  assert.is(r2.status, 'ok');
  assert.equal(r2.counts, { done: 0, cached: 2, failed: 0, skipped: 0 });
  assert.is(eventsOf(r2.journal, 'started').length, 0);
});

test('editing a model file changes the key: that stage runs again, the other stays cached', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  const b = await makeModelDir(join(dir, 'b'), 2);
  const g = graph(join(dir, 'w.fbw'), [pretrained('model.a', a), pretrained('model.b', b)]);
  await runGraph(g, {});
  await makeModelDir(join(dir, 'b'), 3);
  const r = await runGraph(g, {});
  assert.equal(r.counts, { done: 1, cached: 1, failed: 0, skipped: 0 });
  assert.equal(eventsOf(r.journal, 'committed').map((e) => e.stage), ['model.b']);
});

test('a flipped byte in a committed artifact: only that stage and its dependents recompute', async () => {
  const dir = tempDir();
  const a = await makeTinyClip(join(dir, 'a'), 1);
  const b = await makeTinyClip(join(dir, 'b'), 2);
  const g = graph(join(dir, 'w.fbw'), [
    pretrained('model.a', a), pretrained('model.b', b),
    stage('merge.average', 'merge', 'simple_average', {}, [{ stage: 'model.a', role: 'base' }, { stage: 'model.a', role: 'model' }, { stage: 'model.b', role: 'model' }]),
    stage('merge.again', 'merge', 'simple_average', {}, [{ stage: 'model.a', role: 'base' }, { stage: 'merge.average', role: 'model' }, { stage: 'model.b', role: 'model' }]),
  ]);
  const r1 = await runGraph(g, { devices: 'cpu:2' });
  assert.is(r1.status, 'ok', JSON.stringify(eventsOf(r1.journal, 'failed')));
  const key = eventsOf(r1.journal, 'committed').find((e) => e.stage === 'merge.average')!.key;
  const store = new Store(r1.store);
  const f = join(store.objectDir(key), 'model.safetensors');
  const buf = readFileSync(f);
  buf[buf.length - 3]! ^= 0x40;
  writeFileSync(f, buf);
  const r2 = await runGraph(g, { devices: 'cpu:2' });
  assert.is(r2.status, 'ok');
  assert.equal(eventsOf(r2.journal, 'cached').map((e) => e.stage).sort(), ['model.a', 'model.b']);
  assert.equal(eventsOf(r2.journal, 'committed').map((e) => e.stage), ['merge.average', 'merge.again']);
  // recomputed bit for bit, and verified again
  assert.ok(store.verify(key).ok);
  assert.is.not(readFileSync(f)[buf.length - 3], buf[buf.length - 3]);
});

test('two declarations of the same model files are one piece of work', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  const r = await runGraph(graph(join(dir, 'w.fbw'), [pretrained('model.a', a), pretrained('model.same', a)]), { devices: 'cpu:2' });
  assert.is(r.status, 'ok');
  assert.equal(eventsOf(r.journal, 'started').map((e) => e.stage), ['model.a']);
  assert.equal(eventsOf(r.journal, 'cached').map((e) => e.stage), ['model.same']);
});

test('`-> save DIR`: the committed output is copied there, and again when it goes missing', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  const out = join(dir, 'saved', 'model-a');
  const g = graph(join(dir, 'w.fbw'), [pretrained('model.a', a, { saveTo: out })]);
  await runGraph(g, {});
  assert.equal(readFileSync(join(out, 'model.safetensors')), readFileSync(join(a, 'model.safetensors')));
  rmSync(join(dir, 'saved'), { recursive: true });
  const r2 = await runGraph(g, {});
  assert.equal(r2.counts, { done: 0, cached: 1, failed: 0, skipped: 0 });
  assert.ok(existsSync(join(out, 'config.json')));
});

test.run();
