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
import { Adam, cosineLr } from '../finetune/adam.js';
import { readLatestCheckpoint, writeCheckpoint, type CheckpointState, type TrainLogEntry } from '../finetune/checkpoint.js';
import type { NamedTensor } from '../io/safetensors.js';
import type { TextEncoder } from '../heads/zeroshotHead.js';
import { Interrupted } from '../../util/interrupted.js';

export interface PretrainArgs {
  readonly num_steps: number;
  readonly batch_size: number;
  readonly learning_rate: number;
  /** decoupled (AdamW) weight decay, default 0 */
  readonly weight_decay: number;
  /** linear warm-up steps before the cosine decay (default 5% of num_steps) */
  readonly warmup_steps?: number;
  readonly seed: number;
  /** gradient clipping by global norm (default 1) */
  readonly max_grad_norm?: number;
  readonly save_interval?: number;
  readonly checkpointDir?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { step: number; total: number; loss: number; lr: number; accuracy: number; throughput: number }) => void;
  readonly onCheckpoint?: (step: number) => void;
  readonly onResume?: (step: number) => void;
  readonly log?: (line: string) => void;
}

/** Pretrain every parameter of `model` (in place) on image–caption pairs drawn from `tasks`. */
export async function pretrainClip(model: ClipModel, tok: TextEncoder, tasks: readonly TaskDataset[], args: PretrainArgs): Promise<TrainLogEntry[]> {
  const cfg = model.config;
  const v = cfg.vision_config;
  const S = v.image_size, g = S / v.patch_size;
  const T = Math.min(32, cfg.text_config.max_position_embeddings);
  const total = args.num_steps, B = args.batch_size;
  const warm = args.warmup_steps ?? Math.round(total * 0.05);
  const log = args.log ?? (() => {});
  const rng = new SeededRng(args.seed >>> 0);
  const vars = new Map<string, tf.Variable>(model.params);
  const adam = new Adam(vars, { learningRate: args.learning_rate, weightDecay: args.weight_decay, decoupled: true });
  const ctx: ForwardContext = { p: (n) => model.get(n), trainable: () => true };
  const varList = [...vars.values()];
  const keyOf = new Map([...vars].map(([k, x]) => [x.name, k]));
  const trainLog: TrainLogEntry[] = [];
  const identity = `pretrain:${tasks.map((t) => t.fingerprint).join(',')}:${total}:${B}:${args.learning_rate}:${args.seed}`;
  let step = 0, prevSeconds = 0;
  if (args.checkpointDir) {
    const ck = await readLatestCheckpoint(args.checkpointDir, identity, log);
    if (ck) {
      for (const [k, x] of vars) tf.tidy(() => {
        x.assign(tf.tensor(ck.tensors.get(`param/${k}`)!.data, x.shape));
        adam.m.get(k)!.assign(tf.tensor(ck.tensors.get(`m/${k}`)!.data, x.shape));
        adam.v.get(k)!.assign(tf.tensor(ck.tensors.get(`v/${k}`)!.data, x.shape));
      });
      adam.t = ck.state.adamT; rng.setState(ck.state.dataRng); step = ck.state.step; prevSeconds = ck.state.seconds;
      trainLog.push(...ck.state.log);
      log(`resumed from ${ck.path} at step ${step}`);
      args.onResume?.(step);
    }
  }
  const checkpoint = async (seconds: number) => {
    if (!args.checkpointDir) return;
    const t = new Map<string, NamedTensor>();
    for (const [k, x] of vars) {
      t.set(`param/${k}`, { shape: x.shape, data: x.dataSync() as Float32Array });
      t.set(`m/${k}`, { shape: x.shape, data: adam.m.get(k)!.dataSync() as Float32Array });
      t.set(`v/${k}`, { shape: x.shape, data: adam.v.get(k)!.dataSync() as Float32Array });
    }
    const st: CheckpointState = { version: 1, runId: identity, step, adamT: adam.t, dataRng: rng.getState(), noiseRng: 0, epoch: 0, cursor: 0, order: [], log: trainLog, seconds };
    await writeCheckpoint(args.checkpointDir, st, t);
    args.onCheckpoint?.(step);
  };
  const maxScale = Math.log(100);
  const maxGradNorm = args.max_grad_norm ?? 1;
  const t0 = performance.now();
  let lastT = t0;
  try {
    while (step < total) {
      if (args.signal?.aborted) { await checkpoint(prevSeconds + (performance.now() - t0) / 1000); throw new Interrupted(step, 'pretraining'); }
      // sample (task, index) pairs, then one random template per pair
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
      const { ids, eot } = tok.encodeBatch(captions, T);
      const patches = patchify(x, B, S, v.patch_size);
      const lr = step < warm ? (args.learning_rate * (step + 1)) / warm : cosineLr(args.learning_rate, step - warm, total - warm);
      let acc = 0;
      const lossT = tf.tidy(() => {
        const pt = tf.tensor2d(patches, [B * g * g, 3 * v.patch_size ** 2]);
        const tgt = tf.tensor2d(target, [B, B]);
        let argmaxT: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const im = l2Normalize(encodeImage(cfg, ctx, pt, B));
          const tx = l2Normalize(encodeText(cfg, ctx, ids, B, T, eot));
          const logits = tf.mul(tf.matMul(im, tf.transpose(tx)), tf.exp(tf.minimum(model.get('logit_scale'), maxScale)));
          argmaxT = tf.keep(tf.argMax(logits, 1));
          const li = tf.neg(tf.mean(tf.sum(tf.mul(tgt, tf.logSoftmax(logits)), -1)));
          const lt = tf.neg(tf.mean(tf.sum(tf.mul(tgt, tf.logSoftmax(tf.transpose(logits))), -1)));
          return tf.mul(tf.add(li, lt), 0.5) as tf.Scalar;
        }, varList);
        // clip by global norm (max_grad_norm), as CLIP-style training usually does
        const norm = tf.sqrt(tf.addN(Object.values(grads).map((gr) => tf.sum(tf.square(gr))))).dataSync()[0]!;
        const f = norm > maxGradNorm ? maxGradNorm / norm : 1;
        const byKey = new Map<string, tf.Tensor>();
        for (const [n, gr] of Object.entries(grads)) byKey.set(keyOf.get(n)!, f === 1 ? gr : tf.mul(gr, f));
        if (Number.isFinite(norm)) adam.apply(byKey, lr);
        else log(`step ${step + 1}: non-finite gradient norm, update skipped`);
        const am = argmaxT!.dataSync();
        argmaxT!.dispose();
        for (let i = 0; i < B; i++) if (labels[i] === labels[am[i]!]) acc++;
        return value;
      });
      const loss = lossT.dataSync()[0]!;
      lossT.dispose();
      step++;
      const now = performance.now();
      const seconds = prevSeconds + (now - t0) / 1000;
      trainLog.push({ step, loss, lr, accuracy: acc / B, seconds: Math.round(seconds * 1000) / 1000 });
      args.onProgress?.({ step, total, loss, lr, accuracy: acc / B, throughput: B / Math.max(1e-9, (now - lastT) / 1000) });
      lastT = now;
      if (!Number.isFinite(loss)) throw new Error(`pretraining loss became ${loss} at step ${step}`);
      if (args.save_interval && step % args.save_interval === 0 && step < total) await checkpoint(seconds);
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    adam.dispose();
  }
  return trainLog;
}
