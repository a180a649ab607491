// AdaMerging: task arithmetic whose coefficients are learned at test time by minimising the
// entropy of the merged model's predictions on unlabeled test batches of every task.
// Yang et al., "AdaMerging: Adaptive model merging for multi-task learning", ICLR 2024
// (arXiv 2310.02575). FusionBench: fusion_bench/method/adamerging/ (clip_task_wise_adamerging.py,
// clip_layer_wise_adamerging.py, entropy_loss.py) and config/method/adamerging/clip.yaml:
// θ = θ_pre + Σ_i λ_i τ_i (task-wise: one λ per model; layer-wise: one λ per model and parameter
// tensor), λ initialised to init_values, Adam(lr), max_steps steps of batch_size images per task,
// loss = Σ_tasks mean entropy; clamp_weights clamps λ to [0, 1]; given `weights`, no training.
import * as tf from '@tensorflow/tfjs-core';
import { batchStream, meanEntropy, visionNames, ModelMergeAborted, type ModelMergeArgs } from './modelMerge.js';
import { classify } from '../eval/evaluate.js';
import { newVariable, type ForwardContext } from '../models/clip.js';
import { MergeInputError } from './errors.js';

/** AdaMerging's arguments (FusionBench config/method/adamerging/clip.yaml names). */
export interface AdaMergingArgs {
  /** one coefficient per model ('task') or per model and tensor ('layer') */
  readonly granularity: 'task' | 'layer';
  readonly init_values: number;
  /** fixed coefficients (row-major [models × layers]): skip test-time adaptation; null = learn them */
  readonly weights: readonly number[] | null;
  readonly clamp_weights: boolean;
  /** Adam learning rate of the coefficients */
  readonly lr: number;
  readonly max_steps: number;
  readonly batch_size: number;
  /** seeds the order of the test batches (model i uses seed + i) */
  readonly seed: number;
}

/** Task- or layer-wise AdaMerging: merged vision tensors. */
export async function adaMerge(p: AdaMergingArgs, a: ModelMergeArgs): Promise<Map<string, Float32Array>> {
  const layerWise = p.granularity === 'layer';
  const name = `${p.granularity}_wise_adamerging`;
  const names = visionNames(a.base);
  const n = a.models.length;
  const L = layerWise ? names.length : 1;
  const given = p.weights ?? [];
  const lambda = new Float32Array(n * L).fill(p.init_values);
  if (given.length) {
    if (given.length !== n * L) throw new MergeInputError(name, `weights has ${given.length} values; ${layerWise ? `layer-wise needs ${n} models × ${L} tensors` : `task-wise needs one per model (${n})`}`);
    lambda.set(given);
  }
  const taskVectors = tf.tidy(() => a.models.map((m) => names.map((k) => tf.sub(m.get(k), a.base.get(k)))));
  const steps = given.length ? 0 : p.max_steps;
  try {
    if (steps > 0) {
      const lv = newVariable(tf.tensor2d(lambda, [n, L]), 'adamerging.lambda');
      const streams = await Promise.all(a.models.map(async (_, i) => batchStream(await a.data(i, 'test'), a.base.config.vision_config.image_size, p.batch_size, p.seed + i)));
      const lr = p.lr, clamp = p.clamp_weights;
      const m1 = new Float32Array(n * L), m2 = new Float32Array(n * L);
      const b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const vision = new Set(names);
      try {
        for (let step = 0; step < steps; step++) {
          if (a.signal?.aborted) throw new ModelMergeAborted();
          const batchesNow = streams.map((s) => s());
          const { value, grads } = tf.variableGrads(() => {
            const merged = new Map<string, tf.Tensor>();
            names.forEach((k, l) => {
              let t: tf.Tensor = a.base.get(k);
              for (let i = 0; i < n; i++) t = tf.add(t, tf.mul(tf.reshape(tf.slice(lv, [i, layerWise ? l : 0], [1, 1]), []), taskVectors[i]![l]!));
              merged.set(k, t);
            });
            const ctx: ForwardContext = { p: (k) => merged.get(k) ?? a.base.get(k), trainable: (k) => vision.has(k) };
            let loss: tf.Scalar = tf.scalar(0);
            batchesNow.forEach((b, i) => { loss = tf.add(loss, meanEntropy(classify(a.base, a.heads[i]!, b.x, b.n, ctx))) as tf.Scalar; });
            return loss;
          }, [lv]);
          const g = grads[lv.name]!.dataSync() as Float32Array;
          const cur = lv.dataSync() as Float32Array;
          const next = new Float32Array(n * L);
          const t = step + 1;
          for (let j = 0; j < n * L; j++) {
            m1[j] = b1 * m1[j]! + (1 - b1) * g[j]!;
            m2[j] = b2 * m2[j]! + (1 - b2) * g[j]! * g[j]!;
            const mh = m1[j]! / (1 - b1 ** t), vh = m2[j]! / (1 - b2 ** t);
            let v = cur[j]! - lr * mh / (Math.sqrt(vh) + eps);
            if (clamp) v = Math.min(1, Math.max(0, v));
            next[j] = v;
          }
          const nt = tf.tensor2d(next, [n, L]);
          lv.assign(nt);
          nt.dispose();
          const loss = value.dataSync()[0]!;
          tf.dispose([value, ...Object.values(grads)]);
          a.progress?.({ step: t, total: steps, phase: 'adamerging', loss });
          if (t === 1 || t % 50 === 0 || t === steps) a.log(`${name}: step ${t}/${steps} entropy ${loss.toFixed(4)}${layerWise ? '' : ` λ = [${[...next].map((x) => x.toFixed(3)).join(', ')}]`}`);
        }
        lambda.set(lv.dataSync() as Float32Array);
      } finally {
        lv.dispose();
      }
    }
    a.log(`${name}: coefficients ${layerWise ? `[${n} × ${L}] mean ${(lambda.reduce((x, y) => x + y, 0) / lambda.length).toFixed(4)}` : `[${[...lambda].map((x) => x.toFixed(4)).join(', ')}]`}`);
    const out = new Map<string, Float32Array>();
    names.forEach((k, l) => {
      const merged = tf.tidy(() => {
        let t: tf.Tensor = a.base.get(k);
        for (let i = 0; i < n; i++) t = tf.add(t, tf.mul(lambda[i * L + (layerWise ? l : 0)]!, taskVectors[i]![l]!));
        return t;
      });
      out.set(k, merged.dataSync() as Float32Array);
      merged.dispose();
    });
    a.record?.({ merging_weights: [...lambda], shape: [n, L], layers: layerWise ? names : ['all'] });
    return out;
  } finally {
    tf.dispose(taskVectors.flat());
  }
}
