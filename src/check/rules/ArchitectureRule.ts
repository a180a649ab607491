// Methods that need CLIP (a text tower, zero-shot heads) are rejected on a ResNet base (FBW0126):
// a ResNet (config.json model_type "resnet", read at compile time) fine-tunes only with
// `classifier`, cannot be pretrained contrastively, and cannot go into merges that read task data
// through zero-shot heads (fisher, regmean, adamerging) or into an ensemble of zero-shot heads.
import { error } from '../../diagnostics/diagnostic.js';
import { findMethod, RESNET_ARCHITECTURE } from '../../registry/index.js';
import type * as A from '../../syntax/ast.js';
import type { CheckContext, Rule } from '../CheckContext.js';
import { modelNameType, pipelineType } from '../types.js';

const isResNet = (ctx: CheckContext, name: A.Name, at: number): boolean => {
  const t = modelNameType(ctx.scope, name.text, at);
  return t.kind === 'models' && t.architectures.includes(RESNET_ARCHITECTURE);
};

const HINT = "a ResNet trains its own classifier: finetune it with classifier(...), e.g. finetune r on [mnist] classifier(max_steps=50)";

/** FBW0126. */
export const ArchitectureRule: Rule = (ctx) => {
  for (const [p, at] of ctx.pipelines()) {
    const src = p.source;
    if (src.kind === 'finetune' && isResNet(ctx, src.model, at)) {
      if (src.methods.length === 0) ctx.report(error('FBW0126', src.model.span, `'${src.model.text}' is a ResNet, but no method means full CLIP fine-tuning`, HINT));
      for (const c of src.methods) {
        const d = findMethod(c.name.text);
        if (d && d.name !== 'classifier') ctx.report(error('FBW0126', c.name.span, `'${c.name.text}' needs a CLIP model, but '${src.model.text}' is a ResNet`, HINT));
      }
    }
    if (src.kind === 'pretrain' && isResNet(ctx, src.model, at)) {
      ctx.report(error('FBW0126', src.model.span, `contrastive pretraining needs a CLIP model, but '${src.model.text}' is a ResNet`, 'pretrain a CLIP (e.g. clip-tiny); a ResNet is fine-tuned with classifier(...)'));
    }
    pipelineType(p, ctx.scope, at, (step, incoming) => {
      if (step.kind !== 'merge' || incoming.kind !== 'models' || !incoming.architectures.includes(RESNET_ARCHITECTURE)) return;
      for (const c of step.methods) {
        const d = findMethod(c.name.text);
        if (d && (d.needsTaskData || d.stageKind === 'ensemble')) {
          ctx.report(error('FBW0126', c.name.span, `'${c.name.text}' needs zero-shot heads (a CLIP text tower), but these models are ResNets`, 'merge ResNets with a method that reads only weights: average, weighted_average, task_arithmetic, ties, dare'));
        }
      }
    });
  }
};
