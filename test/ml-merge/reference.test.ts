// fbw's merges against PyTorch running FusionBench's arithmetic on the same checkpoints
// (fixtures/make_reference.py wrote the references with Debian's python3-torch): a FusionBench
// user must get the same weights bit for bit, including TIES's exact ties and sign cancellations.
import type { Json } from '../../src/compile/ir.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/ml/io/safetensors.js';
import { mergeCheckpoints } from '../../src/registry/index.js';
import { tempDir } from './helpers.js';

function fixtures(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!d.endsWith('/dist') && d !== '/') d = dirname(d);
  return join(d === '/' ? process.cwd() : dirname(d), 'test', 'ml-merge', 'fixtures');
}
const F = fixtures();
const models = [0, 1, 2].map((i) => join(F, `model${i}.safetensors`));

async function sameAs(method: string, params: { readonly [k: string]: Json }, ref: string, needsBase = true): Promise<void> {
  const t = tempDir();
  try {
    const out = join(t.dir, 'out.safetensors');
    // a small chunk size, so tensors are split across chunks as in a large model
    await mergeCheckpoints(method, params, { ...(needsBase ? { base: join(F, 'base.safetensors') } : {}), models, out, chunkElements: 50 });
    const got = await readSafetensors(out), want = await readSafetensors(join(F, ref));
    assert.equal([...got.keys()].sort(), [...want.keys()].sort());
    for (const [k, w] of want) {
      const g = got.get(k)!.data;
      let differ = 0;
      for (let i = 0; i < g.length; i++) if (!Object.is(g[i], w.data[i]) && g[i] !== w.data[i]) differ++;
      assert.is(differ, 0, `${ref}: ${differ} of ${g.length} values of '${k}' differ from PyTorch`);
    }
  } finally { t.cleanup(); }
}

test('simple_average equals FusionBench/PyTorch bit for bit', () => sameAs('simple_average', {}, 'ref-simple_average.safetensors', false));
test('task_arithmetic equals FusionBench/PyTorch bit for bit', () => sameAs('task_arithmetic', { scaling_factor: 0.3 }, 'ref-task_arithmetic.safetensors'));
test('ties (sum) equals FusionBench/PyTorch bit for bit', () => sameAs('ties', { scaling_factor: 0.3, threshold: 20, merge_func: 'sum' }, 'ref-ties-sum-20.safetensors'));
test('ties (mean) equals FusionBench/PyTorch bit for bit', () => sameAs('ties', { scaling_factor: 0.3, threshold: 20, merge_func: 'mean' }, 'ref-ties-mean-20.safetensors'));
test('ties (max) equals FusionBench/PyTorch bit for bit', () => sameAs('ties', { scaling_factor: 0.3, threshold: 20, merge_func: 'max' }, 'ref-ties-max-20.safetensors'));
test('ties with remove_keys and threshold 50 equals FusionBench/PyTorch bit for bit', () => sameAs('ties', { scaling_factor: 0.5, threshold: 50, remove_keys: ['enc.b.weight'] }, 'ref-ties-sum-50-remove.safetensors'));

test.run();
