// SLERP: spherical linear interpolation between two models, tensor by tensor.
// Shoemake, "Animating rotation with quaternion curves", SIGGRAPH 1985; as model merging, mergekit's
// `slerp` (mergekit/merge_methods/slerp.py): for each tensor, with v0 (the first model, t = 0) and
// v1 flattened, dot = <v0/‖v0‖, v1/‖v1‖> (a vector of norm ≤ 1e-8 is left unnormalised); if
// |dot| > 0.9995 the vectors are taken as colinear and linearly interpolated, else with
// θ0 = arccos(dot): out = sin(θ0 − tθ0)/sin θ0 · v0 + sin(tθ0)/sin θ0 · v1.
// A tensor may span several streamed chunks, so a first pass accumulates each tensor's norms and
// dot product (float64) and the merge pass applies the tensor's two coefficients.
import type { Kernel, PassContext } from './method.js';

/** mergekit's DOT_THRESHOLD: above it the two directions count as colinear */
const DOT_THRESHOLD = 0.9995;
/** mergekit's eps: vectors with a smaller norm are not normalised */
const EPS = 1e-8;

/** The two interpolation coefficients (s0, s1) of one tensor from its statistics. */
export function slerpCoefficients(t: number, n0sq: number, n1sq: number, dot01: number): [number, number] {
  const n0 = Math.sqrt(n0sq), n1 = Math.sqrt(n1sq);
  const dot = dot01 / ((n0 > EPS ? n0 : 1) * (n1 > EPS ? n1 : 1));
  if (Math.abs(dot) > DOT_THRESHOLD) return [1 - t, t];
  const theta0 = Math.acos(dot);
  const sin0 = Math.sin(theta0);
  return [Math.sin(theta0 - theta0 * t) / sin0, Math.sin(theta0 * t) / sin0];
}

/** SLERP of exactly two models at position t ∈ [0, 1] (0 = the first model). */
export async function slerpKernel(a: { readonly t: number }, ctx: PassContext): Promise<Kernel> {
  if (ctx.numModels !== 2) throw new Error(`slerp interpolates exactly two models, got ${ctx.numModels}`);
  const stats = new Map<string, Float64Array>();
  await ctx.pass((c) => {
    let s = stats.get(c.name);
    if (!s) { s = new Float64Array(3); stats.set(c.name, s); }
    const v0 = c.models[0]!, v1 = c.models[1]!;
    let a0 = 0, a1 = 0, d = 0;
    for (let i = 0; i < c.length; i++) { const x = v0[i]!, y = v1[i]!; a0 += x * x; a1 += y * y; d += x * y; }
    s[0] = s[0]! + a0; s[1] = s[1]! + a1; s[2] = s[2]! + d;
  });
  const coef = new Map<string, [number, number]>();
  for (const [name, s] of stats) coef.set(name, slerpCoefficients(a.t, s[0]!, s[1]!, s[2]!));
  return {
    apply(c, out) {
      const [s0, s1] = coef.get(c.name)!;
      const v0 = c.models[0]!, v1 = c.models[1]!;
      for (let i = 0; i < c.length; i++) out[i] = s0 * v0[i]! + s1 * v1[i]!;
    },
  };
}
