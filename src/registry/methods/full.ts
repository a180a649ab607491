// Full fine-tuning of the CLIP vision tower (FusionBench clip_finetune, use_lora=false).
import { defineMethod } from './MethodDef.js';
import { clipFinetuneParams } from './common.js';

/** `full(...)`: every vision parameter trains; the zero-shot head stays frozen. */
export const full = defineMethod({
  name: 'full', role: 'finetune', stageKind: 'finetune',
  summary: 'full fine-tuning of the vision tower',
  citation: 'FusionBench config/method/classification/clip_finetune.yaml',
  schema: { type: 'object', properties: { ...clipFinetuneParams }, additionalProperties: false },
});
