// A merge combines at least two models of one architecture that share a pretrained base
// (FBW0113, FBW0114): task vectors are differences from one base, so nothing else is mergeable.
import { error } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../CheckContext.js';
import { pipelineType } from '../types.js';
import { mergeDefs } from '../methods.js';

/** FBW0113/FBW0114. */
export const MergeInputsRule: Rule = (ctx) => {
  for (const [p, at] of ctx.pipelines()) {
    pipelineType(p, ctx.scope, at, (step, incoming) => {
      if (step.kind !== 'merge' || incoming.kind !== 'models') return;
      if (incoming.count !== undefined) {
        // the catalogue says how many models each method merges (the same numbers `fbw merge` checks)
        const defs = mergeDefs(step.methods);
        const min = Math.max(2, ...defs.map((d) => d?.merge?.minModels ?? 2));
        if (incoming.count < min) {
          ctx.report(error('FBW0113', step.span, `a merge needs at least two models, but it gets ${incoming.count === 1 ? 'one' : 'none'} (${incoming.what})`, 'fine-tune on two or more tasks first, e.g. finetune clip on [sun397, cars] lora then average'));
          return;
        }
        const capped = defs.find((d) => d?.merge?.maxModels !== undefined && incoming.count! > d.merge.maxModels);
        if (capped) {
          ctx.report(error('FBW0113', step.span, `${capped.name} merges at most ${capped.merge!.maxModels} models, but it gets ${incoming.count} (${incoming.what})`, `give ${capped.name} exactly ${capped.merge!.maxModels} models, or use average / task_arithmetic`));
          return;
        }
      }
      const archs = new Set(incoming.architectures.filter((a) => a !== undefined));
      if (archs.size > 1) {
        ctx.report(error('FBW0114', step.span, `cannot merge models of different architectures (${[...archs].join(', ')})`, 'merge only models fine-tuned from one pretrained model'));
        return;
      }
      const bases = new Set(incoming.bases);
      if (bases.size > 1) ctx.report(error('FBW0114', step.span, `cannot merge models fine-tuned from different pretrained models (${[...bases].join(', ')})`, 'task vectors are differences from one base model; fine-tune every input from the same one'));
    });
  }
};
