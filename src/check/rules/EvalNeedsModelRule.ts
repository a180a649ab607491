// Evaluation (and saving) applies to models, not to evaluation results (FBW0115, FBW0122).
import { error } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../CheckContext.js';
import { modelNameType, pipelineType } from '../types.js';

/** FBW0115: eval of something that is not a model; FBW0122: save of anything but one model; also merge after eval. */
export const EvalNeedsModelRule: Rule = (ctx) => {
  for (const [p, at] of ctx.pipelines()) {
    if (p.source.kind === 'eval') {
      const t = modelNameType(ctx.scope, p.source.model.text, at);
      if (t.kind === 'metrics') ctx.report(error('FBW0115', p.source.model.span, `eval needs a model, but '${p.source.model.text}' holds evaluation results`, 'evaluate the model pipeline itself (drop its -> eval)'));
    }
    pipelineType(p, ctx.scope, at, (step, incoming) => {
      if (incoming.kind === 'metrics') {
        const what = step.kind === 'eval' ? 'eval' : step.kind === 'save' ? 'save' : 'a merge';
        ctx.report(error('FBW0115', step.span, `${what} needs a model, but this pipeline already produced evaluation results`, '-> eval ends a pipeline; put it last'));
        return;
      }
      if (step.kind === 'save' && incoming.kind === 'models' && incoming.count !== undefined && incoming.count !== 1) {
        ctx.report(error('FBW0122', step.span, `save needs exactly one model, but it gets ${incoming.count} (${incoming.what})`, 'save after a pretrain, a continual / multitask fine-tune, or a single merge'));
      }
    });
  }
};
