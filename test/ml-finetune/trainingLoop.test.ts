// The training-loop driver every trainer runs on, with a real (small) trainer: least squares on
// seeded data, drawn in a per-epoch shuffled order, Adam updates. What the driver owes every
// trainer: a Ctrl-C checkpoints and throws Interrupted, the next run resumes to the same bits as
// an unbroken run (log included), save points every save_interval steps, a non-finite loss stops
// with the trainer's error, and a rank that does not write checkpoints writes none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { newVariable } from '../../src/ml/models/clip.js';
import { Adam, adamCheckpointTensors, restoreAdamCheckpoint } from '../../src/ml/finetune/adam.js';
import { listCheckpoints } from '../../src/ml/finetune/checkpoint.js';
import { EpochOrder } from '../../src/ml/finetune/EpochOrder.js';
import type { TrainingHooks } from '../../src/ml/finetune/TrainingHooks.js';
import { runTrainingLoop, type Trainer } from '../../src/ml/finetune/trainingLoop.js';
import { Interrupted } from '../../src/util/interrupted.js';
import { ResolvedParamsDefect } from '../../src/registry/methods/resolve.js';
import { optionalCount, requiredString } from '../../src/stages/stageInputs.js';
import type { Stage } from '../../src/compile/ir.js';
import { tempDir } from '../ml-model/helpers.js';

const dir = tempDir('fbw-loop-');
const N = 37, D = 5, BS = 8, STEPS = 12;

/** Seeded regression data: y = X·w* + noise. */
function data(): { x: Float32Array; y: Float32Array } {
  const r = new SeededRng(3);
  const w = Array.from({ length: D }, () => r.normal());
  const x = new Float32Array(N * D), y = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) { const v = r.normal(); x[i * D + j] = v; s += v * w[j]!; }
    y[i] = s + 0.1 * r.normal();
  }
  return { x, y };
}

/** A least-squares trainer on the driver; `lr` large enough makes it diverge. */
function regression(lr = 0.05, writes = true): { trainer: Trainer; weights: () => Float32Array } {
  const { x, y } = data();
  const dataRng = new SeededRng(11);
  const order = EpochOrder.range(N, dataRng);
  const w = newVariable(tf.zeros([D, 1]), `w-${Math.random()}`);
  const vars = new Map([['w', w]]);
  const adam = new Adam(vars, { learningRate: lr });
  const trainer: Trainer = {
    runId: `regression-${lr}`, total: STEPS, what: 'training', saveInterval: 4, writesCheckpoints: writes,
    begin: (ck) => {
      if (!ck) return order.reshuffle();
      restoreAdamCheckpoint(ck, vars, adam, ck.state.adamT);
      dataRng.setState(ck.state.dataRng);
      order.restore(ck.state);
    },
    step: async () => {
      const idx = order.nextFull(BS);
      const xb = tf.tensor2d(idx.flatMap((i) => Array.from(x.subarray(i * D, (i + 1) * D))), [BS, D]);
      const yb = tf.tensor2d(idx.map((i) => y[i]!), [BS, 1]);
      const lossT = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(tf.matMul(xb, w), yb))) as tf.Scalar, [w]);
        adam.apply(new Map([['w', grads[w.name]!]]), lr);
        return value;
      });
      xb.dispose(); yb.dispose();
      const loss = lossT.dataSync()[0]!;
      lossT.dispose();
      return { loss, lr, accuracy: 0, examples: BS };
    },
    snapshot: () => ({ tensors: adamCheckpointTensors(vars, adam), state: { adamT: adam.t, dataRng: dataRng.getState(), noiseRng: 0, ...order.state() } }),
    diverged: (loss, at) => new Error(`regression loss became ${loss} at step ${at}`),
    dispose: () => adam.dispose(),
  };
  return { trainer, weights: () => w.dataSync() as Float32Array };
}

test('Ctrl-C checkpoints and throws Interrupted; the next run resumes to the bits of an unbroken run', async () => {
  await initBackend('cpu');
  const whole = regression();
  const a = await runTrainingLoop(whole.trainer, {});
  assert.is(a.steps, STEPS);
  assert.is(a.resumedFrom, undefined);

  const ck = join(dir, 'ck-interrupt');
  const ctrl = new AbortController();
  const seen: string[] = [];
  const hooks: TrainingHooks = { checkpointDir: ck, signal: ctrl.signal, onCheckpoint: (s) => { seen.push(`checkpoint ${s}`); if (s === 4) ctrl.abort(); }, onResume: (s) => seen.push(`resume ${s}`) };
  try { await runTrainingLoop(regression().trainer, hooks); assert.unreachable('should be interrupted'); } catch (e) {
    assert.instance(e, Interrupted);
    assert.is((e as Interrupted).step, 4, 'stops before the next step, with a checkpoint of the steps done');
  }
  assert.equal(listCheckpoints(ck), ['ckpt-000000004']);
  const resumed = regression();
  const b = await runTrainingLoop(resumed.trainer, { ...hooks, signal: new AbortController().signal });
  assert.equal(seen, ['checkpoint 4', 'checkpoint 4', 'resume 4', 'checkpoint 8']);
  assert.is(b.resumedFrom, 4);
  assert.equal(Array.from(resumed.weights()), Array.from(whole.weights()), 'same weights bit for bit');
  assert.equal(b.log.map((e) => [e.step, e.loss]), a.log.map((e) => [e.step, e.loss]), 'same log, resumed entries first');
});

test('save points every save_interval steps, none after the last; progress on every step', async () => {
  await initBackend('cpu');
  const ck = join(dir, 'ck-saves');
  const saved: number[] = [], steps: number[] = [];
  await runTrainingLoop(regression().trainer, { checkpointDir: ck, onCheckpoint: (s) => saved.push(s), onProgress: (p) => { steps.push(p.step); assert.ok(p.throughput > 0 && p.total === STEPS); } });
  assert.equal(saved, [4, 8]);
  assert.equal(steps, Array.from({ length: STEPS }, (_, i) => i + 1));
});

test('a non-finite loss stops with the trainer\'s error; a rank that does not write checkpoints writes none', async () => {
  await initBackend('cpu');
  try { await runTrainingLoop(regression(1e30).trainer, {}); assert.unreachable('should diverge'); } catch (e) {
    assert.match((e as Error).message, /regression loss became (NaN|Infinity) at step \d+/);
  }
  const ck = join(dir, 'ck-rank1');
  await runTrainingLoop(regression(0.05, false).trainer, { checkpointDir: ck });
  assert.not.ok(existsSync(ck));
});

test('a stage setting of the wrong type is a defect, never read as absent', () => {
  const stage = (params: Stage['params']): Stage => ({ id: 'x', kind: 'eval', method: 'accuracy', params, inputs: [], output: 'metrics', label: 'x' });
  assert.is(optionalCount(stage({}), 'max_examples'), undefined);
  assert.is(optionalCount(stage({ max_examples: 16 }), 'max_examples'), 16);
  for (const bad of ['16', 0, 2.5, null]) assert.throws(() => optionalCount(stage({ max_examples: bad }), 'max_examples'), (e: unknown) => e instanceof ResolvedParamsDefect);
  assert.is(requiredString(stage({ row: 'lora' }), 'row'), 'lora');
  assert.throws(() => requiredString(stage({}), 'row'), (e: unknown) => e instanceof ResolvedParamsDefect);
  assert.throws(() => requiredString(stage({ row: 3 }), 'row'), (e: unknown) => e instanceof ResolvedParamsDefect);
});

test.run();
