// The stage kinds, a language fact: the method catalogue names the kind each method compiles to,
// and the IR types every stage with one. Kept here, below check/ and compile/, so both import it downward.

/** Every stage kind, as data (a persisted graph is checked against it). */
export const STAGE_KINDS = [
  'pretrained',     // resolve a model declaration to weights on disk (built-in, local snapshot, bundled tiny)
  'pretrain',       // contrastive image-text pretraining (how the bundled tiny CLIP is made)
  'zeroshot_head',  // class names x templates -> normalised text embeddings, per task
  'finetune',       // full / lora / l_lora / bitfit / linear-head fine-tune on one task
  'continual',      // sequential fine-tune over tasks (optimizer reset per task)
  'multitask',      // one model trained on all tasks at once
  'merge',          // average, task_arithmetic, ties, dare, fisher, regmean, adamerging, ...
  'ensemble',       // not a weight merge: averaged logits of several models (output is a 'model' folder listing members)
  'eval',           // one model on one task -> metrics
  'report',         // all metrics of a run -> report files
] as const;

/** Stage kinds; every switch over them must be exhaustive. */
export type StageKind = (typeof STAGE_KINDS)[number];
