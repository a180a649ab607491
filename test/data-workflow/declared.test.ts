// Bring-your-own data end to end through the real CLI (review blocker B1): a workflow declares an
// ImageFolder tree and a parquet folder by paths relative to the .fbw file, and `fbw run` (started
// from another folder) builds their zero-shot heads, fine-tunes clip-tiny on them (full and LoRA),
// trains a multitask model and evaluates everything on their test splits. `fbw predict --dataset`
// takes the declared folder's class names, and a wrong path is one located line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_CLASSES, fixtureImages, writeImageFolderFixture } from '../ml-data/fixtures.js';
import { writeImageParquet } from '../ml-data/parquetWriter.js';
import { fbwProcess } from '../shared/helpers.js';

const root = mkdtempSync(join(tmpdir(), 'fbw-declared-'));
const proj = join(root, 'proj');
const elsewhere = join(root, 'elsewhere');

interface Report { readonly rows: readonly { readonly method: string; readonly accuracy: { readonly [t: string]: number }; readonly n: { readonly [t: string]: number } }[] }

function fbw(args: string[], cwd: string): { status: number | null; out: string } {
  const r = fbwProcess(args, cwd);
  return { status: r.code, out: `${r.out}\n${r.err}` };
}

test.before(() => {
  writeImageFolderFixture(join(proj, 'data', 'shapes'));
  // the parquet set as the hub stores it: data/<split>-NNNNN-of-NNNNN.parquet, image {bytes, path}, label
  const pq = join(proj, 'data', 'shapes_parquet', 'data');
  mkdirSync(pq, { recursive: true });
  for (const split of ['train', 'test'] as const) {
    writeFileSync(join(pq, `${split}-00000-of-00001.parquet`), writeImageParquet(fixtureImages(split).map((e) => ({ bytes: e.bytes, path: e.name, label: e.cls }))));
  }
  writeFileSync(join(proj, 'data', 'shapes_parquet', 'classnames.json'), JSON.stringify(FIXTURE_CLASSES));
  mkdirSync(elsewhere, { recursive: true });
});

test('fbw run: declared imagefolder and parquet sets through head → finetune (full) → multitask, continual, classifier → eval', () => {
  writeFileSync(join(proj, 'wf.fbw'), [
    'dataset shapes = imagefolder("data/shapes")',
    'dataset parts = parquet("data/shapes_parquet")',
    'finetune clip-tiny on [shapes, parts] full(num_steps=3, batch_size=4, save_interval=100) -> eval [shapes, parts]',
    'finetune clip-tiny on [shapes, parts] multitask(num_steps=2, batch_size=4, save_interval=100) -> eval [shapes, parts]',
    'finetune clip-tiny on [parts, shapes] continual(num_steps=2, batch_size=4, save_interval=100) -> eval [shapes, parts]',
    'finetune clip-tiny on [shapes] classifier(max_steps=2, batch_size=4, save_interval=100) -> eval [shapes]',
    'report "rep"',
    '',
  ].join('\n'));
  const run = fbw(['run', join(proj, 'wf.fbw'), '--store', join(root, 'store')], elsewhere);
  assert.is(run.status, 0, `fbw run failed:\n${run.out}`);
  const rep = JSON.parse(readFileSync(join(proj, 'rep', 'report.json'), 'utf8')) as Report;
  // a zero-shot row and one row per fine-tune (full, classifier, multitask, continual), every one
  // evaluated on all 2 images per class × 3 classes of the declared test splits
  const rows = rep.rows.map((r) => r.method).join(', ');
  assert.ok(rep.rows.length >= 5, `rows: ${rows}`);
  for (const r of rep.rows) assert.is(r.n['shapes'], 6, `${r.method} on shapes (rows: ${rows})`);
  assert.ok(rep.rows.filter((r) => r.n['parts'] === 6).length >= 3, `rows with parts: ${rows}`);
});

test('fbw predict --dataset takes a declared folder\'s class names', () => {
  const img = join(proj, 'data', 'shapes', 'test', 'circle', 'circle_0.png');
  const r = fbw(['predict', 'clip-tiny', img, '--dataset', 'data/shapes'], proj);
  assert.is(r.status, 0, r.out);
  const line = JSON.parse(r.out.trim().split('\n')[0]!) as { labels: string[] };
  assert.equal([...line.labels].sort(), [...FIXTURE_CLASSES].sort());
});

test('a declared folder that does not exist: the failure names it and says paths are relative to the .fbw file', () => {
  writeFileSync(join(proj, 'missing.fbw'), 'dataset gone = imagefolder("data/nope")\neval clip-tiny on [gone]\n');
  const r = fbw(['run', join(proj, 'missing.fbw'), '--store', join(root, 'store')], elsewhere);
  assert.is.not(r.status, 0);
  assert.match(r.out, join(proj, 'data', 'nope'));
  assert.match(r.out, /relative to the file's folder/);
  assert.not.match(r.out, /\n\s+at .*\.js:\d+/);
});

test.run();
