// One rule for finding the store (run, runs, show, logs, open, replay, gc), hints that work when
// pasted, replays that say so and are not "last", gc that keeps each workflow's latest results.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fbw, tempDir } from './helpers.js';
import { Store } from '../../src/store/Store.js';
import { storeFlag, rememberStore } from '../../src/store/locateStore.js';
import { pretrained, stage } from '../scheduler/helpers.js';
import { makeTinyClip } from '../scheduler/tinyClip.js';
import { writeWorkflow } from '../shared/helpers.js';

// the per-user index of stores lives in a temp folder for these tests
const env = { ...process.env, FBW_STATE_DIR: tempDir('fbw-state-') };

/** A project with a merge workflow (as a compiled graph) in a sub-folder, like workflows/ in the repo. */
async function project() {
  const dir = tempDir('fbw-proj-');
  mkdirSync(join(dir, 'workflows'));
  const a = await makeTinyClip(join(dir, 'a'), 1);
  const b = await makeTinyClip(join(dir, 'b'), 2);
  const write = (file: string, scaling: number) => writeFileSync(join(dir, 'workflows', file), JSON.stringify({ stages: [
    pretrained('model.a', a), pretrained('model.b', b),
    stage('merge.ta', 'merge', 'task_arithmetic', { scaling_factor: scaling }, [{ stage: 'model.a', role: 'base' }, { stage: 'model.a', role: 'model' }, { stage: 'model.b', role: 'model' }]),
  ] }));
  write('g.json', 0.3);
  return { dir, write };
}

test('after `fbw run workflows/g.json` from the project root, runs/show/logs/open find its store', async () => {
  const p = await project();
  const r = await fbw(['run', 'workflows/g.json', '--json'], p.dir, env);
  assert.is(r.code, 0, r.err);
  assert.ok(existsSync(join(p.dir, 'workflows', '.fbw', 'runs')));
  assert.not.ok(existsSync(join(p.dir, '.fbw')));
  const runs = await fbw(['runs'], p.dir, env);
  assert.is(runs.code, 0, runs.err);
  assert.is(runs.out.trim().split('\n').length, 2);
  const show = await fbw(['show', 'last'], p.dir, env);
  assert.is(show.code, 0, show.err);
  assert.match(show.out, /merge\.ta/);
  const logs = await fbw(['logs', 'last', 'merge.ta'], p.dir, env);
  assert.is(logs.code, 0, logs.err);
  const open = await fbw(['open', 'last'], p.dir, env);
  assert.is(open.code, 1);
  assert.match(open.err, /has no html report/);
  // from inside workflows/ the walk-up rule finds it too; from an unrelated folder nothing is found
  assert.is((await fbw(['show', 'last'], join(p.dir, 'workflows'), { ...env, FBW_STATE_DIR: tempDir('fbw-state-') })).code, 0);
  const none = await fbw(['show', 'last'], tempDir('fbw-elsewhere-'), env);
  assert.is(none.code, 1);
  assert.match(none.err, /no fbw store found.*pass --store DIR/);
});

test('hints add --store exactly when the command typed here would not find the store', () => {
  const cwd = tempDir('fbw-hint-');
  const store = join(cwd, 'sub', '.fbw');
  mkdirSync(join(store, 'runs'), { recursive: true });
  const e = { ...process.env, FBW_STATE_DIR: tempDir('fbw-state-') };
  assert.is(storeFlag(store, cwd, e), ' --store sub/.fbw');
  rememberStore(cwd, store, e);
  assert.is(storeFlag(store, cwd, e), '');
  assert.is(storeFlag(store, tempDir('fbw-other-'), e).startsWith(' --store /'), true);
});

test('replay: accepts last and a suffix, says whether the output is identical, is listed as a replay, and is not `last` for show', async () => {
  const p = await project();
  assert.is((await fbw(['run', 'workflows/g.json', '--json'], p.dir, env)).code, 0);
  const first = (await fbw(['runs', '--json'], p.dir, env)).out.trim();
  const runId = (JSON.parse(first) as { run: string }).run;
  const rep = await fbw(['replay', 'last', '--stage', 'merge.ta', '--json'], p.dir, env);
  assert.is(rep.code, 0, rep.err);
  assert.match(rep.err, /replay merge\.ta: recomputed output is identical to the committed one/, rep.err);
  const rep2 = await fbw(['replay', runId.slice(-4), '--stage', 'merge.ta', '--json'], p.dir, env);
  assert.is(rep2.code, 0, rep2.err);
  const runs = await fbw(['runs'], p.dir, env);
  assert.match(runs.out, new RegExp(`\\(replay of ${runId}\\)`));
  const show = await fbw(['show', 'last', '--json'], p.dir, env);
  assert.is((JSON.parse(show.out) as { run: string }).run, runId);
  const unknown = await fbw(['replay', 'nosuchrun'], p.dir, env);
  assert.is(unknown.code, 1);
  assert.match(unknown.err, /no run 'nosuchrun'/);
  const badStage = await fbw(['replay', 'last', '--stage', 'merge.tq'], p.dir, env);
  assert.is(badStage.code, 1);
  assert.match(badStage.err, /did you mean 'merge\.ta'/);
});

test('gc keeps the latest run of each workflow; --dry-run lists stages and runs; --json', async () => {
  const p = await project();
  assert.is((await fbw(['run', 'workflows/g.json', '--json'], p.dir, env)).code, 0);
  p.write('h.json', 0.7);
  assert.is((await fbw(['run', 'workflows/h.json', '--json'], p.dir, env)).code, 0);
  assert.is((await fbw(['replay', 'last', '--stage', 'merge.ta', '--json'], p.dir, env)).code, 0);
  const store = new Store(join(p.dir, 'workflows', '.fbw'));
  const objects = store.listObjects().length;
  // --keep-runs 1 keeps the replay; g.json's and h.json's latest runs are kept too
  const dry = await fbw(['gc', '--keep-runs', '1', '--dry-run'], p.dir, env);
  assert.is(dry.code, 0, dry.err);
  assert.match(dry.out, /would remove 0 objects .* 0 old runs; kept .* \(3 runs\)/);
  // a third run of g.json with another factor: the first run of g.json is no longer its latest
  p.write('g.json', 0.5);
  assert.is((await fbw(['run', 'workflows/g.json', '--json'], p.dir, env)).code, 0);
  const dry2 = await fbw(['gc', '--keep-runs', '1', '--dry-run'], p.dir, env);
  assert.match(dry2.out, /object\s+[0-9a-f]{12}\s+merge\.ta/);
  assert.match(dry2.out, /run\s+\d{8}-\d{6}/);
  assert.is(store.listObjects().length, objects + 1);
  const json = await fbw(['gc', '--keep-runs', '1', '--json'], p.dir, env);
  assert.is(json.code, 0, json.err);
  const r = JSON.parse(json.out) as { objects: { stage: string }[]; runs: string[]; dryRun: boolean };
  assert.is(r.dryRun, false);
  assert.equal(r.objects.map((o) => o.stage), ['merge.ta']);
  assert.is(r.runs.length, 2); // g.json's first run and the replay
  // both workflows are still fully cached
  for (const f of ['g.json', 'h.json']) assert.match((await fbw(['plan', `workflows/${f}`], p.dir, env)).out, /3 stages: 3 cached/);
});

test('runs --last and gc --keep-runs reject bad numbers as usage errors', async () => {
  const p = await project();
  assert.is((await fbw(['run', 'workflows/g.json', '--json'], p.dir, env)).code, 0);
  for (const n of ['0', 'abc', '-1']) {
    const r = await fbw(['runs', '--last', n], p.dir, env);
    assert.is(r.code, 2, n);
    assert.match(r.err, /--last expects a whole number/);
    assert.not.match(r.err, /ambiguous|XYZ/);
  }
  assert.is((await fbw(['runs', '--last', '1'], p.dir, env)).code, 0);
  assert.is((await fbw(['gc', '--keep-runs', '-1'], p.dir, env)).code, 2);
});

test('run on a workflow with no statements warns and creates no store', async () => {
  const dir = tempDir('fbw-empty-');
  writeWorkflow(dir, '# nothing yet\n', 'empty.fbw');
  const r = await fbw(['run', 'empty.fbw'], dir, env);
  assert.is(r.code, 0);
  assert.match(r.err, /no statements/);
  assert.not.ok(existsSync(join(dir, '.fbw')));
});

test.run();
