// Stage kind -> implementation: its version (part of every key, so bumping it recomputes that
// kind's results) and a lazy loader of its runner (workers load only the code they run, and the
// scheduler process never loads tensor code just to plan).
import type { Stage, StageKind } from '../compile/ir.js';
import type { StageRunner } from './contract.js';

export interface StageImpl {
  /** bump when a change to the implementation changes its output */
  readonly version: string;
  /** the runner for a stage of this kind (some kinds pick it by method) */
  readonly load: (stage: Stage) => Promise<StageRunner>;
  /** writes checkpoints into StageContext.checkpointDir (so `fbw plan` can show resumable) */
  readonly checkpoints?: boolean;
  /** external content the key must cover (a pretrained model's weights); computed in the planner */
  readonly external?: 'model-files';
}

/** Every kind, in one exhaustive table. */
export const stageImpls: { readonly [K in StageKind]: StageImpl } = {
  pretrained: { version: '1', external: 'model-files', load: async () => (await import('./pretrained.js')).runPretrained },
  pretrain: { version: '1', checkpoints: true, load: async () => (await import('./pretrain.js')).runPretrain },
  zeroshot_head: { version: '1', load: async () => (await import('./zeroshot_head.js')).runZeroshotHead },
  finetune: {
    version: '1', checkpoints: true,
    // the generic (non-CLIP) image-classification fine-tune is its own runner
    load: async (s) => (s.method === 'classifier' ? (await import('./classifier.js')).runClassifier : (await import('./finetune.js')).runFinetune),
  },
  continual: { version: '1', checkpoints: true, load: async () => (await import('./continual.js')).runContinual },
  multitask: { version: '1', checkpoints: true, load: async () => (await import('./multitask.js')).runMultitask },
  merge: { version: '1', load: async () => (await import('./merge.js')).runMerge },
  ensemble: { version: '1', load: async () => (await import('./merge.js')).runEnsemble },
  eval: { version: '1', load: async () => (await import('./eval.js')).runEval },
  report: { version: '1', load: async () => (await import('./report.js')).report },
};

/** The implementation of a stage's kind. */
export function stageImpl(stage: Pick<Stage, 'kind'>): StageImpl {
  return stageImpls[stage.kind];
}
