// Zero-shot classification heads as FusionBench builds them (fusion_bench CLIPClassifier /
// HFCLIPClassifier.set_classification_task, after Radford et al. 2021 §3.1.4 prompt ensembling):
// for each class, every template is filled with the class name, encoded by the text tower and
// projected, each embedding is L2-normalised, the embeddings are averaged over templates and the
// mean is normalised again.
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { ClipModel } from '../models/clip.js';
import { encodeText } from '../models/clip.js';
import { l2Normalize } from '../models/ops.js';
import type { Head } from './head.js';
import { ClipTokenizer } from '../text/tokenizer.js';

/** What the text side needs from a tokenizer. */
export interface TextEncoder {
  encodeBatch(texts: readonly string[], contextLength: number): { ids: Int32Array; eot: Int32Array };
}

/** The tokenizer files of a model folder are missing. */
export class TokenizerMissing extends Error {
  constructor(readonly dir: string) {
    super(`${dir}: no vocab.json + merges.txt (CLIP BPE tokenizer files). Copy them from the Hugging Face snapshot of the model.`);
    this.name = 'TokenizerMissing';
  }
}

/** Load the CLIP BPE tokenizer stored beside a model. */
export async function tokenizerFor(model: ClipModel | string): Promise<TextEncoder> {
  const dir = typeof model === 'string' ? model : model.source;
  if (!dir || !existsSync(join(dir, 'vocab.json')) || !existsSync(join(dir, 'merges.txt'))) throw new TokenizerMissing(dir ?? '(model not loaded from a folder)');
  return ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'));
}

/** Context length used for prompts: CLIP's 77, or the model's max positions if shorter. */
export function contextLength(model: ClipModel): number {
  return Math.min(77, model.config.text_config.max_position_embeddings);
}

/** Prompts per text forward: bounds the activations held at once (a few MB at ViT-B/32 width). */
export const TEXT_CHUNK = 64;

/** Token ids [n, t] cut to [n, keep]: the first `keep` columns of every row. */
function cutColumns(ids: Int32Array, n: number, t: number, keep: number): Int32Array {
  if (keep === t) return ids;
  const out = new Int32Array(n * keep);
  for (let r = 0; r < n; r++) out.set(ids.subarray(r * t, r * t + keep), r * keep);
  return out;
}

/**
 * Normalised text embeddings [texts, projection_dim] of prompts, `chunk` prompts per forward,
 * each chunk padded only to its longest prompt (HF tokenizers' padding="longest", as FusionBench
 * builds heads). CLIP's text tower is causal and pools at the end-of-text token, so tokens after
 * it never reach the result: the embeddings equal those of 77-token padding, at a fraction of the
 * compute (TA8's prompts are ~15 tokens).
 */
export function embedTexts(model: ClipModel, tok: TextEncoder, texts: readonly string[], chunk = TEXT_CHUNK): Float32Array {
  const p = model.config.projection_dim;
  const t = contextLength(model);
  const out = new Float32Array(texts.length * p);
  const ctx = model.frozenContext();
  for (let i = 0; i < texts.length; i += chunk) {
    const part = texts.slice(i, i + chunk);
    const { ids, eot } = tok.encodeBatch(part, t);
    const longest = Math.min(t, Math.max(...eot) + 1);
    const e = tf.tidy(() => l2Normalize(encodeText(model.config, ctx, cutColumns(ids, part.length, t, longest), part.length, longest, eot)));
    out.set(e.dataSync() as Float32Array, i * p);
    e.dispose();
  }
  return out;
}

/** Build the zero-shot head of one task: classnames × templates → averaged normalised rows. */
export function buildZeroshotHead(model: ClipModel, tok: TextEncoder, task: string, classnames: readonly string[], templates: readonly string[]): Head {
  const p = model.config.projection_dim;
  const texts: string[] = [];
  for (const c of classnames) for (const tpl of templates) texts.push(tpl.split('{}').join(c));
  const e = embedTexts(model, tok, texts);
  const w = new Float32Array(classnames.length * p);
  for (let c = 0; c < classnames.length; c++) {
    let norm = 0;
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < templates.length; k++) s += e[(c * templates.length + k) * p + j]!;
      s /= templates.length;
      w[c * p + j] = s;
      norm += s * s;
    }
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < p; j++) w[c * p + j]! /= norm;
  }
  const scale = Math.exp(model.get('logit_scale').dataSync()[0]!);
  return { kind: 'zeroshot', task, classnames, templates, logitScale: Math.min(scale, 100), weight: w, numClasses: classnames.length, dim: p };
}
