// The ordered registry of methods: a new method is one file in this folder plus one line here.
import type { MethodDef, MethodRole } from './MethodDef.js';
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
import { dare } from './dare.js';
import { fisher } from './fisher.js';
import { regmean } from './regmean.js';
import { adamerging } from './adamerging.js';
import { ensemble } from './ensemble.js';
import { contrastive } from './contrastive.js';
import { imagefolder } from './imagefolder.js';
import { parquet } from './parquet.js';

export type { MethodDef, MethodRole, JsonSchema } from './MethodDef.js';

/** Every method, in the order help texts list them. */
export const METHODS: readonly MethodDef[] = [
  full, lora, l_lora, bitfit, classifier,
  continual, multitask,
  average, weighted_average, task_arithmetic, ties, dare, fisher, regmean, adamerging, ensemble,
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
