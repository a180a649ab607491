// Every method name exists and fits its position (FBW0104, FBW0112): fine-tune methods after
// `on TASKS`, merge methods after `then`, pretraining methods after `pretrain`, loaders in `dataset`.
import { error } from '../../diagnostics/diagnostic.js';
import { findMethod, methodNames, type MethodRole } from '../../registry/index.js';
import type * as A from '../../syntax/ast.js';
import { didYouMean } from '../../util/suggest.js';
import type { CheckContext, Rule } from '../CheckContext.js';

const PLACE: { readonly [R in MethodRole]: string } = {
  finetune: 'a fine-tune method', finetune_mode: 'a fine-tune mode', merge: 'a merge method', pretrain: 'a pretraining method', dataset: 'a dataset loader',
};

function known(ctx: CheckContext, call: A.Call, roles: readonly MethodRole[], where: string): boolean {
  const def = findMethod(call.name.text);
  const valid = methodNames(roles);
  if (!def) {
    const s = didYouMean(call.name.text, valid);
    ctx.report(error(roles.includes('dataset') ? 'FBW0118' : 'FBW0104', call.name.span, `unknown ${where} '${call.name.text}'`, s ? `did you mean '${s}'?` : `one of: ${valid.filter((v) => findMethod(v)?.name === v).join(', ')}`));
    return false;
  }
  if (!roles.includes(def.role)) {
    ctx.report(error('FBW0112', call.name.span, `'${call.name.text}' is ${PLACE[def.role]}, not ${roles.map((r) => PLACE[r]).join(' or ')}`, def.role === 'merge' ? 'merge methods come after `then`' : def.role === 'finetune' || def.role === 'finetune_mode' ? 'fine-tune methods come after `finetune MODEL on TASKS`' : undefined));
    return false;
  }
  return true;
}

/** FBW0104/FBW0112: unknown or misplaced methods, and invalid method combinations. */
export const KnownMethodsRule: Rule = (ctx) => {
  for (const s of ctx.program.statements) if (s.kind === 'dataset') known(ctx, s.loader, ['dataset'], 'dataset loader');
  for (const [p] of ctx.pipelines()) {
    const src = p.source;
    if (src.kind === 'finetune') {
      const ok = src.methods.map((c) => known(ctx, c, ['finetune', 'finetune_mode'], 'fine-tune method'));
      if (ok.every(Boolean) && src.methods.length >= 2) {
        const [a, b, c] = src.methods.map((m) => findMethod(m.name.text)!);
        if (c !== undefined || a!.role !== 'finetune_mode' || b!.role !== 'finetune') {
          const extra = src.methods[c !== undefined ? 2 : 1]!;
          ctx.report(error('FBW0112', extra.span, 'one fine-tune method per statement', 'write a mode then a method (e.g. `continual lora(r=4)`), or use two statements'));
        }
      }
    }
    if (src.kind === 'pretrain') {
      src.methods.forEach((c, i) => {
        if (known(ctx, c, ['pretrain'], 'pretraining method') && i > 0) ctx.report(error('FBW0112', c.span, 'one pretraining method per statement'));
      });
    }
    for (const step of p.steps) {
      if (step.kind !== 'merge') continue;
      if (step.methods.length === 0) ctx.report(error('FBW0120', step.span, 'the list of merge methods is empty', 'e.g. then [average, ties]'));
      for (const c of step.methods) known(ctx, c, ['merge'], 'merge method');
    }
  }
};
