// The `merge` stage: inputs role 'base' (the pretrained model folder) and role 'model' (the
// fine-tuned model folders, in input order) → a merged model folder in outDir (model.safetensors
// plus config/tokenizer files copied from the base) and merge.json. For CLIP models only the
// vision tower is merged — FusionBench merges CLIPVisionModel — so TIES's top-k statistic spans
// exactly the weights FusionBench flattens; the text tower is copied from the base.
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { inputsWithRole, taskData, throttle } from './stageInputs.js';
import { mergeFiles } from '../ml/merge/mergeFiles.js';
import { StateDictSource } from '../ml/merge/StateDictSource.js';
import { argsOfStage, findMethod, streamingMerge, type MethodDef } from '../registry/index.js';
import { ensemble } from '../registry/methods/ensemble.js';
import { writeEnsemble } from '../ml/merge/ensemble.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadClip, saveClipState } from '../ml/models/loadClip.js';
import type { ClipModel } from '../ml/models/clip.js';
import type { MergeMembers } from '../ml/merge/modelMerge.js';
import { readHead, type Head } from '../ml/heads/head.js';
import { loadTask, type TaskDataset } from '../ml/data/index.js';
import type { NamedTensor } from '../ml/io/safetensors.js';
import { writeFileAtomic } from '../util/writeFileAtomic.js';
import { jsonFormat } from '../util/jsonFormat.js';
import type { Json } from '../util/json.js';

/** A data-driven merge whose inputs do not say which task a model or head belongs to. */
export class MergeTaskMissing extends Error {
  constructor(readonly stageId: string, reason: string) {
    super(`stage '${stageId}': ${reason}`);
    this.name = 'MergeTaskMissing';
  }
}

/** The stage's merge method from the catalogue (stage.method holds its canonical name). */
function mergeDef(ctx: StageContext): MethodDef {
  const def = findMethod(ctx.stage.method);
  if (!def?.merge) throw new Error(`defect: stage '${ctx.stage.id}': '${ctx.stage.method}' is not a merge method of the catalogue`);
  return def;
}

/** merge.json as its readers use it: `selected` holds what a search chose (scaling_search's factor). */
export const mergeRecordFormat = jsonFormat<{ readonly selected?: { readonly [param: string]: Json } }>('merge record', {
  type: 'object', properties: { selected: { type: 'object' } },
});

async function writeInfo(dir: string, info: Readonly<Record<string, unknown>>): Promise<void> {
  await writeFileAtomic(join(dir, 'merge.json'), JSON.stringify(info, null, 2) + '\n');
}

/** Fisher, RegMean, AdaMerging: load the models, heads and task data, merge the vision tower. */
async function runModelMerge(ctx: StageContext, def: MethodDef): Promise<void> {
  const { stage } = ctx;
  const method = def;
  const p = argsOfStage(def, stage.params);
  const baseIn = inputsWithRole(ctx, 'base')[0];
  if (!baseIn) throw new MergeTaskMissing(stage.id, `${method.name} needs the pretrained model as an input with role 'base'`);
  const modelIns = inputsWithRole(ctx, 'model');
  const headIns = inputsWithRole(ctx, 'head');
  const backend = await initBackend(ctx.device);
  ctx.log(`backend ${backend.backend} on ${ctx.device}`);
  const heads = new Map<string, Head>();
  for (const h of headIns) { const head = await readHead(h.dir); heads.set(h.task ?? head.task, head); }
  const tasks = modelIns.map((m, i) => {
    const t = m.task ?? stage.tasks?.[i];
    if (!t) throw new MergeTaskMissing(stage.id, `model input '${m.stage}' has no task (give model inputs a task, or the stage a task list), so ${method.name} cannot pick its data and head`);
    if (!heads.has(t)) throw new MergeTaskMissing(stage.id, `no input with role 'head' for task '${t}' (model '${m.stage}'); ${method.name} needs each task's head`);
    return t;
  });
  const cache = new Map<string, Promise<TaskDataset>>();
  const data = (i: number, split: 'train' | 'test'): Promise<TaskDataset> => {
    const key = `${tasks[i]}/${split}`;
    if (!cache.has(key)) cache.set(key, loadTask(taskData(ctx, tasks[i]!), split));
    return cache.get(key)!;
  };
  const loaded: ClipModel[] = [];
  const record: Record<string, unknown> = {};
  const progress = throttle(250, (x: { step: number; total: number; phase: string; loss?: number }) => ctx.progress({ step: x.step, total: x.total, phase: x.phase, ...(x.loss !== undefined ? { loss: x.loss } : {}) }));
  const t0 = performance.now();
  try {
    const base = await loadClip(baseIn.dir); loaded.push(base);
    // members are loaded one at a time, for as long as the merge needs each: their vision towers
    // (and projection and logit scale); the text tower is the base's, shared instead of loaded again
    const textTower = (name: string): boolean => name.startsWith('text_model.') || name.startsWith('text_projection.');
    const members: MergeMembers = {
      count: modelIns.length,
      async with(i, f) {
        const m = await loadClip(modelIns[i]!.dir, { shareFrom: { model: base, names: textTower } });
        try { return await f(m); } finally { m.dispose(); }
      },
    };
    ctx.log(`${method.name} of ${modelIns.length} model(s) [${tasks.join(', ')}]; params ${JSON.stringify(p)}`);
    const merged = await def.merge!.model!(p, {
      base, members, heads: tasks.map((t) => heads.get(t)!), data, log: ctx.log, signal: ctx.signal,
      progress: (x) => progress(x, x.step === x.total), record: (info) => Object.assign(record, info),
    });
    const sd = new Map<string, NamedTensor>();
    for (const [k, v] of base.params) sd.set(k, { shape: v.shape, data: merged.get(k) ?? (v.dataSync() as Float32Array) });
    await saveClipState(ctx.outDir, base.config, sd, baseIn.dir);
    await writeInfo(ctx.outDir, { method: method.name, params: p, tasks, models: modelIns.map((m) => m.stage), base: baseIn.stage, only: ['vision_model.'], seconds: Math.round((performance.now() - t0)) / 1000, ...record });
  } finally {
    for (const m of loaded) m.dispose();
  }
}

/** StageRunner for kind 'ensemble': a model folder listing its members (ensemble.json + members/). */
export async function runEnsemble(ctx: StageContext): Promise<void> {
  const members = inputsWithRole(ctx, 'model');
  const { weights: w } = argsOfStage(ensemble, ctx.stage.params);
  const weights = w && w.length ? [...w] : undefined;
  const spec = await writeEnsemble(ctx.outDir, members.map((m) => ({ dir: m.dir, source: m.task ? `${m.stage} (${m.task})` : m.stage })), weights);
  ctx.log(`${spec.method} of ${members.length} model(s): weights [${spec.weights.map((x) => x.toFixed(4)).join(', ')}]`);
}

/** StageRunner for kind 'merge'. */
export async function runMerge(ctx: StageContext): Promise<void> {
  const def = mergeDef(ctx);
  if (def.merge!.model) return runModelMerge(ctx, def);
  const { stage } = ctx;
  const base = inputsWithRole(ctx, 'base')[0]?.dir;
  const models = inputsWithRole(ctx, 'model');
  const params = argsOfStage(def, stage.params);
  const method = streamingMerge(def, params);
  if (!method) throw new Error(`defect: stage '${stage.id}': ${def.name} has no state-dict merge`);
  let only: string[] | undefined;
  if (base && (stage.architecture ?? '').startsWith('clip')) {
    const src = await StateDictSource.open(base);
    try { if (src.tensors().some((t) => t.name.startsWith('vision_model.'))) only = ['vision_model.']; } finally { await src.close(); }
  }
  const progress = throttle(250, (p: { pass: number; passes: number; done: number; total: number }) =>
    ctx.progress({ step: p.done, total: p.total, phase: p.passes > 1 ? `pass ${p.pass}/${p.passes}` : 'merge' }));
  ctx.log(`${method.name} of ${models.length} model(s) [${models.map((m) => m.task ?? m.stage).join(', ')}]${base ? ` on base ${base}` : ''}${only ? ', vision tower only' : ''}; params ${JSON.stringify(params)}`);
  const t0 = performance.now();
  const r = await mergeFiles(method, {
    ...(base ? { base } : {}),
    models: models.map((m) => m.dir),
    out: ctx.outDir,
    ...(only ? { only } : {}),
    log: ctx.log,
    signal: ctx.signal,
    onProgress: (p) => progress(p, p.done === p.total),
  });
  const seconds = (performance.now() - t0) / 1000;
  ctx.log(`${method.name}: merged ${r.merged} of ${r.tensors} tensors (${r.values} values) from ${models.length} model(s)${r.leftAlone.length ? `, ${r.leftAlone.length} left at the base value` : ''} in ${seconds.toFixed(1)} s`);
  const info = { method: method.name, params, models: models.map((m) => ({ stage: m.stage, ...(m.task ? { task: m.task } : {}) })), base: stage.inputs.find((i) => i.role === 'base')?.stage ?? null, only: only ?? null, tensors: r.tensors, bytesRead: r.bytesRead, seconds: Math.round(seconds * 1000) / 1000 };
  await writeInfo(ctx.outDir, info);
}
