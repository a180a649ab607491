// The in-process executor runs the real stage code without worker processes: a merge workflow
// gives byte-identical artifacts and the same events as the forking local executor, and a
// failing stage fails the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { runGraph } from '../../src/scheduler/runGraph.js';
import { inProcessExecutor } from '../../src/devices/inProcessExecutor.js';
import { Store } from '../../src/store/Store.js';
import { tempDir, pretrained, stage, graph, eventsOf } from './helpers.js';
import { makeTinyClip } from './tinyClip.js';

async function mergeGraph(dir: string) {
  const a = await makeTinyClip(join(dir, 'a'), 1);
  const b = await makeTinyClip(join(dir, 'b'), 2);
  return graph(join(dir, 'w.fbw'), [
    pretrained('model.a', a), pretrained('model.b', b),
    stage('merge.ta', 'merge', 'task_arithmetic', { scaling_factor: 0.3 }, [{ stage: 'model.a', role: 'base' }, { stage: 'model.a', role: 'model' }, { stage: 'model.b', role: 'model' }]),
  ]);
}

test('in-process and forked workers commit the same artifacts with the same events', async () => {
  const dir = tempDir('fbw-inproc-');
  const g = await mergeGraph(dir);
  const local = await runGraph(g, { store: join(dir, 'local') });
  const inproc = await runGraph(g, { store: join(dir, 'inproc'), executor: inProcessExecutor() });
  assert.is(local.status, 'ok');
  assert.is(inproc.status, 'ok');
  const kinds = (j: string) => eventsOf(j, 'committed').map((e) => `${e.stage}:${e.key}`).sort();
  assert.equal(kinds(inproc.journal), kinds(local.journal));
  // merge.json records the merge's wall time: every other file must be byte-identical
  const files = (root: string, key: string) => new Store(root).readManifest(key)!.files.filter((f) => f.path !== 'merge.json').map((f) => `${f.path}:${f.sha256}`);
  for (const e of eventsOf(local.journal, 'committed')) assert.equal(files(join(dir, 'inproc'), e.key), files(join(dir, 'local'), e.key), e.stage);
  assert.ok(eventsOf(inproc.journal, 'started').every((e) => e.pid === process.pid), 'no worker process was started');
});

test('a failing stage fails in-process as it does in a worker, and its dependents are skipped', async () => {
  const dir = tempDir('fbw-inproc-');
  const g = graph(join(dir, 'w.fbw'), [
    pretrained('model.a', join(dir, 'nowhere')),
    stage('merge.x', 'merge', 'average', {}, [{ stage: 'model.a', role: 'model' }]),
  ]);
  const r = await runGraph(g, { store: join(dir, 's'), executor: inProcessExecutor() });
  assert.is(r.status, 'failed');
  assert.match(eventsOf(r.journal, 'failed')[0]!.error, /ModelNotFound|cannot be keyed|not found/);
  assert.is(eventsOf(r.journal, 'skipped')[0]?.stage, 'merge.x');
});

test.run();
