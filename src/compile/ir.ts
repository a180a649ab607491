// The typed DAG that the compiler produces and every later phase consumes.
// This file is the contract between compile/, plan/, scheduler/, stages/ and ui/:
// change it only with care, and keep it plain data (JSON-serialisable) so a stage
// can be shipped to a worker process or a SLURM job as-is.

/** JSON value, as stored in resolved parameters. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** A location in a .fbw source file (1-based line/column, 0-based offsets, end exclusive). */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly endOffset: number;
}

/** What flows along an edge. */
export type ArtifactType =
  | 'model'    // a full model folder in the Hugging Face layout (config.json + model.safetensors)
  | 'head'     // a classification head: zero-shot text embeddings (or a trained linear head) for one task
  | 'metrics'  // metrics.json of one evaluation (model x task)
  | 'report';  // report.{md,csv,json,html}

/** Stage kinds; every switch over them must be exhaustive. */
export type StageKind =
  | 'pretrained'     // resolve a model declaration to weights on disk (built-in, local snapshot, bundled tiny)
  | 'pretrain'       // contrastive image-text pretraining (how the bundled tiny CLIP is made)
  | 'zeroshot_head'  // class names x templates -> normalised text embeddings, per task
  | 'finetune'       // full / lora / l_lora / bitfit / linear-head fine-tune on one task
  | 'continual'      // sequential fine-tune over tasks (optimizer reset per task)
  | 'multitask'      // one model trained on all tasks at once
  | 'merge'          // average, task_arithmetic, ties, dare, fisher, regmean, adamerging, ...
  | 'ensemble'       // not a weight merge: averaged logits of several models (output is a 'model' folder listing members)
  | 'eval'           // one model on one task -> metrics
  | 'report';        // all metrics of a run -> report files

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
