// Linearized LoRA (Tang et al., ICLR 2024, arXiv 2310.04742; FusionBench use_l_lora=true).
import { defineMethod } from './MethodDef.js';
import { clipFinetuneParams, loraParams } from './common.js';

/** `l_lora(...)`: LoRA modules replaced by their first-order Taylor expansion. */
export const l_lora = defineMethod({
  name: 'l_lora', aliases: ['llora', 'linearized_lora'], role: 'finetune', stageKind: 'finetune',
  summary: 'linearized LoRA (partial linearization)',
  citation: 'Tang et al., Parameter Efficient Multi-task Model Fusion with Partial Linearization, ICLR 2024',
  schema: { type: 'object', properties: { ...clipFinetuneParams, ...loraParams }, additionalProperties: false },
});
