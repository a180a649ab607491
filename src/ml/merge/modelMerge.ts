// Merges that need the models in memory and data of each task — Fisher merging (gradients),
// RegMean (linear-layer input statistics), AdaMerging (test-time entropy minimisation). They
// merge the vision tower only, as FusionBench does for CLIPVisionModel; every other tensor of
// the output comes from the base model.
import * as tf from '@tensorflow/tfjs-core';
import type { ClipModel } from '../models/clip.js';
import type { Head } from '../heads/head.js';
import type { TaskDataset, ImageBatch } from '../data/types.js';
import { seededShuffle } from '../data/SeededRng.js';

/**
 * The fine-tuned members of a data-driven merge, loaded one at a time: eight ViT-B/32 members
 * (350 MB of vision tower each, plus their activations and statistics) must never sit in memory
 * together, so a merge folds each member into running sums and lets it go.
 */
export interface MergeMembers {
  readonly count: number;
  /** runs f on member i, loaded for the call (its text tower is the base's) and disposed after it */
  with<T>(i: number, f: (m: ClipModel) => T | Promise<T>): Promise<T>;
}

/** Members already in memory (tests, the library API): `with` lends them and disposes nothing. */
export function membersInMemory(models: readonly ClipModel[]): MergeMembers {
  return { count: models.length, with: async (i, f) => f(models[i]!) };
}

/** What a data-driven merge sees: the base, the members, each member's task head, and its task's data. */
export interface ModelMergeArgs {
  readonly base: ClipModel;
  readonly members: MergeMembers;
  /** head of each model's task, in model order */
  readonly heads: readonly Head[];
  /** a split of model i's task */
  readonly data: (modelIndex: number, split: 'train' | 'test') => Promise<TaskDataset>;
  readonly log: (line: string) => void;
  readonly progress?: (p: { step: number; total: number; phase: string; loss?: number }) => void;
  readonly signal?: AbortSignal;
  /** extra facts for merge.json (e.g. AdaMerging's learned coefficients) */
  readonly record?: (info: Readonly<Record<string, unknown>>) => void;
}

/** The merge was interrupted (signal aborted). */

/** Vision-tower tensors in model order: what FusionBench's CLIPVisionModel state dict holds. */
export function visionNames(m: ClipModel): string[] {
  return [...m.params.keys()].filter((k) => k.startsWith('vision_model.'));
}

/** FusionBench's exclude_param_names_regex: re.match semantics (anchored at the start). */
export function excluded(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^(?:${p})`));
  return (name) => res.some((r) => r.test(name));
}

/** Seeded batches of a split: `count` examples in batches of `batchSize` (cycling when count > size). */
export function* batches(ds: TaskDataset, imageSize: number, batchSize: number, count: number, seed: number): Generator<ImageBatch> {
  const order = seededShuffle(ds.size, seed);
  let pos = 0;
  for (let done = 0; done < count; done += batchSize) {
    const m = Math.min(batchSize, count - done);
    const idx = new Int32Array(m);
    for (let j = 0; j < m; j++) { idx[j] = order[pos % ds.size]!; pos++; }
    yield ds.batch(idx, imageSize);
  }
}

/** An endless seeded stream of batches of one split (AdaMerging's infinite test loader). */
export function batchStream(ds: TaskDataset, imageSize: number, batchSize: number, seed: number): () => ImageBatch {
  let epoch = 0;
  let order = seededShuffle(ds.size, seed);
  let pos = 0;
  return () => {
    const idx = new Int32Array(Math.min(batchSize, ds.size));
    for (let j = 0; j < idx.length; j++) {
      if (pos >= ds.size) { epoch++; order = seededShuffle(ds.size, seed + epoch * 7919); pos = 0; }
      idx[j] = order[pos++]!;
    }
    return ds.batch(idx, imageSize);
  };
}

/**
 * Mean Shannon entropy of softmax(logits) rows: AdaMerging's unsupervised objective, spelled as
 * FusionBench's entropy_loss (−Σ p·log(p + 1e-8), mean over rows) so losses and gradients agree.
 */
export function meanEntropy(logits: tf.Tensor2D): tf.Scalar {
  const p = tf.softmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(p, tf.log(tf.add(p, 1e-8))), -1))) as tf.Scalar;
}
