// SLERP between two models (mergekit's `slerp`; Shoemake, SIGGRAPH 1985): per tensor, interpolate
// along the great circle between the two flattened weight vectors.
import { defineMethod } from './MethodDef.js';
import { num } from './common.js';
import { slerpKernel } from '../../ml/merge/slerp.js';

/** `slerp(t)`: exactly two models; t = 0 gives the first, t = 1 the second. */
export const slerp = defineMethod({
  name: 'slerp', role: 'merge', stageKind: 'merge',
  summary: 'spherical interpolation of two models, per tensor (t = 0: the first model, 1: the second)',
  citation: "mergekit slerp (mergekit/merge_methods/slerp.py); Shoemake, Animating rotation with quaternion curves, SIGGRAPH 1985",
  schema: {
    type: 'object', additionalProperties: false,
    properties: { t: num(0.5, { minimum: 0, maximum: 1, description: 'interpolation position: 0 = the first model, 1 = the second' }) },
  },
  merge: { needsBase: false, minModels: 2, maxModels: 2, kernel: (a, ctx) => slerpKernel(a, ctx) },
});
