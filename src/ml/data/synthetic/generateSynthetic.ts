// Deterministic generation of a synthetic task split: image i is drawn from its own seed
// (derived from task, split and i), labels cycle through the classes so any prefix is balanced,
// and the fingerprint is generator name + version + seed + size (no files involved).
import { combineFingerprints } from '../fingerprint.js';
import { denseSource, type ImageSource } from '../makeTaskDataset.js';
import { SeededRng, hashString32 } from '../SeededRng.js';
import type { Split } from '../types.js';
import { Canvas } from './raster.js';
import { SYNTHETIC_TASKS, type SyntheticTask } from './tasks.js';

/** Bump whenever any generator's output changes: it is part of every synthetic fingerprint. */
export const SYNTHETIC_VERSION = 1;
/** Side of every synthetic image. */
export const SYNTHETIC_IMAGE_SIZE = 32;
/** Examples per split. */
export const SYNTHETIC_SPLIT_SIZE: { readonly [S in Split]: number } = { train: 2000, test: 500 };

/** The generator of a synthetic task, or undefined. */
export function syntheticTask(name: string): SyntheticTask | undefined {
  return SYNTHETIC_TASKS.find((t) => t.name === name);
}

const memo = new Map<string, { source: ImageSource; fingerprint: string }>();

/** Generate (or reuse) `n` examples of a synthetic task's split. */
export function generateSynthetic(task: SyntheticTask, split: Split, n: number = SYNTHETIC_SPLIT_SIZE[split]): { source: ImageSource; fingerprint: string } {
  const key = `${task.name}:${split}:${n}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const seed = hashString32(`${task.name}:${split}:v${SYNTHETIC_VERSION}`);
  const S = SYNTHETIC_IMAGE_SIZE;
  const pixels = new Uint8Array(n * S * S * 3);
  const labels = new Uint8Array(n);
  const K = task.classnames.length;
  const cv = new Canvas(S);
  const rng = new SeededRng(0);
  for (let i = 0; i < n; i++) {
    rng.setState(hashString32(`${seed}:${i}`));
    cv.px.fill(0);
    const label = i % K;
    task.draw(cv, rng, label);
    cv.toBytes(pixels, i * S * S * 3);
    labels[i] = label;
  }
  const out = {
    source: denseSource(pixels, labels, S, S, 3),
    fingerprint: combineFingerprints(['synthetic', task.name, `v${SYNTHETIC_VERSION}`, split, `seed=${seed}`, `n=${n}`]),
  };
  if (memo.size > 32) memo.clear();
  memo.set(key, out);
  return out;
}
