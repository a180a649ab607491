import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLIP_MEAN, CLIP_STD, ImageShapeError, preprocess, resizeCenterCrop, resizedSize } from '../../src/ml/data/index.js';

const norm = (v: number, c: number): number => (v / 255 - CLIP_MEAN[c]!) / CLIP_STD[c]!;
const close = (a: number, b: number, msg?: string): void => assert.ok(Math.abs(a - b) < 1e-5, `${msg ?? ''} ${a} vs ${b}`);

test('an image already S×S is only normalised (NHWC, per channel)', () => {
  const rgb = Uint8Array.from([0, 128, 255, 10, 20, 30, 255, 255, 255, 1, 2, 3]);
  const x = preprocess(rgb, 2, 2, 2);
  assert.is(x.length, 12);
  for (let i = 0; i < 12; i++) close(x[i]!, norm(rgb[i]!, i % 3), `element ${i}`);
  close(x[6]!, (1 - 0.48145466) / 0.26862954, 'white red channel');
});

test('center crop keeps the middle of the long side (top = (h - S) // 2)', () => {
  // 4 wide, 2 high, S = 2: no resize, keep columns 1..2
  const rgb = new Uint8Array(4 * 2 * 3);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) rgb.fill(10 * x + 100 * y, (y * 4 + x) * 3, (y * 4 + x + 1) * 3);
  assert.equal(Array.from(resizeCenterCrop(rgb, 4, 2, 2)).filter((_, i) => i % 3 === 0), [10, 20, 110, 120]);
  // 2 wide, 5 high, S = 2: rows 1..2
  const tall = new Uint8Array(2 * 5 * 3);
  for (let y = 0; y < 5; y++) tall.fill(y * 7, y * 6, (y + 1) * 6);
  assert.equal(Array.from(resizeCenterCrop(tall, 2, 5, 2)).filter((_, i) => i % 3 === 0), [7, 7, 14, 14]);
});

test('bicubic downsampling matches PIL weights computed by hand', () => {
  // 4×4 → 2×2, each row [0, 100, 200, 250]. PIL bicubic (a=-0.5), support 4 when shrinking by 2:
  // output 0 taps x=0..3 at distances (x-1+0.5)/2 = -0.25, 0.25, 0.75, 1.25 → weights
  // 0.8671875, 0.8671875, 0.2265625, -0.0703125 (sum 1.890625): 114.453125/1.890625 = 60.54 → 61;
  // output 1 mirrored: 412.890625/1.890625 = 218.39 → 218. Rows are equal, so the vertical pass keeps them.
  const row = [0, 100, 200, 250];
  const rgb = new Uint8Array(4 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) rgb.fill(row[x]!, (y * 4 + x) * 3, (y * 4 + x + 1) * 3);
  assert.equal(Array.from(resizeCenterCrop(rgb, 4, 4, 2)), [61, 61, 61, 218, 218, 218, 61, 61, 61, 218, 218, 218]);
});

test('upsampling a constant image keeps it constant; output size is S×S×3', () => {
  const rgb = new Uint8Array(28 * 28 * 3).fill(77);
  const out = resizeCenterCrop(rgb, 28, 28, 32);
  assert.is(out.length, 32 * 32 * 3);
  assert.ok(out.every((v) => v === 77));
});

test('shortest side goes to S, long side floored (HF get_resize_output_image_size)', () => {
  assert.equal(resizedSize(640, 480, 224), { width: 298, height: 224 });
  assert.equal(resizedSize(480, 640, 224), { width: 224, height: 298 });
  assert.equal(resizedSize(40, 48, 32), { width: 32, height: 38 });
});

test('a buffer of the wrong size is a clear error', () => {
  assert.throws(() => preprocess(new Uint8Array(10), 2, 2, 2), (e: unknown) => e instanceof ImageShapeError && /expected 2×2×3 = 12 bytes, got 10/.test((e as Error).message));
});

test.run();
