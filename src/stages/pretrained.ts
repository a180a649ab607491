// The `pretrained` stage: resolve a model declaration (a built-in name, a local Hugging Face
// snapshot folder or a .safetensors file) to files on disk (ml/models/locateModel.ts), check them,
// and place them in the artifact by hard link (or copy across filesystems). Never touches the network.
import { linkSync, copyFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { findBuiltinModel } from '../registry/models.js';
import { resolveModel, checkModelFiles } from '../ml/models/locateModel.js';

/**
 * Stage runner: check the model's files and link them into the artifact. Method 'init' (the
 * random-init starting point of a `pretrain` stage) has no files: its artifact is init.json,
 * the declaration the pretraining engine initialises from.
 */
export async function runPretrained(ctx: StageContext): Promise<void> {
  if (ctx.stage.method === 'init') {
    writeFileSync(join(ctx.outDir, 'init.json'), JSON.stringify({ init: 'random', ...ctx.stage.params, architecture: ctx.stage.architecture ?? ctx.stage.params['architecture'] ?? null }, null, 1));
    ctx.progress({ step: 1, total: 1, phase: 'init' });
    return;
  }
  const m = resolveModel(ctx.stage, findBuiltinModel);
  await checkModelFiles(m.files);
  for (const f of m.files) {
    const dest = join(ctx.outDir, f.name);
    try { linkSync(realpathSync(f.path), dest); } catch { copyFileSync(f.path, dest); }
    ctx.log(`${f.name} <- ${f.path}`);
  }
  ctx.progress({ step: 1, total: 1, phase: 'resolve' });
}
