// The typed DAG that the compiler produces and every later phase consumes.
// This file is the contract between compile/, plan/, scheduler/, stages/ and ui/:
// change it only with care, and keep it plain data (JSON-serialisable) so a stage
// can be shipped to a worker process or a SLURM job as-is.

import type { Json } from '../util/json.js';
import type { SourceRef } from '../diagnostics/sourceRef.js';
import type { StageKind } from '../registry/stageKind.js';

// the shared vocabulary lives on lower floors; re-exported so the phases above have one contract
export type { Json, SourceRef, StageKind };

/** What flows along an edge. */
export type ArtifactType =
  | 'model'    // a full model folder in the Hugging Face layout (config.json + model.safetensors)
  | 'head'     // a classification head: zero-shot text embeddings (or a trained linear head) for one task
  | 'metrics'  // metrics.json of one evaluation (model x task)
  | 'report';  // report.{md,csv,json,html}

export interface StageInput {
  /** id of the producing stage */
  readonly stage: string;
  /** what the consumer uses it for: 'base' (pretrained), 'model' (a model to merge/eval), 'head', 'metrics', ... */
  readonly role: string;
  /** for role 'head' / per-task inputs: the task it belongs to */
  readonly task?: string;
}

export interface Stage {
  /** unique, readable, stable across compiles of the same text, e.g. "finetune.lora.sun397" */
  readonly id: string;
  readonly kind: StageKind;
  /** method name within the kind: 'lora', 'full', 'average', 'ties', 'zeroshot', 'accuracy', ... */
  readonly method: string;
  /** canonical task (dataset) name, where the stage concerns one task */
  readonly task?: string;
  /** canonical task names, for stages over several tasks (continual, multitask, report) */
  readonly tasks?: readonly string[];
  /** fully resolved parameters: defaults filled in, sweeps already expanded */
  readonly params: { readonly [k: string]: Json };
  readonly inputs: readonly StageInput[];
  readonly output: ArtifactType;
  /** the model architecture id flowing through this stage, e.g. "clip-vit-b32", "clip-tiny" */
  readonly architecture?: string;
  /** device hint from the source ('cpu', 'gpu', 'gpu:1'); the scheduler decides the slot */
  readonly device?: string;
  /** number of devices a data-parallel stage asks for (default 1) */
  readonly devices?: number;
  /** activation checkpointing asked for (an execution setting like devices: results are identical, so not in the key) */
  readonly gradient_checkpointing?: boolean;
  /** a label for reports and the UI, e.g. "lora(r=16) on sun397", "average", "ties(k=0.2)" */
  readonly label: string;
  /** where in the source this stage comes from */
  readonly source?: SourceRef;
  /** user-declared data sets this stage reads (`dataset d = imagefolder("dir")`), by task name;
   *  built-in tasks are absent: the data engine knows them by name */
  readonly datasets?: { readonly [task: string]: DatasetSource };
  /** `-> save "path"`: after commit, copy the output folder to this absolute path (not part of the key) */
  readonly saveTo?: string;
}

/** Where a user-declared data set lives; paths are absolute (resolved against the workflow's folder). */
export interface DatasetSource {
  readonly loader: 'imagefolder' | 'parquet';
  readonly path: string;
  /** the loader's other resolved parameters (image_column, label_column, train_split, ...) */
  readonly params: { readonly [k: string]: Json };
}

export interface Graph {
  /** the .fbw file this graph was compiled from */
  readonly file: string;
  /** stages in a topological order (every input appears before its consumer) */
  readonly stages: readonly Stage[];
}
