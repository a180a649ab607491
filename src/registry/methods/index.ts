// The ordered registry of methods: a new method is one file in this folder plus one line here.
import type { ArgsOf, MethodDef, MethodRole, Props } from './MethodDef.js';
import type { StreamingMerge } from '../../ml/merge/method.js';
import type { Json } from '../../util/json.js';
import { mergeFiles, type MergeFilesOptions, type MergeFilesResult } from '../../ml/merge/mergeFiles.js';
import { MergeInputError, UnknownMergeMethod } from '../../ml/merge/errors.js';
import { didYouMean } from '../../util/suggest.js';
import { resolveArgs } from './resolve.js';
import { full } from './full.js';
import { lora } from './lora.js';
import { l_lora } from './l_lora.js';
import { bitfit } from './bitfit.js';
import { classifier } from './classifier.js';
import { continual } from './continual.js';
import { multitask } from './multitask.js';
import { average } from './average.js';
import { weighted_average } from './weighted_average.js';
import { task_arithmetic } from './task_arithmetic.js';
import { ties } from './ties.js';
import { scaling_search } from './scaling_search.js';
import { dare } from './dare.js';
import { fisher } from './fisher.js';
import { regmean } from './regmean.js';
import { adamerging } from './adamerging.js';
import { ensemble } from './ensemble.js';
import { slerp } from './slerp.js';
import { contrastive } from './contrastive.js';
import { imagefolder } from './imagefolder.js';
import { parquet } from './parquet.js';

export type { MethodDef, MethodRole, JsonSchema, ArgsOf, Props, Prop, ParamAlias, MergeImpl } from './MethodDef.js';
export { defaultArgs, resolveArgs, argsOfStage, canonicalParam, inapplicable, invalidReason, MethodParamError, ResolvedParamsDefect } from './resolve.js';

/** Every method, in the order help texts list them. */
export const METHODS: readonly MethodDef[] = [
  full, lora, l_lora, bitfit, classifier,
  continual, multitask,
  average, weighted_average, task_arithmetic, ties, scaling_search, dare, slerp, fisher, regmean, adamerging, ensemble,
  contrastive,
  imagefolder, parquet,
];

const byName = new Map<string, MethodDef>();
for (const m of METHODS) {
  byName.set(m.name, m);
  for (const a of m.aliases ?? []) byName.set(a, m);
}

/** A method by canonical name or alias, regardless of role. */
export function findMethod(name: string): MethodDef | undefined {
  return byName.get(name);
}

/** Spellings valid in one position, for did-you-mean. */
export function methodNames(roles: readonly MethodRole[]): string[] {
  const out: string[] = [];
  for (const m of METHODS) if (roles.includes(m.role)) out.push(m.name, ...(m.aliases ?? []));
  return out;
}

/** A merge method by any of its names, with the parameters a variant name presets (`dare_ties` → on=ties). */
export function findMergeMethod(name: string): { def: MethodDef; preset: { readonly [k: string]: Json } } | undefined {
  const key = name.toLowerCase().replace(/-/g, '_');
  const d = byName.get(key);
  if (d) return d.role === 'merge' ? { def: d, preset: {} } : undefined;
  for (const m of METHODS) if (m.role === 'merge' && m.variants?.[key]) return { def: m, preset: m.variants[key]! };
  return undefined;
}

/** Every name a merge method answers to (canonical, aliases, variants), for did-you-mean. */
export function mergeMethodNames(): string[] {
  return METHODS.filter((m) => m.role === 'merge').flatMap((m) => [m.name, ...(m.aliases ?? []), ...Object.keys(m.variants ?? {})]);
}

/** The streaming merge a state-dict method runs with these resolved arguments (undefined: not state-dict level). */
export function streamingMerge<P extends Props>(def: MethodDef<P>, args: ArgsOf<P>): StreamingMerge | undefined {
  const impl = def.merge;
  if (!impl?.kernel) return undefined;
  return {
    name: def.name,
    needsBase: impl.needsBase,
    removedKeys: impl.removedKeys?.(args) ?? [],
    prepare: (ctx) => impl.kernel!(args, ctx),
  };
}

/**
 * Merge checkpoints with a state-dict method named as a user names it (`ties`, `dare_ties`, ...),
 * with user-given parameters: resolved by the catalogue, then streamed by ml's mergeFiles.
 */
export async function mergeCheckpoints(name: string, params: { readonly [k: string]: Json }, opts: MergeFilesOptions): Promise<MergeFilesResult> {
  const found = findMergeMethod(name);
  if (!found) throw new UnknownMergeMethod(name, didYouMean(name, mergeMethodNames()), METHODS.filter((m) => m.merge?.kernel).map((m) => m.name));
  const m = streamingMerge(found.def, resolveArgs(found.def, params, found.preset));
  if (!m) throw new MergeInputError(found.def.name, 'needs each task\'s head and data (it is not a state-dict merge); use it in a workflow');
  return mergeFiles(m, opts);
}
