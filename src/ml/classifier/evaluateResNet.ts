// Top-1 accuracy and mean cross-entropy of a classifier (ResNet, or CLIP + linear head) on a task split (eval-mode
// BatchNorm), the figure the generic fine-tune monitors for save_top_k.
import * as tf from '@tensorflow/tfjs-core';
import type { TaskDataset } from '../data/types.js';
import { crossEntropy } from '../models/ops.js';
import type { ResNetModel } from './resnet.js';
import { resnetNet, type ClassifierNet } from './ClassifierNet.js';

export interface ResNetEvalResult {
  readonly accuracy: number;
  readonly loss: number;
  readonly n: number;
}

/** The model's classifier does not fit the task (different class count). */
export class ClassifierTaskMismatch extends Error {
  constructor(readonly task: string, readonly reason: string) {
    super(`ResNet classifier on '${task}': ${reason}`);
    this.name = 'ClassifierTaskMismatch';
  }
}

/** Accuracy and mean loss of a ResNet over `ds` (or its first maxExamples), images at `imageSize`. */
export function evaluateResNet(model: ResNetModel, ds: TaskDataset, imageSize: number, args: { readonly batchSize?: number; readonly maxExamples?: number } = {}): ResNetEvalResult {
  return evaluateClassifier(resnetNet(model, imageSize), ds, args);
}

/** Accuracy and mean loss of any ClassifierNet (eval mode) over `ds` (or its first maxExamples). */
export function evaluateClassifier(net: ClassifierNet, ds: TaskDataset, args: { readonly batchSize?: number; readonly maxExamples?: number } = {}): ResNetEvalResult {
  if (net.numLabels !== ds.classnames.length) {
    throw new ClassifierTaskMismatch(ds.name, `the model has ${net.numLabels} labels, the task has ${ds.classnames.length} classes`);
  }
  const imageSize = net.imageSize;
  const total = Math.min(ds.size, args.maxExamples ?? ds.size);
  const bs = args.batchSize ?? 128;
  let correct = 0, lossSum = 0;
  for (let i = 0; i < total; i += bs) {
    const m = Math.min(bs, total - i);
    const idx = new Int32Array(m);
    for (let j = 0; j < m; j++) idx[j] = i + j;
    const b = ds.batch(idx, imageSize);
    const [pred, loss] = tf.tidy(() => {
      const logits = net.forward(b, 'eval');
      return [tf.argMax(logits, 1), crossEntropy(logits, b.y)] as const;
    });
    const p = pred.dataSync();
    for (let j = 0; j < m; j++) if (p[j] === b.y[j]) correct++;
    lossSum += loss.dataSync()[0]! * m;
    pred.dispose(); loss.dispose();
  }
  return { accuracy: total ? correct / total : 0, loss: total ? lossSum / total : 0, n: total };
}
