// Top-1 accuracy and mean cross-entropy of a CLIP vision tower + head on a task split,
// the two figures FusionBench's CLIPVisionModelTaskPool reports per task.
import * as tf from '@tensorflow/tfjs-core';
import type { TaskDataset } from '../data/types.js';
import { encodeImage, patchify, type ClipModel, type ForwardContext } from '../models/clip.js';
import { headLogits, type Head } from '../heads/head.js';
import { crossEntropy } from '../models/ops.js';
import { activeNativeBackend } from '../backend/native/registerNativeBackend.js';

export interface EvalResult {
  readonly accuracy: number;
  readonly loss: number;
  readonly n: number;
  /** the predicted class (argmax of the logits) of each example, in the split's order */
  readonly predictions: Int32Array;
}

export interface EvaluateArgs {
  /** images per forward pass (default 128) */
  readonly batchSize?: number;
  /** evaluate the first N examples only */
  readonly maxExamples?: number;
  /** forward context (default: the model's own frozen weights) */
  readonly ctx?: ForwardContext;
  /** trained linear head tensors, when evaluating during linear-head training */
  readonly trainedHead?: { readonly w: tf.Tensor; readonly b: tf.Tensor };
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** The head does not fit the dataset (different class count or feature size). */
export class HeadMismatch extends Error {
  constructor(readonly task: string, readonly reason: string) {
    super(`head for '${task}': ${reason}`);
    this.name = 'HeadMismatch';
  }
}

/** Logits [n, classes] for already-patchified images. */
export function classify(model: ClipModel, head: Head, x: Float32Array, n: number, ctx?: ForwardContext, trainedHead?: { readonly w: tf.Tensor; readonly b: tf.Tensor }): tf.Tensor2D {
  const v = model.config.vision_config;
  return tf.tidy(() => {
    // the patches live only until the patch embedding has read them; on fbw-native their buffer
    // comes from the backend's pool and goes back to it then (a batch of 128 is 77 MB)
    const native = activeNativeBackend();
    const patches = tf.tensor2d(patchify(x, n, v.image_size, v.patch_size, 3, native ? (len) => native.alloc(len) : undefined), [n * (v.image_size / v.patch_size) ** 2, 3 * v.patch_size ** 2]);
    return headLogits(encodeImage(model.config, ctx ?? model.frozenContext(), patches, n, { consumePatches: tf.engine().state.gradientDepth === 0 }), head, trainedHead);
  });
}

/** Accuracy and mean loss over the split (or its first maxExamples). */
export function evaluate(model: ClipModel, head: Head, ds: TaskDataset, args: EvaluateArgs = {}): EvalResult {
  checkHead(head, model.config.projection_dim, ds);
  return evaluateLogits(ds, model.config.vision_config.image_size, (x, n) => classify(model, head, x, n, args.ctx, args.trainedHead), args);
}

/** The head fits the model's feature size and the data set's classes, or a located error. */
export function checkHead(head: Head, projectionDim: number, ds: TaskDataset): void {
  if (head.dim !== projectionDim) throw new HeadMismatch(ds.name, `head has dim ${head.dim}, model projection_dim is ${projectionDim} (head built from another model?)`);
  if (head.numClasses !== ds.classnames.length) throw new HeadMismatch(ds.name, `head has ${head.numClasses} classes, dataset has ${ds.classnames.length}`);
}

/** The evaluation loop behind `evaluate` and the ensemble's: any logits function over batches of a split. */
export function evaluateLogits(ds: TaskDataset, imageSize: number, logitsOf: (x: Float32Array, n: number) => tf.Tensor2D, args: Omit<EvaluateArgs, 'ctx' | 'trainedHead'> = {}): EvalResult {
  const total = Math.min(ds.size, args.maxExamples ?? ds.size);
  const bs = args.batchSize ?? 128;
  let correct = 0, lossSum = 0;
  const predictions = new Int32Array(total);
  for (let i = 0; i < total; i += bs) {
    if (args.signal?.aborted) throw args.signal.reason instanceof Error ? args.signal.reason : new Error('evaluation aborted');
    const m = Math.min(bs, total - i);
    const idx = new Int32Array(m);
    for (let j = 0; j < m; j++) idx[j] = i + j;
    const b = ds.batch(idx, imageSize);
    const [pred, loss] = tf.tidy(() => {
      const logits = logitsOf(b.x, b.n);
      return [tf.argMax(logits, 1), crossEntropy(logits, b.y)] as const;
    });
    const p = pred.dataSync();
    for (let j = 0; j < m; j++) {
      predictions[i + j] = p[j]!;
      if (p[j] === b.y[j]) correct++;
    }
    lossSum += loss.dataSync()[0]! * m;
    pred.dispose(); loss.dispose();
    args.onProgress?.(i + m, total);
  }
  return { accuracy: total ? correct / total : 0, loss: total ? lossSum / total : 0, n: total, predictions };
}
