// Evaluation (and saving, and continuing a pretrain) applies to models, not to evaluation results
// (FBW0115, FBW0122, FBW0125).
import { error } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../CheckContext.js';
import { modelNameType, pipelineType } from '../types.js';

/** FBW0115: eval of something that is not a model; FBW0122: save of anything but one model; also merge after eval;
 *  FBW0125: a pretrain continuing from a value that is not exactly one model. */
export const EvalNeedsModelRule: Rule = (ctx) => {
  for (const [p, at] of ctx.pipelines()) {
    if (p.source.kind === 'eval') {
      const t = modelNameType(ctx.scope, p.source.model.text, at);
      if (t.kind === 'metrics') ctx.report(error('FBW0115', p.source.model.span, `eval needs a model, but '${p.source.model.text}' holds evaluation results`, 'evaluate the model pipeline itself (drop its -> eval)'));
    }
    if (p.source.kind === 'pretrain') {
      // `pretrain NAME on ...`: a built-in starts from random init, a model value is continued from
      const src = p.source;
      const t = modelNameType(ctx.scope, src.model.text, at);
      if (t.kind === 'metrics') ctx.report(error('FBW0115', src.model.span, `pretrain needs a model to continue from, but '${src.model.text}' holds evaluation results`, 'name the pretrain (or model) pipeline itself, without its -> eval'));
      else if (t.kind === 'models' && t.count !== undefined && t.count !== 1) ctx.report(error('FBW0125', src.model.span, `pretrain continues from exactly one model, but '${src.model.text}' holds ${t.count} (${t.what})`, 'continue from one pretrain, a single merge, or a continual / multitask fine-tune'));
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
