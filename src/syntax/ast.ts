// The readonly AST of a .fbw file. Unions on `kind`; every switch over them is exhaustive.
import type { Span } from '../diagnostics/diagnostic.js';

/** A name as written, with where it was written. */
export interface Name { readonly text: string; readonly span: Span }

/** A literal argument value: numbers, strings, booleans, null, bare words, lists (values or sweeps), objects. */
export type Value =
  | { readonly kind: 'number'; readonly value: number; readonly span: Span }
  | { readonly kind: 'string'; readonly value: string; readonly span: Span }
  | { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'null'; readonly span: Span }
  | { readonly kind: 'word'; readonly value: string; readonly span: Span }
  | { readonly kind: 'list'; readonly items: readonly Value[]; readonly span: Span }
  | { readonly kind: 'object'; readonly entries: readonly { readonly key: Name; readonly value: Value }[]; readonly span: Span };

/** `name=value`, or a positional value (only dataset loaders accept those). */
export interface Arg { readonly name?: Name; readonly value: Value; readonly span: Span }

/** `method` or `method(args)`. */
export interface Call { readonly name: Name; readonly args: readonly Arg[]; readonly span: Span }

/** `TA8`, `mine` or `[sun397, cars]`. */
export type TaskList =
  | { readonly kind: 'ref'; readonly name: Name; readonly span: Span }
  | { readonly kind: 'list'; readonly items: readonly Name[]; readonly span: Span };

/** `on gpu`, `on gpu:1`, `on cpu`. */
export interface Device { readonly name: Name; readonly index?: number; readonly span: Span }

/** What a pipeline starts from: a fine-tune, a pretrain, an eval, a name, or a list of names. */
export type Source =
  | { readonly kind: 'finetune'; readonly model: Name; readonly tasks: TaskList; readonly methods: readonly Call[]; readonly device?: Device; readonly span: Span }
  | { readonly kind: 'pretrain'; readonly model: Name; readonly tasks: TaskList; readonly methods: readonly Call[]; readonly device?: Device; readonly span: Span }
  | { readonly kind: 'eval'; readonly model: Name; readonly tasks: TaskList; readonly device?: Device; readonly span: Span }
  | { readonly kind: 'ref'; readonly name: Name; readonly span: Span }
  | { readonly kind: 'refs'; readonly names: readonly Name[]; readonly span: Span };

/** What follows a source: `then MERGES`, `-> eval POOL`, `-> save "dir"`. */
export type Step =
  | { readonly kind: 'merge'; readonly methods: readonly Call[]; readonly fanout: boolean; readonly device?: Device; readonly span: Span }
  | { readonly kind: 'eval'; readonly tasks: TaskList; readonly device?: Device; readonly span: Span }
  | { readonly kind: 'save'; readonly path: string; readonly pathSpan: Span; readonly span: Span };

/** A source and its steps. */
export interface Pipeline { readonly source: Source; readonly steps: readonly Step[]; readonly span: Span }

/** One member of a model pool: `task: "repo/id"` (a hub repo id, a snapshot folder or a .safetensors file). */
export interface PoolMember { readonly task: Name; readonly path: string; readonly span: Span }

/** The value of `models NAME [from BASE] = ...`: a map of task -> checkpoint, or a built-in pool's name. */
export type ModelsValue =
  | { readonly kind: 'map'; readonly members: readonly PoolMember[]; readonly span: Span }
  | { readonly kind: 'builtin'; readonly name: Name };

/** One line of a .fbw file. */
export type Statement =
  | { readonly kind: 'model'; readonly name: Name; readonly value: { readonly kind: 'builtin'; readonly name: Name } | { readonly kind: 'path'; readonly path: string; readonly span: Span }; readonly from?: Name; readonly span: Span }
  | { readonly kind: 'models'; readonly name: Name; readonly from?: Name; readonly value: ModelsValue; readonly span: Span }
  | { readonly kind: 'dataset'; readonly name: Name; readonly loader: Call; readonly span: Span }
  | { readonly kind: 'pool'; readonly name: Name; readonly tasks: TaskList; readonly span: Span }
  | { readonly kind: 'let'; readonly name: Name; readonly pipeline: Pipeline; readonly span: Span }
  | { readonly kind: 'report'; readonly path: string; readonly pathSpan: Span; readonly span: Span }
  | { readonly kind: 'pipeline'; readonly pipeline: Pipeline; readonly span: Span };

/** A parsed file. `broken` lists names whose defining statement failed to parse, so uses of them are not reported again. */
export interface Program {
  readonly file: string;
  readonly statements: readonly Statement[];
  readonly broken: readonly Name[];
}
