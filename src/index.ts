// fbw as a library: the same phases the CLI chains, callable from TypeScript, as FusionBench's
// API usage section shows for Python (`from fusion_bench.method... import ...`).
//
//   import { loadClip, loadTask, buildZeroshotHead, tokenizerFor, lora, evaluate } from 'fbw';
//   const model = await loadClip('models/clip-tiny');
//   const head = buildZeroshotHead(model, await tokenizerFor(model), 'mnist', train.classnames, train.templates);
//   const result = await lora(model, head, train, { r: 8, learning_rate: 5e-3, num_steps: 200 });
import type { ClipModel } from './ml/models/clip.js';
import type { Head } from './ml/heads/head.js';
import type { TaskDataset } from './ml/data/index.js';
import { finetuneClip, type FinetuneArgs, type FinetuneMethod, type FinetuneResult } from './ml/finetune/finetuneClip.js';
import type { Json } from './util/json.js';
import { clipFinetuneArgs } from './registry/methods/clipFinetune.js';

// the language: text -> checked, typed DAG
export { compileWorkflow, parseWorkflow, checkWorkflow, lowerProgram, formatDiagnostic, formatDiagnostics } from './compile/index.js';
export type { Graph, Stage, StageKind, Diagnostic } from './compile/index.js';
// running a DAG: cache, resume, events
export { runGraph } from './scheduler/index.js';
export type { RunEvent, RunGraphOptions, RunGraphResult } from './scheduler/index.js';
export { planRun } from './plan/index.js';
// tensors: backend, models, heads, data, evaluation
export { initBackend, backendReport } from './ml/backend/initBackend.js';
export { loadClip, saveClip, ModelLoadError } from './ml/models/loadClip.js';
export { buildZeroshotHead, tokenizerFor } from './ml/heads/zeroshotHead.js';
export { readHead, writeHead } from './ml/heads/head.js';
export { loadTask, taskInfo, loadImageFile, preprocess, seededShuffle, SeededRng } from './ml/data/index.js';
export { ClipTokenizer, trainBpe } from './ml/text/tokenizer.js';
export { evaluate } from './ml/eval/evaluate.js';
// fine-tuning
export { finetuneClip, countTrainable, type FinetuneArgs, type FinetuneResult } from './ml/finetune/finetuneClip.js';
export { continualFinetune } from './ml/finetune/continual.js';
export { multitaskFinetune } from './ml/finetune/multitask.js';
export { finetuneClassifier, loadResNet, saveResNet } from './ml/classifier/index.js';
// merging (state-dict level, streaming) and reports
export { mergeFiles } from './ml/merge/mergeFiles.js';
export { findMergeMethod, streamingMerge, resolveArgs, defaultArgs, mergeCheckpoints, METHODS } from './registry/index.js';
export { clipFinetuneArgs } from './registry/methods/clipFinetune.js';
export { buildReport, writeReport } from './report/index.js';
export { readSafetensors, writeSafetensors, SafetensorsReader, SafetensorsWriter } from './ml/io/safetensors.js';

/** Hyper-parameters by their catalogue names (unset ones take the catalogue's defaults), plus finetuneClip's hooks. */
type MethodArgs = { readonly [k: string]: Json } & Partial<Pick<FinetuneArgs, 'checkpointDir' | 'signal' | 'onProgress' | 'onCheckpoint' | 'onResume' | 'log' | 'dataParallel'>>;

function withCatalogue(method: FinetuneMethod, args: MethodArgs): FinetuneArgs {
  const params: { [k: string]: Json } = {};
  const hooks: { [k: string]: unknown } = {};
  for (const [k, v] of Object.entries(args)) (HOOKS.has(k) ? hooks : params)[k] = v as Json;
  return { ...hooks, ...clipFinetuneArgs(method, params, 'user') };
}
const HOOKS: ReadonlySet<string> = new Set(['checkpointDir', 'signal', 'onProgress', 'onCheckpoint', 'onResume', 'log', 'dataParallel']);

/** CLIP full fine-tuning of the vision tower against a frozen head (FusionBench clip_finetune). */
export function full(model: ClipModel, head: Head, train: TaskDataset, args: MethodArgs = {}): Promise<FinetuneResult> {
  return finetuneClip(model, head, train, withCatalogue('full', args));
}

/** LoRA on the vision tower's attention projections (Hu et al., ICLR 2022); r, lora_alpha, ... as in the seeds. */
export function lora(model: ClipModel, head: Head, train: TaskDataset, args: MethodArgs = {}): Promise<FinetuneResult> {
  return finetuneClip(model, head, train, withCatalogue('lora', args));
}

/** Linearized LoRA (Tang et al., ICLR 2024, arXiv 2310.04742). */
export function lLora(model: ClipModel, head: Head, train: TaskDataset, args: MethodArgs = {}): Promise<FinetuneResult> {
  return finetuneClip(model, head, train, withCatalogue('l_lora', args));
}

/** BitFit: only bias terms train (Ben Zaken et al., ACL 2022). */
export function bitfit(model: ClipModel, head: Head, train: TaskDataset, args: MethodArgs = {}): Promise<FinetuneResult> {
  return finetuneClip(model, head, train, withCatalogue('bitfit', args));
}
