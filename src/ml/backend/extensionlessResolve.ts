// Node module-resolution hook (module.register) for tfjs-core's ESM build: its dist/ files import
// siblings without the `.js` extension (written for bundlers), and tfjs-core's CommonJS bundle
// registers no gradients. Only relative imports from inside @tensorflow packages are retried.
type Resolve = (specifier: string, context: { parentURL?: string }) => Promise<{ url: string }>;

/** Retry a failed relative import from an @tensorflow package with `.js` / `/index.js`. */
export async function resolve(specifier: string, context: { parentURL?: string }, next: Resolve): Promise<{ url: string; shortCircuit?: boolean }> {
  try {
    return await next(specifier, context);
  } catch (e) {
    const parent = context.parentURL ?? '';
    if (!specifier.startsWith('.') || !parent.includes('/@tensorflow/')) throw e;
    for (const suffix of ['.js', '/index.js']) {
      try { return { ...(await next(specifier + suffix, context)), shortCircuit: true }; } catch { /* next candidate */ }
    }
    throw e;
  }
}
