import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync, existsSync } from 'node:fs';
import { fbw as runFbw } from '../shared/helpers.js';
import { Store } from '../../src/store/Store.js';
import type { Stage } from '../../src/compile/ir.js';
import { tempDir, pretrained, stage } from './helpers.js';
import { makeTinyClip } from './tinyClip.js';

const fbw = (cwd: string, ...args: string[]) => runFbw(args, cwd);

async function mergeWorkflow(scaling: number) {
  const dir = tempDir('fbw-cmd-');
  const a = await makeTinyClip(join(dir, 'a'), 1);
  const b = await makeTinyClip(join(dir, 'b'), 2);
  const write = (s: number) => {
    const stages: Stage[] = [
      pretrained('model.a', a), pretrained('model.b', b),
      stage('merge.ta', 'merge', 'task_arithmetic', { scaling_factor: s }, [{ stage: 'model.a', role: 'base' }, { stage: 'model.a', role: 'model' }, { stage: 'model.b', role: 'model' }]),
    ];
    writeFileSync(join(dir, 'g.json'), JSON.stringify({ stages }));
  };
  write(scaling);
  return { dir, a, b, write };
}

test('plan and why name the changed parameter; why follows a changed input to its cause', async () => {
  const w = await mergeWorkflow(0.3);
  assert.is((await fbw(w.dir, 'run', 'g.json', '--json')).code, 0);
  const p0 = await fbw(w.dir, 'plan', 'g.json');
  assert.match(p0.out, /merge\.ta\s+cached/);
  assert.match(p0.out, /3 stages: 3 cached, 0 resumable, 0 to run/);
  w.write(0.5);
  const p1 = await fbw(w.dir, 'plan', 'g.json');
  assert.match(p1.out, /merge\.ta\s+to run\s+changed since last commit: params\.scaling_factor: 0\.3 -> 0\.5/);
  const y1 = await fbw(w.dir, 'why', 'g.json', 'merge.ta');
  assert.match(y1.out, /merge\.ta: key changed .*1 component changed/);
  assert.match(y1.out, /params\.scaling_factor: 0\.3 -> 0\.5/);
  // a new model file upstream: the merge's input key changed because model.b's content did
  w.write(0.3);
  await makeTinyClip(join(w.dir, 'b2'), 3);
  for (const f of ['model.safetensors']) writeFileSync(join(w.b, f), (await import('node:fs')).readFileSync(join(w.dir, 'b2', f)));
  const y2 = await fbw(w.dir, 'why', 'g.json', 'merge.ta');
  assert.match(y2.out, /input model from model\.b: [0-9a-f]{12} -> [0-9a-f]{12}/);
  assert.match(y2.out, /model\.b: key changed .*\n\s+content \(model files\)/);
  const y3 = await fbw(w.dir, 'why', 'g.json', 'merge.tq');
  assert.is(y3.code, 1);
  assert.match(y3.err, /no stage 'merge.tq' .*did you mean 'merge.ta'/);
});

test('runs lists each run; gc keeps what recent runs use and removes the rest', async () => {
  const w = await mergeWorkflow(0.3);
  assert.is((await fbw(w.dir, 'run', 'g.json', '--json')).code, 0);
  w.write(0.7);
  assert.is((await fbw(w.dir, 'run', 'g.json', '--json')).code, 0);
  const runs = await fbw(w.dir, 'runs');
  const lines = runs.out.trim().split('\n');
  assert.is(lines.length, 3);
  assert.match(lines[0]!, /RUN\s+STATUS\s+START \(UTC\)\s+DURATION\s+RAN\s+CACHED\s+FAILED/);
  assert.match(lines[1]!, /ok .* 3\s+0\s+0 /);
  assert.match(lines[2]!, /ok .* 1\s+2\s+0 /);
  const store = new Store(join(w.dir, '.fbw'));
  assert.is(store.listObjects().length, 4);
  const dry = await fbw(w.dir, 'gc', '--keep-runs', '1', '--dry-run');
  assert.match(dry.out, /would remove 1 objects/);
  assert.is(store.listObjects().length, 4);
  const gc = await fbw(w.dir, 'gc', '--keep-runs', '1');
  assert.match(gc.out, /removed 1 objects .* 1 old runs/);
  assert.is(store.listObjects().length, 3);
  assert.is(store.listRuns().length, 1);
  // everything the kept run used is still cached
  const p = await fbw(w.dir, 'plan', 'g.json');
  assert.match(p.out, /3 stages: 3 cached/);
  assert.ok(existsSync(store.root));
});

test('replay runs the chosen stages, their dependents with --downstream, and reads their inputs', async () => {
  const { replayGraph } = await import('../../src/cli/commands/replay.js');
  const g = { file: 'w.fbw', stages: [
    pretrained('a', '/x'), pretrained('b', '/y'),
    stage('m', 'merge', 'simple_average', {}, [{ stage: 'a', role: 'base' }, { stage: 'b', role: 'model' }]),
    stage('e', 'eval', 'accuracy', {}, [{ stage: 'm', role: 'model' }]),
    stage('other', 'merge', 'simple_average', {}, [{ stage: 'a', role: 'base' }]),
  ] };
  const r1 = replayGraph(g, ['m'], false);
  assert.equal(r1.graph.stages.map((s) => s.id), ['a', 'b', 'm']);
  assert.equal([...r1.force], ['m']);
  const r2 = replayGraph(g, ['m'], true);
  assert.equal(r2.graph.stages.map((s) => s.id), ['a', 'b', 'm', 'e']);
  assert.equal([...r2.force].sort(), ['e', 'm']);
});

test.run();
