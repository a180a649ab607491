// Parameters that contradict each other are not given together (FBW0108), e.g. the classifier
// fine-tune's max_epochs and max_steps: training stops by epochs or by steps, not both.
import { error } from '../../diagnostics/diagnostic.js';
import { findMethod } from '../../registry/index.js';
import type * as A from '../../syntax/ast.js';
import type { Rule } from '../CheckContext.js';

/** FBW0108: both members of an exclusive pair given. */
export const ExclusiveParamsRule: Rule = (ctx) => {
  const checkCalls = (calls: readonly A.Call[]): void => {
    const given = new Map<string, A.Arg>();
    for (const c of calls) for (const a of c.args) if (a.name) given.set(a.name.text, a);
    for (const c of calls) {
      for (const [x, y] of findMethod(c.name.text)?.exclusive ?? []) {
        const ax = given.get(x), ay = given.get(y);
        if (ax && ay) ctx.report(error('FBW0108', ay.name!.span, `'${x}' and '${y}' cannot both be given`, `keep one: training stops after ${x} or after ${y}`));
      }
    }
  };
  for (const [p] of ctx.pipelines()) {
    if (p.source.kind === 'finetune' || p.source.kind === 'pretrain') checkCalls(p.source.methods);
    for (const s of p.steps) if (s.kind === 'merge') for (const c of s.methods) checkCalls([c]);
  }
};
