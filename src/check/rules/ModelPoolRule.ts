// Checkpoints fine-tuned from a declared base — `models ft from base = {task: "repo/id", ...}`,
// a built-in pool (`models ft = clip-vit-base-patch32_TA8`), `model a = "..." from base` — are
// found (FBW0130: a hub repo missing from the cache says where fbw looked and how to fetch it) and
// fit their base (FBW0131), judged from config.json and the safetensors headers alone: no tensor
// is read. A pool needs a base (FBW0132); a built-in pool's base must be the one it was published
// from (FBW0114); its name must be known (FBW0101); each task has one checkpoint (FBW0111).
import { error, type Span } from '../../diagnostics/diagnostic.js';
import { BUILTIN_MODEL_POOLS, findBuiltinModel, findBuiltinModelPool } from '../../registry/index.js';
import { downloadCommand, headerMismatch, hubCacheDir, readModelHeader, resolveHubSnapshot, type ModelHeader } from '../../ml/models/hubCache.js';
import type * as A from '../../syntax/ast.js';
import { didYouMean } from '../../util/suggest.js';
import type { CheckContext, Rule } from '../CheckContext.js';
import type { CheckpointSource } from '../scope.js';
import { modelNameType } from '../types.js';

type Header = { readonly ok: true; readonly header: ModelHeader } | { readonly ok: false; readonly reason: string };

const headers = new Map<string, Header>();

/** config.json + safetensors headers of a checkpoint, cached per path and file state. */
function header(path: string): Header {
  let h = headers.get(path);
  if (!h) {
    try { h = { ok: true, header: readModelHeader(path) }; } catch (e) { h = { ok: false, reason: (e as Error).message }; }
    headers.set(path, h);
  }
  return h;
}

/** Files of the base model when they are on this machine (a built-in in the hub cache, or a declared path). */
function baseFiles(ctx: CheckContext, name: string, at: number): string | undefined {
  const m = ctx.scope.model(name, at);
  if (!m.ok) return undefined;
  const v = m.value;
  if (v.kind === 'builtin') return v.model.repo.includes('/') && !v.model.repo.startsWith('models/') ? resolveHubSnapshot(v.model.repo).dir : undefined;
  if (v.kind !== 'declared') return undefined;
  if (v.stmt.value.kind === 'builtin') return baseFiles(ctx, v.stmt.value.name.text, v.symbol.at);
  if (v.stmt.from) return undefined;
  const src = ctx.scope.checkpoint(v.stmt.value.path);
  return src.kind === 'path' ? src.path : src.dir;
}

/** The checkpoint's local path, or a reported FBW0130. */
function found(ctx: CheckContext, what: string, src: CheckpointSource, span: Span): string | undefined {
  if (src.kind === 'hub') {
    if (src.dir) return src.dir;
    ctx.report(error('FBW0130', span, `${what}: Hugging Face repo '${src.repo}' is not in the hub cache (looked in ${src.looked.join(', ')})`,
      `fbw never downloads; fetch it once with \`${downloadCommand(src.repo)}\` (HF_HUB_CACHE / HF_HOME choose the cache)`));
    return undefined;
  }
  if (header(src.path).ok || !/no such file|ENOENT/.test((header(src.path) as { reason: string }).reason)) return src.path;
  ctx.report(error('FBW0130', span, `${what}: no such file or folder ${src.path}`, 'give a Hugging Face repo id in the hub cache, a snapshot folder or a .safetensors file'));
  return undefined;
}

/** One member against its base: FBW0131 when it is unreadable or does not fit. */
function fits(ctx: CheckContext, what: string, path: string, base: string | undefined, baseName: string, span: Span): void {
  const h = header(path);
  if (!h.ok) { ctx.report(error('FBW0131', span, `${what}: cannot read its config.json / safetensors header: ${h.reason}`, 'a Hugging Face model folder (config.json + model.safetensors) or a .safetensors file with config.json beside it')); return; }
  const type = h.header.modelType;
  if (type !== undefined && type !== 'clip' && type !== 'clip_vision_model') {
    ctx.report(error('FBW0131', span, `${what}: config.json says model_type '${type}', but '${baseName}' is a CLIP`, 'a pool member is a CLIPModel or a CLIPVisionModel fine-tuned from the base'));
    return;
  }
  if (base === undefined) return;
  const b = header(base);
  if (!b.ok) return; // the base's own stage reports its files
  const why = headerMismatch(h.header, b.header);
  if (why) ctx.report(error('FBW0131', span, `${what} does not have the architecture of '${baseName}': ${why}`, `every member must be fine-tuned from '${baseName}' (same config and tensor shapes)`));
}

function checkPool(ctx: CheckContext, s: Extract<A.Statement, { kind: 'models' }>, at: number): void {
  const builtin = s.value.kind === 'builtin' ? findBuiltinModelPool(s.value.name.text) : undefined;
  if (s.value.kind === 'builtin' && !builtin) {
    const names = BUILTIN_MODEL_POOLS.map((p) => p.name);
    const hint = didYouMean(s.value.name.text, names);
    ctx.report(error('FBW0101', s.value.name.span, `unknown model pool '${s.value.name.text}'`, hint ? `did you mean '${hint}'?` : `built-in pools: ${names.filter((n) => n.includes('patch32')).join(', ')} (and the patch16 / large-patch14 ones); or list the checkpoints: models ${s.name.text} from BASE = {task: "org/repo", ...}`));
    return;
  }
  const baseName = ctx.scope.baseOf(s);
  if (baseName === undefined) {
    ctx.report(error('FBW0132', s.name.span, `model pool '${s.name.text}' does not say which model it was fine-tuned from`, `write: models ${s.name.text} from BASE = {...}, with BASE a model (e.g. clip)`));
    return;
  }
  if (builtin && s.from) {
    const mine = modelNameType(ctx.scope, s.from.text, at);
    const theirs = findBuiltinModel(builtin.base)!;
    if (mine.kind === 'models' && mine.architectures[0] !== undefined && mine.architectures[0] !== theirs.architecture) {
      ctx.report(error('FBW0114', s.from.span, `'${builtin.name}' was fine-tuned from ${theirs.repo}, but '${s.from.text}' is ${mine.architectures[0]}`, `write: models ${s.name.text} from ${theirs.name} = ${builtin.name}, or drop 'from'`));
      return;
    }
  }
  if (s.value.kind === 'map' && s.value.members.length === 0) {
    ctx.report(error('FBW0120', s.value.span, 'the model pool is empty', 'list one checkpoint per task: {sun397: "tanganke/clip-vit-base-patch32_sun397", ...}'));
    return;
  }
  if (!ctx.scope.model(baseName, at).ok) return; // reported by KnownNamesRule
  const base = baseFiles(ctx, baseName, at);
  if (builtin) {
    // a built-in pool is one name: one diagnostic for all of its repos missing from the cache
    const missing = Object.values(builtin.members).filter((repo) => { const c = ctx.scope.checkpoint(repo); return c.kind === 'hub' && !c.dir; });
    if (missing.length) {
      const n = Object.keys(builtin.members).length;
      ctx.report(error('FBW0130', s.value.kind === 'builtin' ? s.value.name.span : s.name.span,
        `${missing.length} of the ${n} checkpoints of '${builtin.name}' are not in the hub cache ${hubCacheDir()} (first: ${missing[0]})`,
        `fbw never downloads; fetch them once with: ${missing.map((r) => downloadCommand(r)).join(' ; ')}`));
      return;
    }
  }
  const seen = new Map<string, A.Name>();
  for (const m of ctx.scope.poolMembers(s, at)) {
    const span = m.span ?? (s.value.kind === 'builtin' ? s.value.name.span : s.name.span);
    if (m.taskName) {
      const prev = seen.get(m.task);
      if (prev) { ctx.report(error('FBW0111', m.taskName.span, `task '${m.task}' has two checkpoints in pool '${s.name.text}'`, `the first is at line ${prev.span.line}; a pool holds one fine-tuned model per task`)); continue; }
      seen.set(m.task, m.taskName);
    }
    if (m.value.trim() === '' || /\.(bin|pt|pth|ckpt|h5|onnx)$/i.test(m.value)) continue; // FBW0124
    const what = `pool member '${m.task}'`;
    const path = found(ctx, what, ctx.scope.checkpoint(m.value), span);
    if (path !== undefined) fits(ctx, what, path, base, baseName, span);
  }
}

/** FBW0101/0111/0114/0120/0127/0128/0129 for model pools and `model x = "..." from base`. */
export const ModelPoolRule: Rule = (ctx) => {
  headers.clear();
  ctx.program.statements.forEach((s, at) => {
    if (s.kind === 'models') checkPool(ctx, s, at);
    else if (s.kind === 'model' && s.from && s.value.kind === 'path') {
      const v = s.value;
      if (v.path.trim() === '' || /\.(bin|pt|pth|ckpt|h5|onnx)$/i.test(v.path) || !ctx.scope.model(s.from.text, at).ok) return;
      const what = `model '${s.name.text}'`;
      const path = found(ctx, what, ctx.scope.checkpoint(v.path), v.span);
      if (path !== undefined) fits(ctx, what, path, baseFiles(ctx, s.from.text, at), s.from.text, v.span);
    }
  });
};
