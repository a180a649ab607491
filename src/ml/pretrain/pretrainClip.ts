// Contrastive image–text pretraining (CLIP, Radford et al. 2021, arXiv 2103.00020, Fig. 3's
// symmetric cross-entropy over the image×text similarity matrix) for the bundled tiny CLIP. Our
// captions are prompt templates filled with class names, so a batch holds several captions of one
// class: targets are spread uniformly over every pair of the same (task, class) — the multi-positive
// form of the CLIP loss — instead of treating those duplicates as negatives.
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng } from '../data/SeededRng.js';
import type { TaskDataset } from '../data/types.js';
import { encodeImage, encodeText, patchify, type ClipModel, type ForwardContext } from '../models/clip.js';
import { l2Normalize } from '../models/ops.js';
import { Adam, adamCheckpointTensors, cosineLr, restoreAdamCheckpoint } from '../finetune/adam.js';
import type { TrainLogEntry } from '../finetune/checkpoint.js';
import type { TrainingHooks } from '../finetune/TrainingHooks.js';
import { runTrainingLoop, type Trainer } from '../finetune/trainingLoop.js';
import type { TextEncoder } from '../heads/zeroshotHead.js';

/** Gradients are clipped to this global norm, as CLIP-style training usually does (a fixed part of the method, not a parameter). */
export const MAX_GRAD_NORM = 1;
/** The learned temperature is capped at 100 (CLIP's clamp of logit_scale at ln 100). */
const MAX_LOGIT_SCALE = Math.log(100);

/**
 * Resolved arguments (names, defaults and ranges: the catalogue's `contrastive` method,
 * src/registry/methods/contrastive.ts), plus the caller's hooks.
 */
export interface PretrainArgs extends TrainingHooks {
  readonly num_steps: number;
  readonly batch_size: number;
  readonly learning_rate: number;
  /** decoupled (AdamW) weight decay */
  readonly weight_decay: number;
  /** linear warm-up steps before the cosine decay; null = 5% of num_steps */
  readonly warmup_steps: number | null;
  readonly seed: number;
  readonly save_interval: number;
}

/** One batch of image–caption pairs: images, captions, and soft targets over same-(task, class) pairs. */
interface PairBatch {
  readonly x: Float32Array;
  readonly captions: string[];
  readonly labels: string[];
  readonly target: Float32Array;
}

/** Sample B (task, index) pairs, then one random template per pair; targets spread over every pair of the same class. */
function samplePairs(tasks: readonly TaskDataset[], B: number, S: number, rng: SeededRng): PairBatch {
  const picks: { task: number; idx: number }[] = [];
  for (let i = 0; i < B; i++) { const ti = rng.int(0, tasks.length - 1); picks.push({ task: ti, idx: rng.int(0, tasks[ti]!.size - 1) }); }
  const x = new Float32Array(B * S * S * 3);
  const labels: string[] = new Array<string>(B);
  const captions: string[] = new Array<string>(B);
  for (let ti = 0; ti < tasks.length; ti++) {
    const pos = picks.map((p, i) => (p.task === ti ? i : -1)).filter((i) => i >= 0);
    if (!pos.length) continue;
    const ds = tasks[ti]!;
    const b = ds.batch(pos.map((i) => picks[i]!.idx), S);
    pos.forEach((i, j) => {
      x.set(b.x.subarray(j * S * S * 3, (j + 1) * S * S * 3), i * S * S * 3);
      const cls = ds.classnames[b.y[j]!]!;
      labels[i] = `${ds.name}/${b.y[j]}`;
      captions[i] = rng.pick(ds.templates).split('{}').join(cls);
    });
  }
  const target = new Float32Array(B * B);
  for (let i = 0; i < B; i++) {
    let c = 0;
    for (let j = 0; j < B; j++) if (labels[i] === labels[j]) c++;
    for (let j = 0; j < B; j++) if (labels[i] === labels[j]) target[i * B + j] = 1 / c;
  }
  return { x, captions, labels, target };
}

/** The symmetric multi-positive contrastive step on `batch`: loss, Adam update (skipped on a non-finite gradient), hits. */
function contrastiveStep(model: ClipModel, tok: TextEncoder, adam: Adam, log: (s: string) => void): (batch: PairBatch, lr: number, step: number) => { loss: number; hits: number } {
  const cfg = model.config, v = cfg.vision_config;
  const S = v.image_size, g = S / v.patch_size;
  const T = Math.min(32, cfg.text_config.max_position_embeddings);
  const ctx: ForwardContext = { p: (n) => model.get(n), trainable: () => true };
  const varList = [...adam.vars.values()];
  const keyOf = new Map([...adam.vars].map(([k, x]) => [x.name, k]));
  return (batch, lr, step) => {
    const B = batch.labels.length;
    const { ids, eot } = tok.encodeBatch(batch.captions, T);
    const patches = patchify(batch.x, B, S, v.patch_size);
    let hits = 0;
    const lossT = tf.tidy(() => {
      const pt = tf.tensor2d(patches, [B * g * g, 3 * v.patch_size ** 2]);
      const tgt = tf.tensor2d(batch.target, [B, B]);
      let argmaxT: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const im = l2Normalize(encodeImage(cfg, ctx, pt, B));
        const tx = l2Normalize(encodeText(cfg, ctx, ids, B, T, eot));
        const logits = tf.mul(tf.matMul(im, tf.transpose(tx)), tf.exp(tf.minimum(model.get('logit_scale'), MAX_LOGIT_SCALE)));
        argmaxT = tf.keep(tf.argMax(logits, 1));
        const li = tf.neg(tf.mean(tf.sum(tf.mul(tgt, tf.logSoftmax(logits)), -1)));
        const lt = tf.neg(tf.mean(tf.sum(tf.mul(tgt, tf.logSoftmax(tf.transpose(logits))), -1)));
        return tf.mul(tf.add(li, lt), 0.5) as tf.Scalar;
      }, varList);
      // clip by global norm
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((gr) => tf.sum(tf.square(gr))))).dataSync()[0]!;
      const f = norm > MAX_GRAD_NORM ? MAX_GRAD_NORM / norm : 1;
      const byKey = new Map<string, tf.Tensor>();
      for (const [n, gr] of Object.entries(grads)) byKey.set(keyOf.get(n)!, f === 1 ? gr : tf.mul(gr, f));
      if (Number.isFinite(norm)) adam.apply(byKey, lr);
      else log(`step ${step + 1}: non-finite gradient norm, update skipped`);
      const am = argmaxT!.dataSync();
      argmaxT!.dispose();
      for (let i = 0; i < B; i++) if (batch.labels[i] === batch.labels[am[i]!]) hits++;
      return value;
    });
    const loss = lossT.dataSync()[0]!;
    lossT.dispose();
    return { loss, hits };
  };
}

/** Pretrain every parameter of `model` (in place) on image–caption pairs drawn from `tasks`. */
export async function pretrainClip(model: ClipModel, tok: TextEncoder, tasks: readonly TaskDataset[], args: PretrainArgs): Promise<TrainLogEntry[]> {
  const S = model.config.vision_config.image_size;
  const total = args.num_steps, B = args.batch_size, lr0 = args.learning_rate;
  const warm = args.warmup_steps ?? Math.round(total * 0.05);
  const rng = new SeededRng(args.seed >>> 0);
  const vars = new Map<string, tf.Variable>(model.params);
  const adam = new Adam(vars, { learningRate: lr0, weightDecay: args.weight_decay, decoupled: true });
  const step = contrastiveStep(model, tok, adam, args.log ?? (() => {}));
  const trainer: Trainer = {
    runId: `pretrain:${tasks.map((t) => t.fingerprint).join(',')}:${total}:${B}:${lr0}:${args.seed}`,
    total, what: 'pretraining', saveInterval: args.save_interval,
    begin: (ck) => {
      if (!ck) return;
      restoreAdamCheckpoint(ck, vars, adam, ck.state.adamT);
      rng.setState(ck.state.dataRng);
    },
    step: async (done) => {
      const batch = samplePairs(tasks, B, S, rng);
      const lr = done < warm ? (lr0 * (done + 1)) / warm : cosineLr(lr0, done - warm, total - warm);
      const { loss, hits } = step(batch, lr, done);
      return { loss, lr, accuracy: hits / B, examples: B };
    },
    snapshot: () => ({ tensors: adamCheckpointTensors(vars, adam), state: { adamT: adam.t, dataRng: rng.getState(), noiseRng: 0, epoch: 0, cursor: 0, order: [] } }),
    diverged: (loss, at) => new Error(`pretraining loss became ${loss} at step ${at}`),
    dispose: () => adam.dispose(),
  };
  return (await runTrainingLoop(trainer, args)).log;
}
