// A CLIP vision tower plus a trained linear head as a ClassifierNet, so the generic classifier
// fine-tune (SGD, cosine, label smoothing, epochs or steps) also trains CLIP models. The head starts
// as the task's zero-shot head (W = logit_scale·text rows, b = 0: training starts at zero-shot
// accuracy) and is saved in the model folder's head/ subfolder, which the eval stage uses.
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { encodeImage, newVariable, patchify, type ClipModel, type ForwardContext } from '../models/clip.js';
import { saveClipState } from '../models/loadClip.js';
import { headLogits, writeHead, type Head } from '../heads/head.js';
import type { ClassifierNet } from './ClassifierNet.js';

/** The net plus a way to release the head variables it created. */
export interface ClipClassifierNet extends ClassifierNet {
  /** the trained head as it is now */
  head(): Head;
  dispose(): void;
}

/** Vision tower (all `vision_model.*` tensors) and a linear head over normalised image features. */
export function clipClassifierNet(model: ClipModel, head: Head): ClipClassifierNet {
  const cfg = model.config;
  const v = cfg.vision_config;
  const S = v.image_size;
  const g = S / v.patch_size;
  const scale = head.kind === 'zeroshot' ? head.logitScale : 1;
  const w0 = new Float32Array(head.weight.length);
  for (let i = 0; i < w0.length; i++) w0[i] = head.weight[i]! * scale;
  const hw = newVariable(tf.tensor2d(w0, [head.numClasses, head.dim]), 'head.weight');
  const hb = newVariable(head.bias ? tf.tensor1d(head.bias) : tf.zeros([head.numClasses]), 'head.bias');
  const params = new Map<string, tf.Variable>();
  for (const [k, x] of model.params) if (k.startsWith('vision_model.')) params.set(k, x);
  params.set('head.weight', hw);
  params.set('head.bias', hb);
  const trained = new Set(params.keys());
  const ctx: ForwardContext = { p: (n) => model.get(n), trainable: (n) => trained.has(n) };
  const linear: Head = { ...head, kind: 'linear', logitScale: 1 };
  const current = (): Head => ({ ...linear, weight: hw.dataSync() as Float32Array, bias: hb.dataSync() as Float32Array });
  return {
    kind: 'clip', numLabels: head.numClasses, imageSize: S, params, buffers: new Map(),
    counters: () => ({}), setCounters: () => {},
    forward: (b) => {
      const pt = tf.tensor2d(patchify(b.x, b.n, S, v.patch_size), [b.n * g * g, 3 * v.patch_size ** 2]);
      return headLogits(encodeImage(cfg, ctx, pt, b.n), linear, { w: hw, b: hb });
    },
    applyUpdates: () => {},
    save: async (dir) => {
      await saveClipState(dir, cfg, model.stateDict(), model.source);
      await writeHead(join(dir, 'head'), current());
    },
    head: current,
    dispose: () => { hw.dispose(); hb.dispose(); },
  };
}
