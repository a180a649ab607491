// The shape every merging method has: its parameters (names and defaults as in FusionBench's
// method configs), whether it needs the pretrained base, and a streaming kernel. The engine in
// mergeFiles.ts does all file handling; a method only sees float32 chunks of aligned tensors.
import { MergeParamError } from './errors.js';
import { didYouMean } from '../../util/suggest.js';

/** One parameter of a method: the CLI, the stage and `fbw merge --help` all read this. */
export interface ParamSpec {
  readonly name: string;
  readonly type: 'number' | 'boolean' | 'string' | 'number[]' | 'string[]';
  /** undefined = required */
  readonly default?: number | boolean | string | readonly number[] | readonly string[];
  readonly doc: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

/** Parameters after defaults and validation. */
export type ResolvedParams = { readonly [k: string]: number | boolean | string | readonly number[] | readonly string[] };

/** Aligned slices of one tensor, one slice per input; buffers are reused between calls. */
export interface Chunk {
  readonly name: string;
  readonly shape: readonly number[];
  /** element offset of this slice within the tensor */
  readonly start: number;
  readonly length: number;
  /** 2-D `.weight` of a Linear layer (not an embedding): DARE's only_on_linear_weights */
  readonly linearWeight: boolean;
  readonly base: Float32Array | undefined;
  readonly models: readonly Float32Array[];
}

/** What a method's whole-model passes can do before the merge pass. */
export interface PassContext {
  readonly numModels: number;
  /** total float elements in scope (the length of FusionBench's flattened state-dict vector) */
  readonly numel: number;
  /** stream every in-scope tensor of every input once, in order */
  pass(visit: (c: Chunk) => void): Promise<void>;
  /** human log line (the stage's log file, or stderr for the CLI) */
  readonly log: (line: string) => void;
}

/** The per-chunk merge, plus values to settle after the pass (rare, e.g. TIES sign ties). */
export interface Kernel {
  /** write the merged slice into out[0..c.length) */
  apply(c: Chunk, out: Float32Array): void;
  /** values to overwrite after the merge pass: (tensor, element index) -> value */
  finish?(): Iterable<readonly [string, number, number]>;
}

/** A merging method: one file each, listed once in registry.ts. */
export interface MergeMethod {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** one line for --help */
  readonly summary: string;
  /** paper the method follows */
  readonly citation: string;
  readonly needsBase: boolean;
  readonly params: readonly ParamSpec[];
  /** tensors (by name) this method keeps at the base value instead of merging */
  removedKeys?(p: ResolvedParams): readonly string[];
  prepare(p: ResolvedParams, ctx: PassContext): Promise<Kernel>;
}

/** Fill defaults and check types; unknown names get a did-you-mean. Accepts strings (CLI). */
export function resolveParams(method: Pick<MergeMethod, 'name' | 'params'>, raw: Readonly<Record<string, unknown>>): ResolvedParams {
  const out: Record<string, ResolvedParams[string]> = {};
  const names = method.params.map((p) => p.name);
  for (const k of Object.keys(raw)) {
    if (!names.includes(k)) {
      const hint = didYouMean(k, names);
      throw new MergeParamError(method.name, k, `is unknown${hint ? ` — did you mean '${hint}'?` : ''} (parameters: ${names.join(', ') || 'none'})`);
    }
  }
  for (const spec of method.params) {
    const v = raw[spec.name];
    if (v === undefined || v === null) {
      if (spec.default === undefined) throw new MergeParamError(method.name, spec.name, `is required: ${spec.doc}`);
      out[spec.name] = spec.default;
      continue;
    }
    out[spec.name] = coerce(method.name, spec, v);
  }
  return out;
}

function coerce(method: string, spec: ParamSpec, v: unknown): ResolvedParams[string] {
  const bad = (why: string): never => { throw new MergeParamError(method, spec.name, `${why} (got ${JSON.stringify(v)})`); };
  const num = (x: unknown): number => {
    const n = typeof x === 'string' && x.trim() !== '' ? Number(x) : x;
    if (typeof n !== 'number' || !Number.isFinite(n)) return bad('must be a number');
    if (spec.min !== undefined && n < spec.min) bad(`must be ≥ ${spec.min}`);
    if (spec.max !== undefined && n > spec.max) bad(`must be ≤ ${spec.max}`);
    return n as number;
  };
  const list = (x: unknown): unknown[] => Array.isArray(x) ? x : typeof x === 'string' ? (x.trim() === '' ? [] : x.replace(/^\[|\]$/g, '').split(',').map((s) => s.trim())) : bad('must be a list');
  switch (spec.type) {
    case 'number': return num(v);
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      return bad('must be true or false');
    case 'string': {
      if (typeof v !== 'string') return bad('must be a string');
      if (spec.choices && !spec.choices.includes(v)) {
        const hint = didYouMean(v, spec.choices);
        return bad(`must be one of ${spec.choices.join(', ')}${hint ? ` — did you mean '${hint}'?` : ''}`);
      }
      return v;
    }
    case 'number[]': return list(v).map(num);
    case 'string[]': return list(v).map((x) => typeof x === 'string' ? x : bad('must be a list of strings'));
  }
}

/** typed getters so methods read their resolved params without casts everywhere */
export const get = {
  num: (p: ResolvedParams, k: string): number => p[k] as number,
  bool: (p: ResolvedParams, k: string): boolean => p[k] as boolean,
  str: (p: ResolvedParams, k: string): string => p[k] as string,
  nums: (p: ResolvedParams, k: string): readonly number[] => p[k] as readonly number[],
  strs: (p: ResolvedParams, k: string): readonly string[] => p[k] as readonly string[],
};
