// What the generic classifier fine-tune needs from a network, so one training loop (SGD, cosine,
// label smoothing, top-k, exact resume) serves any image classifier: a ResNet in the HF layout, or
// a CLIP vision tower with a trained linear head (FusionBench's ImageClassificationFineTuning takes
// any model of its pool).
import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '../data/types.js';
import { applyBnUpdates, forwardResNet, FBW_CONV_OPS, type BnUpdate, type ConvOps, type ResNetModel } from './resnet.js';
import { saveResNet } from './loadResNet.js';

/** A trainable image classifier as the generic fine-tune sees it. */
export interface ClassifierNet {
  /** 'resnet' | 'clip': part of the checkpoint identity */
  readonly kind: string;
  readonly numLabels: number;
  /** square input size the batches are made at */
  readonly imageSize: number;
  /** trained variables, by stable name */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** state that is not trained but changes while training (BatchNorm running statistics) */
  readonly buffers: ReadonlyMap<string, tf.Variable>;
  /** integer counters that change while training (BatchNorm num_batches_tracked) */
  counters(): { [k: string]: number };
  setCounters(c: { readonly [k: string]: number }): void;
  /** logits [n, numLabels]; in train mode, pushes buffer updates (kept tensors) into `updates`. Call inside tidy. */
  forward(batch: ImageBatch, mode: 'train' | 'eval', updates?: BnUpdate[]): tf.Tensor2D;
  /** apply and release the updates of one train-mode forward pass. Call inside tidy. */
  applyUpdates(updates: readonly BnUpdate[]): void;
  /** write the model folder (HF layout) as it is now */
  save(dir: string): Promise<void>;
}

/** A ResNetForImageClassification as a ClassifierNet (`ops`: which conv/pool kernels; benchmarks swap them). */
export function resnetNet(model: ResNetModel, imageSize: number, ops: ConvOps = FBW_CONV_OPS): ClassifierNet {
  return {
    kind: 'resnet', numLabels: model.config.num_labels, imageSize, params: model.params, buffers: model.running,
    counters: () => Object.fromEntries(model.batchesTracked),
    setCounters: (c) => { for (const [k, v] of Object.entries(c)) model.batchesTracked.set(k, v); },
    forward: (b, mode, updates) => forwardResNet(model, tf.tensor4d(b.x, [b.n, imageSize, imageSize, 3]), mode, updates, mode === 'train', ops),
    applyUpdates: (u) => applyBnUpdates(model, u),
    save: (dir) => saveResNet(dir, model, model.source),
  };
}
