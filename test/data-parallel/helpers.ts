// Shared by the data-parallel tests and bench: the bundled tiny CLIP with a zero-shot head, a
// finetune stage on a local task, the single-process whole-batch reference, and weight diffs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stage, Json } from '../../src/compile/ir.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { readHead, writeHead } from '../../src/ml/heads/head.js';
import { loadTask, taskInfo } from '../../src/ml/data/index.js';
import { finetuneClip, type FinetuneArgs } from '../../src/ml/finetune/finetuneClip.js';
import { readSafetensors, type NamedTensor } from '../../src/ml/io/safetensors.js';
import { runStageJob } from '../../src/devices/runStageJob.js';
import type { FromWorker, StageJob } from '../../src/protocol/stageJob.js';
import { tinyClipDir } from '../ml-model/helpers.js';
import { compiledParams } from '../shared/compiledParams.js';

export const TASK = 'synth_shapes';

/** Write the tiny CLIP's zero-shot head for TASK into `dir`. */
export async function makeHead(dir: string): Promise<string> {
  await initBackend('cpu');
  const model = await loadClip(tinyClipDir());
  const info = taskInfo(TASK);
  await writeHead(dir, buildZeroshotHead(model, await tokenizerFor(tinyClipDir()), info.name, info.classnames, info.templates));
  model.dispose();
  return dir;
}

/** A finetune stage of the tiny CLIP on TASK (inputs 'pre' → base, 'head' → head). */
export function finetuneStage(method: string, params: { [k: string]: Json }, devices = 1): Stage {
  return {
    id: `finetune.${method}.${TASK}`, kind: 'finetune', method, task: TASK, params: compiledParams([method], params), output: 'model', label: `${method} on ${TASK}`,
    inputs: [{ stage: 'pre', role: 'base' }, { stage: 'head', role: 'head', task: TASK }],
    ...(devices > 1 ? { devices } : {}),
  };
}

/** Run a stage job in this process as the worker would (rank 0 here; ranks > 0 are forked). */
export async function runJob(dir: string, stage: Stage, headDir: string, device: string, signal: AbortSignal = new AbortController().signal, onMessage: (m: FromWorker, job: StageJob) => void = () => {}): Promise<{ out: string; messages: FromWorker[]; log: string }> {
  const tag = `${stage.method}-${device.replace(/[^a-z0-9]/g, '_')}-${Math.random().toString(36).slice(2, 8)}`;
  const out = join(dir, 'out', tag);
  const job: StageJob = {
    run: 'test', stage, key: tag, attempt: 1, inputs: { pre: tinyClipDir(), head: headDir }, outDir: out,
    checkpointDir: join(dir, 'ck', stage.id + device), device, logFile: join(dir, 'logs', `${tag}.log`), workflowDir: dir,
  };
  mkdirSync(out, { recursive: true });
  const messages: FromWorker[] = [];
  await runStageJob(job, (m) => { messages.push(m); onMessage(m, job); }, signal);
  return { out, messages, log: job.logFile };
}

/** The reference: one process, one device, the whole batch every step. */
export async function referenceRun(headDir: string, args: FinetuneArgs): Promise<{ state: Map<string, NamedTensor>; losses: number[]; headWeight?: Float32Array }> {
  await initBackend('cpu');
  const model = await loadClip(tinyClipDir());
  const r = await finetuneClip(model, await readHead(headDir), await loadTask(TASK, 'train'), args);
  r.adapters?.dispose();
  model.dispose();
  return { state: r.state, losses: r.log.map((e) => e.loss), ...(r.linearHead ? { headWeight: r.linearHead.weight } : {}) };
}

/**
 * Tensors whose gradient is zero in exact arithmetic: a key bias adds q·b to every score of a
 * query, which softmax ignores. Their float gradient is pure rounding noise, which Adam scales
 * up to ±learning_rate per step, so they differ between any two summation orders by up to
 * 2·lr·steps. They are compared against that bound, everything else against the tolerance.
 */
export const NOISE_ONLY = /\.self_attn\.k_proj\.bias$/;

/** Largest |a − b| over the vision tensors of `ref` (and of the exact-zero-gradient ones apart). */
export async function maxAbsDiff(modelFile: string, ref: ReadonlyMap<string, NamedTensor>): Promise<{ max: number; maxNoiseOnly: number; tensors: number; changed: number }> {
  const got = await readSafetensors(modelFile);
  let max = 0, maxNoiseOnly = 0, tensors = 0, changed = 0;
  const base = await readSafetensors(join(tinyClipDir(), 'model.safetensors'));
  for (const [k, r] of ref) {
    if (!k.startsWith('vision_model.') && k !== 'visual_projection.weight') continue;
    const g = got.get(k);
    if (!g) throw new Error(`${modelFile} lacks ${k}`);
    tensors++;
    const b = base.get(k)!;
    let moved = false, m = 0;
    for (let i = 0; i < r.data.length; i++) {
      m = Math.max(m, Math.abs(g.data[i]! - r.data[i]!));
      if (g.data[i] !== b.data[i]) moved = true;
    }
    if (NOISE_ONLY.test(k)) maxNoiseOnly = Math.max(maxNoiseOnly, m);
    else max = Math.max(max, m);
    if (moved) changed++;
  }
  return { max, maxNoiseOnly, tensors, changed };
}
