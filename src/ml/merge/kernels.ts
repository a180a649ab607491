// Shared pieces of the streaming kernels: the cache block size, the DARE random drop and the
// "is this a Linear weight" rule. Float32Array stores round every intermediate to float32, so
// these loops reproduce PyTorch's float32 elementwise results exactly.

/** elements per inner block: one block of every input stays in L1/L2 while models are summed */
export const BLOCK = 8192;

/** 32-bit finaliser (lowbias32, Chris Wellons): a counter-based hash, so drops are positional. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a of a tensor name: keys the drop mask so it does not depend on file order. */
export function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Key of the drop mask of one (seed, model, tensor). */
export function dropKey(seed: number, model: number, tensor: string): number {
  return mix32((mix32(seed >>> 0) ^ Math.imul(model + 1, 0x9e3779b9) ^ hashName(tensor)) >>> 0);
}

/**
 * DARE drop-and-rescale of tv[0..len) in place, for elements start..start+len of the tensor:
 * keep where u > sparsity (u uniform in [0, 1) from the positional hash), then divide by
 * (1 - sparsity) if rescale — FusionBench's param_random_drop_.
 */
export function dropInPlace(tv: Float32Array, len: number, start: number, key: number, sparsity: number, rescale: boolean): void {
  const scale = Math.fround(1 - sparsity);
  const p = Math.fround(sparsity);
  for (let i = 0; i < len; i++) {
    const u = (mix32((key + Math.imul(start + i, 0x9e3779b9)) >>> 0) >>> 8) * 5.9604644775390625e-8;
    const v = u > p ? tv[i]! : 0;
    tv[i] = rescale ? v / scale : v;
  }
}

/** A Linear layer's weight at state-dict level: 2-D, named *.weight, not an embedding table. */
export function isLinearWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name.endsWith('.weight') && !/embed/i.test(name);
}
