// The simple ensemble: not a weight merge — the members' logits are averaged at prediction time.
// FusionBench: fusion_bench/method/ensemble.py (SimpleEnsembleAlgorithm: uniform mean of the
// members' outputs; WeightedEnsembleAlgorithm: weighted, optionally normalised), the "ensemble"
// upper-bound row of its tables (cf. Wortsman et al., Model soups, ICML 2022, §3).
// An ensemble "model folder" holds ensemble.json and members/<i>/ (each a full model folder,
// hard-linked from the committed inputs when possible), so it is self-contained in the store.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadClip } from '../models/loadClip.js';
import type { ClipModel } from '../models/clip.js';
import { checkHead, classify, evaluateLogits, type EvalResult, type EvaluateArgs } from '../eval/evaluate.js';
import type { Head } from '../heads/head.js';
import type { TaskDataset } from '../data/types.js';
import { writeFileAtomic } from '../../util/writeFileAtomic.js';
import { jsonFormat } from '../../util/jsonFormat.js';

/** the file that marks a folder as an ensemble */
export const ENSEMBLE_FILE = 'ensemble.json';

/** ensemble.json: the members (relative folders) and their weights. */
export interface EnsembleSpec {
  readonly kind: 'ensemble';
  readonly method: 'simple_ensemble' | 'weighted_ensemble';
  /** member folders, relative to the ensemble folder */
  readonly members: readonly string[];
  /** one weight per member, summing to 1 */
  readonly weights: readonly number[];
  /** where each member came from (stage ids or paths), for reports */
  readonly sources: readonly string[];
}

/** ensemble.json is missing or inconsistent. */
export class EnsembleFormatError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'EnsembleFormatError';
  }
}

/** Whether a model folder is an ensemble (eval must then call evaluateEnsemble, not loadClip). */
export function isEnsembleFolder(dir: string): boolean {
  return existsSync(join(dir, ENSEMBLE_FILE));
}

/** Write an ensemble folder from member model folders (weights default to uniform; normalised). */
export async function writeEnsemble(outDir: string, members: readonly { dir: string; source?: string }[], weights?: readonly number[]): Promise<EnsembleSpec> {
  if (members.length < 1) throw new EnsembleFormatError(outDir, 'an ensemble needs at least one member model');
  const w = weights ?? members.map(() => 1);
  if (w.length !== members.length) throw new EnsembleFormatError(outDir, `got ${w.length} weights for ${members.length} members`);
  const sum = w.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new EnsembleFormatError(outDir, 'ensemble weights must sum to a positive number');
  const rel: string[] = [];
  for (let i = 0; i < members.length; i++) {
    const src = members[i]!.dir;
    if (isEnsembleFolder(src)) throw new EnsembleFormatError(src, 'nested ensembles are not supported; list the member models directly');
    const dst = join(outDir, 'members', String(i));
    await mkdir(dst, { recursive: true });
    for (const f of await readdir(src)) {
      if (f.endsWith('.safetensors') || f.endsWith('.json') || f === 'merges.txt') {
        // committed artifacts are immutable: a hard link costs nothing and keeps the folder self-contained
        await link(join(src, f), join(dst, f)).catch(() => copyFile(join(src, f), join(dst, f)));
      }
    }
    rel.push(join('members', String(i)));
  }
  const spec: EnsembleSpec = { kind: 'ensemble', method: weights ? 'weighted_ensemble' : 'simple_ensemble', members: rel, weights: w.map((x) => x / sum), sources: members.map((m) => m.source ?? m.dir) };
  await writeFileAtomic(join(outDir, ENSEMBLE_FILE), JSON.stringify(spec, null, 2) + '\n');
  return spec;
}

/** A loaded ensemble: member models (dispose when done) and their weights. */
export interface LoadedEnsemble {
  readonly models: readonly ClipModel[];
  readonly weights: readonly number[];
  dispose(): void;
}

/** ensemble.json of an ensemble folder (written by writeEnsemble). */
const ensembleFormat = jsonFormat<EnsembleSpec>(ENSEMBLE_FILE, {
  type: 'object', required: ['kind', 'method', 'members', 'weights'],
  properties: {
    // method: the label writeEnsemble wrote (EnsembleSpec's union); the catalogue owns the names
    kind: { const: 'ensemble' }, method: { type: 'string' },
    members: { type: 'array', items: { type: 'string' } }, weights: { type: 'array', items: { type: 'number' } },
    sources: { type: 'array', items: { type: 'string' } },
  },
});

/** Load every member of an ensemble folder. */
export async function loadEnsemble(dir: string): Promise<LoadedEnsemble> {
  let spec: EnsembleSpec;
  try { spec = await ensembleFormat.readAsync(join(dir, ENSEMBLE_FILE)); } catch (e) { throw new EnsembleFormatError(dir, `cannot read ${ENSEMBLE_FILE}: ${(e as Error).message}`); }
  if (!Array.isArray(spec.members) || !Array.isArray(spec.weights) || spec.members.length !== spec.weights.length) throw new EnsembleFormatError(dir, `${ENSEMBLE_FILE} needs members and weights of equal length`);
  const models: ClipModel[] = [];
  try { for (const m of spec.members) models.push(await loadClip(join(dir, m))); } catch (e) { for (const m of models) m.dispose(); throw e; }
  return { models, weights: spec.weights, dispose: () => { for (const m of models) m.dispose(); } };
}

/** Averaged logits [n, classes] of the members for already-normalised images NHWC. */
export function predictEnsemble(models: readonly ClipModel[], head: Head, x: Float32Array, n: number, weights?: readonly number[]): tf.Tensor2D {
  const w = weights ?? models.map(() => 1 / models.length);
  return tf.tidy(() => {
    let acc: tf.Tensor2D | undefined;
    models.forEach((m, i) => {
      const l = tf.mul(classify(m, head, x, n), w[i]!) as tf.Tensor2D;
      acc = acc ? (tf.add(acc, l) as tf.Tensor2D) : l;
    });
    return acc!;
  });
}

/** Accuracy and mean loss of an ensemble on a task split: the same figures `evaluate` reports for one model. */
export function evaluateEnsemble(ens: LoadedEnsemble, head: Head, ds: TaskDataset, args: Omit<EvaluateArgs, 'ctx' | 'trainedHead'> = {}): EvalResult {
  const first = ens.models[0]!;
  checkHead(head, first.config.projection_dim, ds);
  return evaluateLogits(ds, first.config.vision_config.image_size, (x, n) => predictEnsemble(ens.models, head, x, n, ens.weights), args);
}
