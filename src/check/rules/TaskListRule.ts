// Task lists are non-empty and name each task once, aliases included (FBW0119, FBW0120):
// `[cars, stanford_cars]` would fine-tune the same task twice. A pretrain's list is the exception:
// repeats there are sampling weights (as in the direct script's --tasks).
import { error, warning } from '../../diagnostics/diagnostic.js';
import type * as A from '../../syntax/ast.js';
import type { CheckContext, Rule } from '../CheckContext.js';

function check(ctx: CheckContext, list: A.TaskList, at: number, repeatsAreWeights = false): void {
  if (list.kind !== 'list') return;
  if (list.items.length === 0) { ctx.report(error('FBW0120', list.span, 'the task list is empty', 'name at least one task, e.g. [mnist]')); return; }
  // a pretrain samples its tasks uniformly from the list: a task named k times is sampled k times as often
  if (repeatsAreWeights) return;
  const seen = new Map<string, A.Name>();
  for (const n of list.items) {
    const t = ctx.scope.task(n.text, at);
    if (!t.ok) continue;
    const canon = t.value.kind === 'builtin' ? t.value.canonical : t.value.symbol.name.text;
    const prev = seen.get(canon);
    if (prev) ctx.report(warning('FBW0119', n.span, `task '${canon}' is listed twice${prev.text !== n.text ? ` ('${prev.text}' and '${n.text}' are the same data set)` : ''}`, 'remove one; it is used once'));
    else seen.set(canon, n);
  }
}

/** FBW0119 (warning) / FBW0120. */
export const TaskListRule: Rule = (ctx) => {
  ctx.program.statements.forEach((s, at) => {
    if (s.kind === 'pool') check(ctx, s.tasks, at);
  });
  for (const [p, at] of ctx.pipelines()) {
    const src = p.source;
    if (src.kind === 'finetune' || src.kind === 'pretrain' || src.kind === 'eval') check(ctx, src.tasks, at, src.kind === 'pretrain');
    for (const s of p.steps) if (s.kind === 'eval') check(ctx, s.tasks, at);
  }
};
