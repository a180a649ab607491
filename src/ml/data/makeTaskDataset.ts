// One TaskDataset implementation for every loader: a loader supplies labels and native uint8
// images; this turns them into float batches on demand and keeps the resized bytes (S×S×3 per
// image, small) in a bounded cache so later epochs skip decoding and resampling.
import { normalizeInto, resizeCenterCrop } from './preprocess.js';
import { hashString32, seededShuffle } from './SeededRng.js';
import { combineFingerprints } from './fingerprint.js';
import type { ImageBatch, RgbImage, Split, TaskDataset } from './types.js';

/** What a loader provides: labels up front, images (decoded lazily if the loader likes). */
export interface ImageSource {
  readonly size: number;
  label(i: number): number;
  image(i: number): RgbImage;
}

/** The descriptive half of a TaskDataset. */
export interface TaskMeta {
  readonly name: string;
  readonly split: Split;
  readonly classnames: readonly string[];
  readonly templates: readonly string[];
  readonly fingerprint: string;
  /** where the images come from (folder, package or generator), for run logs */
  readonly origin?: string;
}

/** A batch index outside the data set: names the data set and the valid range. */
export class IndexOutOfRange extends RangeError {
  constructor(readonly dataset: string, readonly index: number, readonly size: number) {
    super(`${dataset}: example index ${index} is outside 0..${size - 1}`);
    this.name = 'IndexOutOfRange';
  }
}

/** Bytes of resized images one data set may keep cached (per image size). */
export const RESIZED_CACHE_BYTES = 512 * 1024 * 1024;

/** Restrict a source to a deterministic, label-balanced-in-expectation subset of `max` examples. */
export function subsetSource(src: ImageSource, max: number, salt: string): { source: ImageSource; indices: Uint32Array } {
  if (!(max < src.size)) return { source: src, indices: Uint32Array.from({ length: src.size }, (_, i) => i) };
  const picked = seededShuffle(src.size, hashString32(salt)).subarray(0, Math.max(0, max)).slice().sort();
  return {
    indices: picked,
    source: { size: picked.length, label: (i) => src.label(picked[i]!), image: (i) => src.image(picked[i]!) },
  };
}

/** Build a TaskDataset over a source; maxExamples picks a fixed subset and changes the fingerprint. */
export function makeTaskDataset(meta: TaskMeta, source: ImageSource, maxExamples?: number): TaskDataset {
  let src = source;
  let fingerprint = meta.fingerprint;
  if (maxExamples !== undefined && maxExamples < source.size) {
    src = subsetSource(source, maxExamples, `${meta.name}:${meta.split}`).source;
    fingerprint = combineFingerprints([meta.fingerprint, `maxExamples=${maxExamples}`]);
  }
  const size = src.size;
  const caches = new Map<number, { items: (Uint8Array | undefined)[]; bytes: number }>();
  const resized = (i: number, S: number): Uint8Array => {
    let c = caches.get(S);
    if (!c) {
      c = { items: new Array(size), bytes: 0 };
      caches.set(S, c);
    }
    const hit = c.items[i];
    if (hit) return hit;
    const img = src.image(i);
    const u8 = resizeCenterCrop(img.rgb, img.width, img.height, S);
    if (c.bytes + u8.length <= RESIZED_CACHE_BYTES) {
      c.items[i] = u8;
      c.bytes += u8.length;
    }
    return u8;
  };
  return {
    name: meta.name,
    split: meta.split,
    size,
    classnames: meta.classnames,
    templates: meta.templates,
    fingerprint,
    origin: meta.origin ?? 'memory',
    label: (i) => {
      if (!(i >= 0 && i < size)) throw new IndexOutOfRange(`${meta.name}/${meta.split}`, i, size);
      return src.label(i);
    },
    batch(indices: ArrayLike<number>, imageSize: number): ImageBatch {
      const n = indices.length;
      const per = imageSize * imageSize * 3;
      const x = new Float32Array(n * per);
      const y = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const i = indices[k]!;
        if (!(i >= 0 && i < size && Number.isInteger(i))) throw new IndexOutOfRange(`${meta.name}/${meta.split}`, i, size);
        normalizeInto(resized(i, imageSize), x, k * per);
        y[k] = src.label(i);
      }
      return { x, y, n };
    },
  };
}

/** An ImageSource over contiguous uint8 pixels [n, h, w, channels] (channels 1 or 3). */
export function denseSource(pixels: Uint8Array, labels: ArrayLike<number>, width: number, height: number, channels: 1 | 3): ImageSource {
  const per = width * height * channels;
  const n = labels.length;
  return {
    size: n,
    label: (i) => labels[i]!,
    image: (i) => {
      const view = pixels.subarray(i * per, (i + 1) * per);
      if (channels === 3) return { width, height, rgb: view };
      const rgb = new Uint8Array(width * height * 3);
      for (let p = 0; p < width * height; p++) {
        const v = view[p]!;
        rgb[p * 3] = v;
        rgb[p * 3 + 1] = v;
        rgb[p * 3 + 2] = v;
      }
      return { width, height, rgb };
    },
  };
}
