// What the catalogue knows about one method: where it may appear, its parameters as a JSON Schema
// (with the seeds' / FusionBench's names and defaults), constraints JSON Schema cannot say well,
// and — for merge methods — the ml function it calls. This is the only place a method's name,
// parameters and defaults are stated; ml functions take already-resolved, required arguments
// whose types are derived from the schema here (ArgsOf).
import type { StageKind } from '../stageKind.js';
import type { Json } from '../../util/json.js';
import type { Kernel, PassContext } from '../../ml/merge/method.js';
import type { ModelMergeArgs } from '../../ml/merge/modelMerge.js';

/** Where a method name may appear in a workflow. */
export type MethodRole =
  | 'finetune'       // `finetune M on TASKS <method>`
  | 'finetune_mode'  // `finetune M on TASKS continual|multitask [<method>]`
  | 'merge'          // `... then <method>`
  | 'pretrain'       // `pretrain M on TASKS <method>`
  | 'dataset';       // `dataset d = <loader>("dir")`

/** A JSON Schema object (the subset ajv validates here). */
export type JsonSchema = { readonly [k: string]: unknown };

/** One parameter's JSON Schema, carrying (at the type level only) the TypeScript type of its value. */
export type Prop<T> = JsonSchema & { readonly __value?: T };

/** The parameters of a method. */
export type Props = { readonly [k: string]: Prop<unknown> };

/** The resolved arguments of a method with parameters P: every parameter present, typed by its schema. */
export type ArgsOf<P> = { readonly [K in keyof P]: P[K] extends Prop<infer T> ? T : never };

/** Another spelling of a parameter, possibly in another unit (`ties(k=0.2)` = `threshold=20`). */
export interface ParamAlias {
  /** the canonical parameter it sets */
  readonly to: string;
  /** the schema of the alias's own value (its unit and range) */
  readonly schema: JsonSchema;
  /** value in the alias's unit → the canonical parameter's value; identity when absent */
  readonly convert?: (v: Json) => Json;
  /** one line for help and hints: what the alias means */
  readonly doc: string;
}

/** How a merge method merges: the ml function it calls, and what it needs. */
export interface MergeImpl<A> {
  /** task-vector methods read the pretrained model */
  readonly needsBase: boolean;
  /** fewest / most models it merges (the language's FBW0113 and `fbw merge` check the same numbers) */
  readonly minModels: number;
  readonly maxModels?: number;
  /** state-dict level, streamed tensor by tensor (the merge stage and `fbw merge`) */
  kernel?(args: A, ctx: PassContext): Promise<Kernel>;
  /** tensors kept at the base value instead of merged */
  removedKeys?(args: A): readonly string[];
  /** data-driven (models, heads and task data in memory; the merge stage only): merged vision tensors */
  model?(args: A, x: ModelMergeArgs): Promise<Map<string, Float32Array>>;
}

/** One method: its role, schema and constraints. */
export interface MethodDef<P extends Props = Props> {
  /** canonical name: what stage.method holds */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** further names that preset a selector parameter (`dare_ties` = `dare(on=ties)`), for `fbw merge` */
  readonly variants?: { readonly [name: string]: { readonly [param: string]: Json } };
  readonly role: MethodRole;
  /** the stage kind this method lowers to (merge methods: 'merge' or 'ensemble') */
  readonly stageKind?: StageKind;
  readonly summary: string;
  /** paper or source the defaults follow */
  readonly citation: string;
  /** `{ type: 'object', properties: { name: { ..., default } }, additionalProperties: false }` */
  readonly schema: JsonSchema & { readonly properties: P };
  /** other spellings of parameters, checked by the language and `fbw merge` alike */
  readonly paramAliases?: { readonly [alias: string]: ParamAlias };
  /** parameters that apply only for some values of a selector parameter (dare's `on`) */
  readonly appliesWhen?: { readonly [param: string]: { readonly param: string; readonly values: readonly Json[] } };
  /** pairs that must not both be given; when the second is given the first resolves to null */
  readonly exclusive?: readonly (readonly [string, string])[];
  /** merge methods that read task data (and so need each task's zero-shot head) */
  readonly needsTaskData?: boolean;
  /** the first positional argument binds this parameter (dataset loaders: path) */
  readonly positional?: string;
  /** merge methods: the ml function they call */
  readonly merge?: MergeImpl<ArgsOf<P>>;
}

/** A method definition with its parameter types kept (the catalogue files use this). */
export function defineMethod<P extends Props>(def: MethodDef<P>): MethodDef<P> {
  return def;
}
