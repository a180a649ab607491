// A classification head over CLIP image features, stored as an artifact folder:
// head.safetensors (`weight` [num_classes, projection_dim], for zero-shot heads L2-normalised
// rows; `bias` [num_classes] for trained linear heads) + head.json (task, classnames, templates,
// logit_scale, kind). Zero-shot logits = logit_scale · norm(image features) · weightᵀ.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { l2Normalize } from '../models/ops.js';
import { writeFileAtomic } from '../../util/writeFileAtomic.js';
import { jsonFormat } from '../../util/jsonFormat.js';

/**
 * 'zeroshot': frozen text embeddings; 'linear': a trained Linear(projection_dim, num_classes) on
 * the normalised features, initialised from the zero-shot head (W = logit_scale·rows, b = 0) so
 * training starts at zero-shot accuracy.
 */
export type HeadKind = 'zeroshot' | 'linear';

export interface Head {
  readonly kind: HeadKind;
  readonly task: string;
  readonly classnames: readonly string[];
  readonly templates: readonly string[];
  /** multiplier applied to cosine similarities (exp of the model's logit_scale), zero-shot only */
  readonly logitScale: number;
  /** [numClasses, dim] row-major */
  readonly weight: Float32Array;
  /** [numClasses], linear heads only */
  readonly bias?: Float32Array;
  readonly numClasses: number;
  readonly dim: number;
}

/** head.json / head.safetensors missing or inconsistent: names the folder. */
export class HeadFormatError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'HeadFormatError';
  }
}

/** Write a head folder (atomic per file). */
export async function writeHead(dir: string, head: Head): Promise<void> {
  await mkdir(dir, { recursive: true });
  const t = new Map<string, NamedTensor>([['weight', { shape: [head.numClasses, head.dim], data: head.weight }]]);
  if (head.bias) t.set('bias', { shape: [head.numClasses], data: head.bias });
  await writeSafetensors(join(dir, 'head.safetensors'), t, { kind: head.kind, task: head.task });
  const meta = { kind: head.kind, task: head.task, classnames: head.classnames, templates: head.templates, logit_scale: head.logitScale, num_classes: head.numClasses, dim: head.dim };
  await writeFileAtomic(join(dir, 'head.json'), JSON.stringify(meta, null, 2) + '\n');
}

/** head.json beside head.safetensors (writeHead writes it). */
const headMetaFormat = jsonFormat<{ kind?: HeadKind; task: string; classnames: string[]; templates: string[]; logit_scale: number }>('head.json', {
  type: 'object', required: ['task', 'classnames', 'templates', 'logit_scale'],
  properties: {
    kind: { enum: ['zeroshot', 'linear'] }, task: { type: 'string' }, classnames: { type: 'array', items: { type: 'string' } },
    templates: { type: 'array', items: { type: 'string' } }, logit_scale: { type: 'number' },
  },
});

/** Read a head folder written by writeHead. */
export async function readHead(dir: string): Promise<Head> {
  const jp = join(dir, 'head.json');
  if (!existsSync(jp)) throw new HeadFormatError(dir, 'no head.json (not a head artifact: expected the output of a zeroshot_head stage)');
  let meta: Awaited<ReturnType<typeof headMetaFormat.readAsync>>;
  try { meta = await headMetaFormat.readAsync(jp); } catch (e) { throw new HeadFormatError(dir, (e as Error).message); }
  const t = await readSafetensors(join(dir, 'head.safetensors'));
  const w = t.get('weight');
  if (!w || w.shape.length !== 2) throw new HeadFormatError(dir, "head.safetensors lacks a 2-D tensor 'weight'");
  if (w.shape[0] !== meta.classnames.length) throw new HeadFormatError(dir, `weight has ${w.shape[0]} rows but head.json lists ${meta.classnames.length} class names`);
  const b = t.get('bias');
  return {
    kind: meta.kind ?? 'zeroshot', task: meta.task, classnames: meta.classnames, templates: meta.templates, logitScale: meta.logit_scale,
    weight: w.data, ...(b ? { bias: b.data } : {}), numClasses: w.shape[0]!, dim: w.shape[1]!,
  };
}

/**
 * Logits of image features [n, dim] under a head. Zero-shot: scale · cos-similarity;
 * linear: norm(features) · Wᵀ + b.
 */
export function headLogits(features: tf.Tensor2D, head: Head, trained?: { readonly w: tf.Tensor; readonly b: tf.Tensor }): tf.Tensor2D {
  switch (head.kind) {
    case 'zeroshot': {
      const wT = tf.tensor2d(transposeRows(head.weight, head.numClasses, head.dim), [head.dim, head.numClasses]);
      return tf.mul(tf.matMul(l2Normalize(features), wT), head.logitScale) as tf.Tensor2D;
    }
    case 'linear': {
      const w = trained?.w ?? tf.tensor2d(head.weight, [head.numClasses, head.dim]);
      const b = trained?.b ?? tf.tensor1d(head.bias ?? new Float32Array(head.numClasses));
      return tf.add(tf.matMul(l2Normalize(features), tf.transpose(w)), b) as tf.Tensor2D;
    }
  }
}

const transposed = new WeakMap<Float32Array, Float32Array>();
/** [r, c] → [c, r], cached per weight array (heads are frozen). */
function transposeRows(a: Float32Array, r: number, c: number): Float32Array {
  let t = transposed.get(a);
  if (!t) {
    t = new Float32Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a[i * c + j]!;
    transposed.set(a, t);
  }
  return t;
}
