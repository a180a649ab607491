// How the method calls of a statement combine: `lora(...)`, `continual lora(...)`,
// `continual(...)` (= continual full), `multitask bitfit`, `contrastive(...)`.
import { findMethod, type MethodDef } from '../registry/index.js';
import type * as A from '../syntax/ast.js';
import { full } from '../registry/methods/full.js';
import { contrastive } from '../registry/methods/contrastive.js';

/** A fine-tune statement's methods: an optional mode (continual / multitask) over a base method. */
export interface FinetuneSpec {
  readonly mode?: MethodDef;
  readonly base: MethodDef;
  readonly calls: readonly A.Call[];
}

/** The spec, or undefined when the calls do not form one (the KnownMethodsRule says why). */
export function finetuneSpec(calls: readonly A.Call[]): FinetuneSpec | undefined {
  const defs = calls.map((c) => findMethod(c.name.text));
  if (defs.some((d) => d === undefined)) return undefined;
  const [a, b] = defs as MethodDef[];
  if (calls.length === 0) return { base: full, calls };
  if (calls.length === 1) {
    if (a!.role === 'finetune') return { base: a!, calls };
    if (a!.role === 'finetune_mode') return { mode: a!, base: full, calls };
    return undefined;
  }
  if (calls.length === 2 && a!.role === 'finetune_mode' && b!.role === 'finetune') return { mode: a!, base: b!, calls };
  return undefined;
}

/** A pretrain statement's method (default contrastive), or undefined when invalid. */
export function pretrainSpec(calls: readonly A.Call[]): MethodDef | undefined {
  if (calls.length === 0) return contrastive;
  if (calls.length > 1) return undefined;
  const d = findMethod(calls[0]!.name.text);
  return d && d.role === 'pretrain' ? d : undefined;
}

/** A merge step's methods (one per call), or undefined entries for unknown / misplaced ones. */
export function mergeDefs(calls: readonly A.Call[]): (MethodDef | undefined)[] {
  return calls.map((c) => {
    const d = findMethod(c.name.text);
    return d && d.role === 'merge' ? d : undefined;
  });
}
