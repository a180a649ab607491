// A hub data set cached with its test split only (enough to evaluate FusionBench's published
// fine-tunes): zero-shot heads and eval stages run on it; a stage that trains on it fails when it
// needs the missing split, with one line naming the folder and the split, and nothing committed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureImages } from '../ml-data/fixtures.js';
import { writeImageParquet } from '../ml-data/parquetWriter.js';
import { fbwProcess, readReport, tempDir, writeWorkflow } from '../shared/helpers.js';

const root = tempDir('fbw-testonly-');
const snap = join(root, 'hf', 'hub', 'datasets--tanganke--eurosat', 'snapshots', 'aaaa');
const ENV: NodeJS.ProcessEnv = { ...process.env, HF_HOME: join(root, 'hf'), HF_HUB_CACHE: join(root, 'hf', 'hub'), FBW_DATA: join(root, 'fbw_data'), NO_COLOR: '1' };

test.before(() => {
  mkdirSync(join(snap, 'data'), { recursive: true });
  writeFileSync(join(snap, 'data', 'test-00000-of-00001.parquet'), writeImageParquet(fixtureImages('test').map((e) => ({ bytes: e.bytes, path: e.name, label: e.cls }))));
});

test('eval on a test-only hub set: zero-shot head and accuracy', () => {
  const wf = writeWorkflow(root, 'eval clip-tiny on [eurosat]\nreport "rep"\n', 'eval.fbw');
  const r = fbwProcess(['run', wf], root, ENV);
  assert.is(r.code, 0, `${r.out}\n${r.err}`);
  const rep = readReport(join(root, 'rep'));
  const zs = rep.rows.find((x) => x.accuracy['eurosat'] !== undefined);
  assert.ok(zs, JSON.stringify(rep.rows));
  assert.is(zs.n['eurosat'], fixtureImages('test').length);
});

test('fine-tuning on a test-only hub set: one located error naming the missing split, nothing committed', () => {
  const wf = writeWorkflow(root, 'finetune clip-tiny on [eurosat] lora(num_steps=2, batch_size=2) -> eval [eurosat]\n', 'ft.fbw');
  const r = fbwProcess(['run', wf], root, ENV);
  assert.is.not(r.code, 0);
  const said = `${r.out}\n${r.err}`;
  assert.match(said, "no parquet files for split 'train'");
  assert.match(said, snap);
  assert.not.match(said, /\n\s+at .*\.js:\d+/);
  const again = fbwProcess(['run', wf], root, ENV);
  assert.is.not(again.code, 0, 'a failed fine-tune must not be reused as committed');
});

test.run();
