// LoRA on the vision tower's attention projections (Hu et al., ICLR 2022; FusionBench use_lora=true).
import { defineMethod } from './MethodDef.js';
import { clipFinetuneParams, loraParams } from './common.js';

/** `lora(r, lora_alpha, target_modules, lora_dropout, bias, ...)`. */
export const lora = defineMethod({
  name: 'lora', role: 'finetune', stageKind: 'finetune',
  summary: 'low-rank adapters on q/v projections',
  citation: 'Hu et al., LoRA, ICLR 2022; FusionBench clip_finetune.yaml lora_config',
  schema: { type: 'object', properties: { ...clipFinetuneParams, ...loraParams }, additionalProperties: false },
});
