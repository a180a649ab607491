// BitFit (Ben Zaken et al., ACL 2022): only bias terms train (ModelScope efficient tuning, seed 002).
import { defineMethod } from './MethodDef.js';
import { clipFinetuneParams } from './common.js';

/** `bitfit(...)`. */
export const bitfit = defineMethod({
  name: 'bitfit', role: 'finetune', stageKind: 'finetune',
  summary: 'train bias terms only',
  citation: 'Ben Zaken et al., BitFit, ACL 2022',
  schema: { type: 'object', properties: { ...clipFinetuneParams }, additionalProperties: false },
});
