// fbw-native's buffer pool: its resident part stays bounded by what the computation needed at its
// peak (not by a fixed cap), released pages really leave the process and come back as usable
// memory, and best-fit reuse (a shorter tensor in a longer pooled buffer) gives the same numbers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { registerNativeBackend, activeNativeBackend } from '../../src/ml/backend/native/registerNativeBackend.js';
import { loadNativeAddon } from '../../src/ml/backend/native/nativeAddon.js';

const status = await registerNativeBackend();
const initialBackend = tf.getBackend() || 'cpu';

function ramp(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = ((i * 7 + seed) % 13) - 6;
  return v;
}

/** Resident set of this process, bytes (Linux /proc/self/statm; undefined elsewhere). */
async function rss(): Promise<number | undefined> {
  try {
    const { readFileSync } = await import('node:fs');
    return Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;
  } catch { return undefined; }
}

test('release() returns whole pages to the OS and the array stays usable', async () => {
  const loaded = loadNativeAddon();
  if (!loaded.ok) return;
  const addon = loaded.addon;
  const n = 64 << 20 >> 2; // 64 MB
  const a = new Float32Array(n).fill(3);
  const before = await rss();
  const released = addon.release(a);
  const after = await rss();
  assert.ok(released >= n * 4 - 2 * 65536, `released ${released} of ${n * 4} bytes`);
  if (before !== undefined && after !== undefined) assert.ok(before - after > 32 << 20, `RSS fell by ${(before - after) >> 20} MB only`);
  assert.is(a[n >> 1], 0); // released pages read as zeros
  a.fill(5);
  assert.is(a[n >> 1], 5);
});

test('the resident pool never exceeds the high-water mark plus its slack, whatever the sequence', async () => {
  if (!status.ok) return;
  await tf.setBackend(status.name);
  const b = activeNativeBackend()!;
  b.trimPool();
  // two phases with different lengths at about the same total, as a layer's attention and MLP halves
  for (let round = 0; round < 4; round++) {
    for (const len of [96 * 1024, 384 * 1024]) {
      const xs = Array.from({ length: len === 96 * 1024 ? 8 : 2 }, (_, i) => tf.tensor(ramp(len, i)));
      const ys = tf.tidy(() => xs.map((x) => tf.mul(tf.add(x, 1), 2)));
      const s = b.poolStats();
      assert.ok(s.live + s.warm <= s.highWater * 1.5 + 1, `round ${round}: live ${s.live} + warm ${s.warm} > 1.5 × high water ${s.highWater}`);
      tf.dispose([...xs, ...ys]);
    }
  }
  const s = b.poolStats();
  assert.ok(s.warm <= s.highWater * 1.5, `warm ${s.warm} vs high water ${s.highWater}`);
  assert.ok(s.highWater > 0);
  await tf.setBackend(initialBackend);
});

test('a tensor in a longer pooled buffer computes and reads back exactly', async () => {
  if (!status.ok) return;
  await tf.setBackend(status.name);
  const b = activeNativeBackend()!;
  b.trimPool();
  const long = 100_000, short = 90_000; // within the best-fit ratio
  tf.tidy(() => tf.add(tf.tensor(ramp(long, 1)), 1)).dispose(); // leaves a buffer of `long` in the pool
  const x = tf.tensor(ramp(short, 2));
  const y = tf.mul(x, 3); // may take the longer pooled buffer as a view
  const got = y.dataSync() as Float32Array;
  assert.is(got.length, short);
  assert.is(got.buffer.byteLength, short * 4, 'user code gets an exact buffer');
  const want = ramp(short, 2).map((v) => v * 3);
  for (let i = 0; i < short; i += 997) assert.is(got[i], want[i]);
  tf.dispose([x, y]);
  await tf.setBackend(initialBackend);
});

test.run();
