// What the language knows about one method: where it may appear, its parameters as a JSON Schema
// (with the seeds' / FusionBench's names and defaults), and constraints JSON Schema cannot say well.
import type { StageKind } from '../stageKind.js';

/** Where a method name may appear in a workflow. */
export type MethodRole =
  | 'finetune'       // `finetune M on TASKS <method>`
  | 'finetune_mode'  // `finetune M on TASKS continual|multitask [<method>]`
  | 'merge'          // `... then <method>`
  | 'pretrain'       // `pretrain M on TASKS <method>`
  | 'dataset';       // `dataset d = <loader>("dir")`

/** A JSON Schema object (the subset ajv validates here). */
export type JsonSchema = { readonly [k: string]: unknown };

/** One method: its role, schema and constraints. */
export interface MethodDef {
  /** canonical name: what stage.method holds */
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly role: MethodRole;
  /** the stage kind this method lowers to (merge methods: 'merge' or 'ensemble') */
  readonly stageKind?: StageKind;
  readonly summary: string;
  /** paper or source the defaults follow */
  readonly citation: string;
  /** `{ type: 'object', properties: { name: { ..., default } }, additionalProperties: false }` */
  readonly schema: JsonSchema & { readonly properties: { readonly [param: string]: JsonSchema } };
  /** pairs that must not both be given; when the second is given the first resolves to null */
  readonly exclusive?: readonly (readonly [string, string])[];
  /** merge methods that read task data (and so need each task's zero-shot head) */
  readonly needsTaskData?: boolean;
  /** the first positional argument binds this parameter (dataset loaders: path) */
  readonly positional?: string;
}
