// The `merge` stage: inputs role 'base' (the pretrained model folder) and role 'model' (the
// fine-tuned model folders, in input order) → a merged model folder in outDir (model.safetensors
// plus config/tokenizer files copied from the base) and merge.json. For CLIP models only the
// vision tower is merged — FusionBench merges CLIPVisionModel — so TIES's top-k statistic spans
// exactly the weights FusionBench flattens; the text tower is copied from the base.
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { StageInterrupted } from './contract.js';
import { inputsWithRole, throttle } from './stageInputs.js';
import { mergeFiles } from '../ml/merge/mergeFiles.js';
import { findMergeMethod } from '../ml/merge/registry.js';
import { MergeAborted } from '../ml/merge/errors.js';
import { StateDictSource } from '../ml/merge/StateDictSource.js';
import { writeFile, rename } from 'node:fs/promises';

/** Short spellings the language allows for FusionBench's parameter names. */
const PARAM_ALIASES: Readonly<Record<string, string>> = { scale: 'scaling_factor', lambda: 'scaling_factor', k: 'threshold', density: 'threshold', p: 'sparsity_ratio', drop_rate: 'sparsity_ratio' };

/** Resolved stage params → the method's own params (aliases renamed, non-method keys like `row` dropped). */
export function mergeParamsFor(method: string, params: Readonly<Record<string, unknown>>, log: (l: string) => void = () => undefined): Record<string, unknown> {
  const m = findMergeMethod(method);
  const names = new Set(m.params.map((p) => p.name));
  const out: Record<string, unknown> = {};
  for (const [k0, v] of Object.entries(params)) {
    const k = names.has(k0) ? k0 : PARAM_ALIASES[k0] ?? k0;
    if (names.has(k)) out[k] = v;
    else log(`merge: parameter '${k0}' is not one of ${m.name}'s (${[...names].join(', ') || 'none'}); ignored`);
  }
  return out;
}

/** StageRunner for kind 'merge'. */
export async function runMerge(ctx: StageContext): Promise<void> {
  const { stage } = ctx;
  const base = inputsWithRole(ctx, 'base')[0]?.dir;
  const models = inputsWithRole(ctx, 'model');
  const method = findMergeMethod(stage.method);
  const params = mergeParamsFor(stage.method, stage.params, ctx.log);
  let only: string[] | undefined;
  if (base && (stage.architecture ?? '').startsWith('clip')) {
    const src = await StateDictSource.open(base);
    try { if (src.tensors().some((t) => t.name.startsWith('vision_model.'))) only = ['vision_model.']; } finally { await src.close(); }
  }
  const progress = throttle(250, (p: { pass: number; passes: number; done: number; total: number }) =>
    ctx.progress({ step: p.done, total: p.total, phase: p.passes > 1 ? `pass ${p.pass}/${p.passes}` : 'merge' }));
  ctx.log(`${method.name} of ${models.length} model(s) [${models.map((m) => m.task ?? m.stage).join(', ')}]${base ? ` on base ${base}` : ''}${only ? ', vision tower only' : ''}; params ${JSON.stringify(params)}`);
  const t0 = performance.now();
  try {
    const r = await mergeFiles(method.name, params, {
      ...(base ? { base } : {}),
      models: models.map((m) => m.dir),
      out: ctx.outDir,
      ...(only ? { only } : {}),
      log: ctx.log,
      signal: ctx.signal,
      onProgress: (p) => progress(p, p.done === p.total),
    });
    const seconds = (performance.now() - t0) / 1000;
    const info = { method: method.name, params, models: models.map((m) => ({ stage: m.stage, ...(m.task ? { task: m.task } : {}) })), base: stage.inputs.find((i) => i.role === 'base')?.stage ?? null, only: only ?? null, tensors: r.tensors, bytesRead: r.bytesRead, seconds: Math.round(seconds * 1000) / 1000 };
    const tmp = join(ctx.outDir, `merge.json.tmp-${process.pid}`);
    await writeFile(tmp, JSON.stringify(info, null, 2) + '\n');
    await rename(tmp, join(ctx.outDir, 'merge.json'));
  } catch (e) {
    if (e instanceof MergeAborted) throw new StageInterrupted(0);
    throw e;
  }
}
