// Continual fine-tuning of CLIP as FusionBench's ContinualImageClassificationFineTuningForCLIP
// (config/method/classification/clip_continual_finetune.yaml, seed 000): one model trained on the
// tasks in sequence (order shuffled with the seed when shuffle_order), the optimizer and the cosine
// schedule reset for every task (each task is one finetuneClip run of num_steps), LoRA/L-LoRA
// adapters merged into the dense weights after each task. After each task the model is evaluated
// on every task seen so far; backward transfer follows Lopez-Paz & Ranzato, "Gradient Episodic
// Memory for Continual Learning" (NeurIPS 2017, arXiv 1706.08840):
//   BWT = 1/(T−1) · Σ_{j<T−1} (R[T−1][j] − R[j][j]),  R[i][j] = accuracy on task j after task i.
// Resume: within a task, finetuneClip's own checkpoints; across tasks, the weights and results
// after each finished task are saved atomically, so a killed run re-enters at the task it was in.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SeededRng } from '../data/SeededRng.js';
import type { TaskDataset } from '../data/types.js';
import type { ClipModel } from '../models/clip.js';
import type { Head } from '../heads/head.js';
import { evaluate } from '../eval/evaluate.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { writeJsonAtomic, TRAIN_LOG_ENTRY_SCHEMA, type TrainLogEntry } from './checkpoint.js';
import { finetuneClip, type FinetuneArgs } from './finetuneClip.js';
import type { TrainingHooks, TrainProgress } from './TrainingHooks.js';
import { jsonFormat } from '../../util/jsonFormat.js';

/** One task of a continual or multi-task run: its zero-shot head, train split and test split. */
export interface TaskSplits {
  readonly head: Head;
  readonly train: TaskDataset;
  readonly test?: TaskDataset;
}

/** Progress of a multi-task-sequence run: the overall step plus the task being trained. */
export interface SequenceProgress extends TrainProgress {
  readonly task: string;
  readonly taskIndex: number;
  readonly tasks: number;
}

/** The CLIP fine-tune arguments (per task), plus the continual ones; the hooks count steps over the whole sequence. */
export interface ContinualArgs extends Omit<FinetuneArgs, keyof TrainingHooks | 'head' | 'state_dict_load_path' | 'state_dict_save_path' | 'skip_training'>, TrainingHooks<SequenceProgress> {
  /** true: the task order is a seeded shuffle of the given order */
  readonly shuffle_order: boolean;
  /** evaluate on the first N test examples of each task (default: the whole test split) */
  readonly max_eval_examples?: number;
  /** called after each task with the accuracy row R[i][0..i] */
  readonly onTaskDone?: (i: number, task: string, row: readonly number[]) => void;
}

/** Per-task figures of a continual run. */
export interface ContinualTaskRecord {
  readonly task: string;
  readonly steps: number;
  readonly seconds: number;
  readonly trainable_params: number;
  readonly final_loss: number | null;
}

export interface ContinualResult {
  /** task names in training order */
  readonly order: readonly string[];
  /** zero-shot accuracy of the starting model on each task (order as `order`); null without test splits */
  readonly zeroshot: readonly (number | null)[];
  /** accuracy[i][j] after training task i on task j ≤ i */
  readonly accuracy: readonly (readonly number[])[];
  /** average over all tasks of the final accuracy */
  readonly finalAverage: number | null;
  /** backward transfer (negative = forgetting); null for a single task or without test splits */
  readonly backwardTransfer: number | null;
  readonly tasks: readonly ContinualTaskRecord[];
  /** one log over all tasks, steps counted continuously */
  readonly log: readonly (TrainLogEntry & { readonly task: string })[];
  /** dense weights after the last task */
  readonly state: Map<string, NamedTensor>;
  readonly seconds: number;
  /** number of tasks already finished when this run started (resume) */
  readonly resumedAtTask?: number;
}

/** A task list a continual/multitask run cannot use: names it and the fix. */
export class TaskListError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TaskListError';
  }
}

/** Training order: the given order, or its seeded shuffle (the same seed always gives the same order). */
export function continualOrder(tasks: readonly string[], shuffle: boolean, seed: number): string[] {
  const order = [...tasks];
  if (!shuffle) return order;
  const idx = order.map((_, i) => i);
  new SeededRng((seed ^ 0x0c0417) >>> 0).shuffleInPlace(idx);
  return idx.map((i) => order[i]!);
}

/** BWT over an accuracy matrix R (rows: after task i, entries j ≤ i). */
export function backwardTransfer(R: readonly (readonly number[])[]): number | null {
  const T = R.length;
  if (T < 2) return null;
  let s = 0;
  for (let j = 0; j < T - 1; j++) s += R[T - 1]![j]! - R[j]![j]!;
  return s / (T - 1);
}

/** progress.json of a task sequence: how far it got, so a resumed run continues after the last task. */
const progressFormat = jsonFormat<Progress>('continual progress', {
  type: 'object', required: ['identity', 'done', 'zeroshot', 'accuracy', 'tasks', 'log', 'seconds'],
  properties: {
    identity: { type: 'string' }, done: { type: 'integer', minimum: 0 }, zeroshot: { type: 'array', items: { type: ['number', 'null'] } },
    accuracy: { type: 'array', items: { type: 'array', items: { type: 'number' } } }, tasks: { type: 'array' },
    log: { type: 'array', items: TRAIN_LOG_ENTRY_SCHEMA }, seconds: { type: 'number' },
  },
});

interface Progress {
  readonly identity: string;
  readonly done: number;
  readonly zeroshot: (number | null)[];
  readonly accuracy: number[][];
  readonly tasks: ContinualTaskRecord[];
  readonly log: (TrainLogEntry & { task: string })[];
  readonly seconds: number;
}

const isVision = (k: string) => k.startsWith('vision_model.') || k === 'visual_projection.weight';

/** Where a sequence got to: its progress file and the weights after its last finished task, if they belong to this run. */
async function resumeSequence(seqDir: string | undefined, identity: string, model: ClipModel, order: readonly string[], log: (s: string) => void): Promise<Progress | undefined> {
  if (!seqDir || !existsSync(join(seqDir, 'progress.json'))) return undefined;
  try {
    const p = await progressFormat.readAsync(join(seqDir, 'progress.json'));
    if (p.identity !== identity || !existsSync(join(seqDir, `after-${p.done}`, 'vision.safetensors'))) return undefined;
    model.assign(await readSafetensors(join(seqDir, `after-${p.done}`, 'vision.safetensors')));
    log(`resuming the task sequence after task ${p.done}/${order.length} (${order[p.done - 1]})`);
    return p;
  } catch (e) {
    log(`ignoring unreadable continual progress in ${seqDir}: ${(e as Error).message}`);
    return undefined;
  }
}

/** After task `done`: the vision weights, then the progress file that points at them (each atomically); older weights and the task's checkpoints go. */
async function saveSequence(seqDir: string, model: ClipModel, p: Progress, taskCheckpoints: string): Promise<void> {
  await mkdir(seqDir, { recursive: true });
  const vision = new Map([...model.stateDict()].filter(([k]) => isVision(k)));
  const tmp = join(seqDir, `.tmp-after-${p.done}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  await writeSafetensors(join(tmp, 'vision.safetensors'), vision);
  await rm(join(seqDir, `after-${p.done}`), { recursive: true, force: true });
  await rename(tmp, join(seqDir, `after-${p.done}`));
  await writeJsonAtomic(join(seqDir, 'progress.json'), p);
  for (const f of readdirSync(seqDir)) if (/^after-\d+$/.test(f) && f !== `after-${p.done}`) await rm(join(seqDir, f), { recursive: true, force: true });
  await rm(taskCheckpoints, { recursive: true, force: true });
}

/** Task `i`'s hooks from the sequence's: steps (checkpoints, resume, progress) counted over the whole sequence. */
function taskHooks(args: ContinualArgs, i: number, task: string, tasks: number): TrainingHooks {
  const offset = i * args.num_steps;
  const { checkpointDir, signal, onCheckpoint, onResume, onProgress, log } = args;
  return {
    ...(checkpointDir ? { checkpointDir: join(checkpointDir, `task-${i}`) } : {}),
    ...(signal ? { signal } : {}),
    ...(onCheckpoint ? { onCheckpoint: (s: number) => onCheckpoint(offset + s) } : {}),
    ...(onResume ? { onResume: (s: number) => onResume(offset + s) } : {}),
    onProgress: (p) => onProgress?.({ ...p, task, taskIndex: i, tasks, step: offset + p.step, total: tasks * args.num_steps }),
    ...(log ? { log } : {}),
  };
}

/** Train `model` (mutated) on `tasks` one after another. */
export async function continualFinetune(model: ClipModel, tasks: readonly TaskSplits[], args: ContinualArgs): Promise<ContinualResult> {
  if (!tasks.length) throw new TaskListError('continual fine-tuning needs at least one task');
  const names = tasks.map((t) => t.head.task);
  if (new Set(names).size !== names.length) throw new TaskListError(`continual fine-tuning got a task twice: ${names.join(', ')}`);
  const order = continualOrder(names, args.shuffle_order, args.seed);
  const byName = new Map(tasks.map((t) => [t.head.task, t]));
  const steps = args.num_steps;
  const log = args.log ?? (() => {});
  const { onProgress, onTaskDone, checkpointDir, signal, onCheckpoint, onResume, max_eval_examples, shuffle_order, ...perTask } = args;
  void onProgress; void signal; void onCheckpoint; void onResume; void shuffle_order;
  const identity = createHash('sha256').update(JSON.stringify({
    kind: 'continual', order, perTask: { ...perTask, log: undefined }, data: order.map((n) => byName.get(n)!.train.fingerprint), maxEval: max_eval_examples ?? null,
  })).digest('hex').slice(0, 16);
  log(`continual order: ${order.join(' → ')}`);
  const evalOn = (name: string): number | null => {
    const t = byName.get(name)!;
    if (!t.test) return null;
    return evaluate(model, t.head, t.test, max_eval_examples ? { maxExamples: max_eval_examples } : {}).accuracy;
  };

  const seqDir = checkpointDir ? join(checkpointDir, 'continual') : undefined;
  const prog = await resumeSequence(seqDir, identity, model, order, log);
  const zeroshot = prog?.zeroshot ?? order.map(evalOn);
  if (!prog) log(`zero-shot accuracy: ${order.map((n, i) => `${n} ${zeroshot[i] === null ? '-' : (zeroshot[i]! * 100).toFixed(2) + '%'}`).join(', ')}`);
  const accuracy: number[][] = prog ? prog.accuracy.map((r) => [...r]) : [];
  const records: ContinualTaskRecord[] = prog ? [...prog.tasks] : [];
  const fullLog: (TrainLogEntry & { task: string })[] = prog ? [...prog.log] : [];
  let seconds = prog?.seconds ?? 0;
  for (let i = prog?.done ?? 0; i < order.length; i++) {
    const name = order[i]!;
    const t = byName.get(name)!;
    log(`task ${i + 1}/${order.length}: ${name}`);
    const r = await finetuneClip(model, t.head, t.train, {
      ...perTask, head: 'zeroshot', num_steps: steps, state_dict_load_path: null, state_dict_save_path: null, skip_training: false, ...taskHooks(args, i, name, order.length),
    });
    // LoRA / L-LoRA: merge this task's adapters so the next task starts from the merged model
    if (r.adapters) { model.assign(r.state); r.adapters.dispose(); }
    for (const e of r.log) fullLog.push({ ...e, step: i * steps + e.step, seconds: Math.round((seconds + e.seconds) * 1000) / 1000, task: name });
    seconds += r.seconds;
    records.push({ task: name, steps: r.steps, seconds: Math.round(r.seconds * 1000) / 1000, trainable_params: r.trainableParams, final_loss: r.log.at(-1)?.loss ?? null });
    const row: number[] = [];
    for (let j = 0; j <= i; j++) { const a = evalOn(order[j]!); if (a !== null) row.push(a); }
    if (row.length === i + 1) accuracy.push(row);
    log(`after ${name}: ${row.map((a, j) => `${order[j]} ${(a * 100).toFixed(2)}%`).join(', ')}`);
    onTaskDone?.(i, name, row);
    if (seqDir) await saveSequence(seqDir, model, { identity, done: i + 1, zeroshot, accuracy, tasks: records, log: fullLog, seconds }, join(checkpointDir!, `task-${i}`));
  }
  const last = accuracy.at(-1);
  return {
    order, zeroshot, accuracy, finalAverage: last && last.length === order.length ? last.reduce((a, b) => a + b, 0) / last.length : null,
    backwardTransfer: accuracy.length === order.length ? backwardTransfer(accuracy) : null,
    tasks: records, log: fullLog, state: model.stateDict(), seconds, ...(prog ? { resumedAtTask: prog.done } : {}),
  };
}
