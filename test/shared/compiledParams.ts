// A stage's params as the compiler resolves them from the method catalogue: tests that build
// stages by hand use this, so a stage never holds a parameter the catalogue does not define.
import type { Json } from '../../src/util/json.js';
import { findMethod } from '../../src/registry/index.js';
import { paramSpace, resolveParams } from '../../src/check/params.js';

/** `given` laid over the defaults of `methods` (e.g. ['lora'], ['lora', 'continual']); devices moves to the stage. */
export function compiledParams(methods: readonly string[], given: { readonly [k: string]: Json } = {}): { [k: string]: Json } {
  const defs = methods.map((m) => {
    const d = findMethod(m);
    if (!d) throw new Error(`no method '${m}' in the catalogue`);
    return d;
  });
  const { devices: _devices, gradient_checkpointing: _gc, ...params } = resolveParams(paramSpace(defs), new Map(Object.entries(given)));
  return params;
}
