// Small real safetensors files for the merge tests: one line per model.
import type { Json } from '../../src/compile/ir.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsWriter, readSafetensors, type Dtype } from '../../src/ml/io/safetensors.js';
import { mergeCheckpoints } from '../../src/registry/index.js';

export type Spec = Record<string, readonly number[] | { shape: readonly number[]; data: readonly number[]; dtype?: Dtype }>;

/** a fresh temp folder, removed by the returned cleanup */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-merge-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** write a safetensors file: plain arrays are 1-D F32 tensors */
export async function writeModel(path: string, spec: Spec): Promise<string> {
  const entries = Object.entries(spec).map(([name, v]) => Array.isArray(v) ? { name, shape: [v.length], data: v as readonly number[], dtype: 'F32' as Dtype } : { name, ...(v as { shape: readonly number[]; data: readonly number[]; dtype?: Dtype }) });
  const w = await SafetensorsWriter.create(path, entries.map((e) => ({ name: e.name, shape: e.shape, dtype: e.dtype ?? 'F32' })));
  for (const e of entries) {
    const dt = e.dtype ?? 'F32';
    if (dt === 'F32') await w.write(e.name, Float32Array.from(e.data));
    else if (dt === 'I64') await w.writeBytes(e.name, new Uint8Array(BigInt64Array.from(e.data.map((x) => BigInt(x))).buffer));
    else throw new Error(`helper cannot write ${dt}`);
  }
  await w.close();
  return path;
}

/** merge and return every output tensor as a plain array */
export async function merged(dir: string, method: string, params: { readonly [k: string]: Json }, base: Spec | undefined, models: readonly Spec[], extra: { chunkElements?: number; only?: string[]; log?: (l: string) => void } = {}): Promise<Record<string, number[]>> {
  const basePath = base ? await writeModel(join(dir, 'base.safetensors'), base) : undefined;
  const paths: string[] = [];
  for (let i = 0; i < models.length; i++) paths.push(await writeModel(join(dir, `m${i}.safetensors`), models[i]!));
  const out = join(dir, `out-${method}.safetensors`);
  await mergeCheckpoints(method, params, { ...(basePath ? { base: basePath } : {}), models: paths, out, ...extra });
  const t = await readSafetensors(out);
  return Object.fromEntries([...t].map(([k, v]) => [k, [...v.data]]));
}

/** float32 rounding of a hand-computed expectation */
export const f32 = (xs: readonly number[]): number[] => xs.map((x) => Math.fround(x));
