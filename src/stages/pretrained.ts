// The `pretrained` stage: resolve a model declaration (a built-in name, a local Hugging Face
// snapshot folder or a .safetensors file) to files on disk (ml/models/locateModel.ts), check them,
// and place them in the artifact by hard link (or copy across filesystems). Never touches the network.
import { existsSync, linkSync, copyFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StageContext } from './contract.js';
import { BUILTIN_MODEL_TABLE } from '../registry/models.js';
import { resolveModel, checkModelFiles, ModelFilesInvalid, MODEL_FILES, type ResolvedModel } from '../ml/models/locateModel.js';
import { headerMismatch, isVisionOnly, readModelHeader } from '../ml/models/hubCache.js';

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
  const m = resolveModel(ctx.stage, BUILTIN_MODEL_TABLE);
  await checkModelFiles(m.files);
  const baseIn = ctx.stage.inputs.find((i) => i.role === 'base');
  if (baseIn) return placeFineTuned(ctx, m, ctx.inputs[baseIn.stage]!);
  for (const f of m.files) {
    const dest = join(ctx.outDir, f.name);
    try { linkSync(realpathSync(f.path), dest); } catch { copyFileSync(f.path, dest); }
    ctx.log(`${f.name} <- ${f.path}`);
  }
  ctx.progress({ step: 1, total: 1, phase: 'resolve' });
}

/** Shard names in a completed vision-only checkpoint's folder. */
const FINETUNED_SHARD = 'finetuned.safetensors';
const BASE_SHARD = 'base.safetensors';

function linkOrCopy(from: string, to: string): void {
  try { linkSync(realpathSync(from), to); } catch { copyFileSync(from, to); }
}

/**
 * A checkpoint fine-tuned from the base model committed in `baseDir` (a pool member, or
 * `model a = "..." from base`). It must have the base's architecture and tensor shapes. A full
 * CLIP is placed as it is. A vision-only one (CLIPVisionModel, as FusionBench publishes its
 * fine-tunes) is completed with the base's text tower, projections and logit scale: both files
 * are hard-linked and a Hugging Face shard index says which tensor comes from which, so the
 * artifact is a whole CLIP that every later stage loads as usual, at the cost of no copy.
 */
function placeFineTuned(ctx: StageContext, m: ResolvedModel, baseDir: string): void {
  const weights = m.files.find((f) => f.name === 'model.safetensors');
  const config = m.files.find((f) => f.name === 'config.json')!;
  const member = readModelHeader(weights ? weights.path : dirname(config.path));
  const base = readModelHeader(baseDir);
  const why = headerMismatch(member, base);
  if (why) throw new ModelFilesInvalid(member.weights[0]!, `does not have the architecture of its base model (${baseDir}): ${why}`);
  if (!isVisionOnly(member)) {
    for (const f of m.files) { linkOrCopy(f.path, join(ctx.outDir, f.name)); ctx.log(`${f.name} <- ${f.path}`); }
    ctx.progress({ step: 1, total: 1, phase: 'resolve' });
    return;
  }
  if (member.weights.length !== 1 || base.weights.length !== 1) throw new ModelFilesInvalid(member.weights[0]!, 'a sharded vision-only checkpoint or base is not supported; save each as one model.safetensors');
  linkOrCopy(member.weights[0]!, join(ctx.outDir, FINETUNED_SHARD));
  linkOrCopy(base.weights[0]!, join(ctx.outDir, BASE_SHARD));
  const weightMap: Record<string, string> = {};
  for (const k of base.tensors.keys()) weightMap[k] = member.tensors.has(k) ? FINETUNED_SHARD : BASE_SHARD;
  writeFileSync(join(ctx.outDir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { fbw: `vision tower from ${m.model}, the rest from the base model` }, weight_map: weightMap }, null, 1));
  // the base's config (a whole CLIPConfig) and tokenizer: the completed model is a CLIPModel
  for (const f of MODEL_FILES) if (!f.startsWith('model.safetensors') && existsSync(join(baseDir, f))) linkOrCopy(join(baseDir, f), join(ctx.outDir, f));
  const own = [...base.tensors.keys()].filter((k) => member.tensors.has(k)).length;
  ctx.log(`vision-only checkpoint ${m.model}: ${own} vision tensors from it, ${base.tensors.size - own} (text tower, projections, logit scale) from the base`);
  ctx.progress({ step: 1, total: 1, phase: 'resolve' });
}
