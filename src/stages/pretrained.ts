// The `pretrained` stage: resolve a model declaration (a built-in name, a local Hugging Face
// snapshot folder or a .safetensors file) to files on disk, check them, and place them in the
// artifact by hard link (or copy across filesystems). Never touches the network.
import { existsSync, statSync, readdirSync, readFileSync, linkSync, copyFileSync, realpathSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join, dirname, basename, isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Stage } from '../compile/ir.js';
import type { StageContext } from './contract.js';
import { findBuiltinModel } from '../registry/models.js';
import { SafetensorsReader } from '../ml/io/safetensors.js';
import { hashFileSync } from '../store/manifest.js';
import { canonicalJson, sha256 } from '../store/canonical.js';

/** A model declaration that resolves to nothing on disk: says where it looked and what to do. */
export class ModelNotFound extends Error {
  constructor(readonly model: string, readonly looked: readonly string[], hint: string) {
    super(`model '${model}' not found; looked in:\n${looked.map((l) => `  ${l}`).join('\n')}\n${hint}`);
    this.name = 'ModelNotFound';
  }
}

/** A model's files exist but are not usable (corrupt safetensors, missing config.json, a .bin pickle). */
export class ModelFilesInvalid extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ModelFilesInvalid';
  }
}

/** Files a Hugging Face CLIP snapshot holds that fbw uses; other files in the folder are ignored. */
const MODEL_FILES = [
  'config.json', 'model.safetensors', 'model.safetensors.index.json', 'vocab.json', 'merges.txt',
  'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
] as const;

/** One file to place in the artifact: its name there and where it is now. */
export interface ModelFile { readonly name: string; readonly path: string }

export interface ResolvedModel {
  /** what the user wrote (built-in name or path) */
  readonly model: string;
  readonly files: readonly ModelFile[];
}

/** The project root (where models/clip-tiny lives), from this file's place in src/ or dist/src/. */
export function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

function hfHome(env: NodeJS.ProcessEnv): string {
  return env['HF_HOME'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'huggingface');
}

function fbwData(env: NodeJS.ProcessEnv): string {
  return env['FBW_DATA'] ?? join(homedir(), '.cache', 'fbw');
}

/** Folders where a built-in Hugging Face model may be, most specific first. */
function builtinCandidates(repo: string, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const hub = join(hfHome(env), 'hub', `models--${repo.replace('/', '--')}`);
  const snaps = join(hub, 'snapshots');
  try {
    const ref = readFileSync(join(hub, 'refs', 'main'), 'utf8').trim();
    if (ref) out.push(join(snaps, ref));
  } catch { /* no refs/main */ }
  try {
    for (const s of readdirSync(snaps).sort().reverse()) if (!out.includes(join(snaps, s))) out.push(join(snaps, s));
  } catch { out.push(join(snaps, '*')); }
  const data = fbwData(env);
  out.push(join(data, 'models', basename(repo)), join(data, 'models', repo), join(data, basename(repo)));
  return out;
}

/** The name or path a pretrained stage declares, from its resolved params. */
export function modelSpec(stage: Stage): string {
  const p = stage.params;
  for (const k of ['path', 'model', 'name', 'builtin', 'source', 'repo']) {
    const v = p[k];
    if (typeof v === 'string' && v) return v;
  }
  throw new ModelFilesInvalid(stage.id, `pretrained stage has no model name or path in its params (${JSON.stringify(p)})`);
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.startsWith('.') || s.endsWith('.safetensors');
}

/** Files of a model folder (or of a single .safetensors file plus the config beside it). */
function filesOf(path: string): ModelFile[] {
  const st = statSync(path);
  if (st.isFile()) {
    if (!path.endsWith('.safetensors')) {
      throw new ModelFilesInvalid(path, path.endsWith('.bin') || path.endsWith('.pt') || path.endsWith('.pth')
        ? 'a PyTorch pickle checkpoint; fbw reads only safetensors (convert it with safetensors.torch.save_file)'
        : 'not a .safetensors file or a model folder');
    }
    const dir = dirname(path);
    const files: ModelFile[] = [{ name: 'model.safetensors', path }];
    for (const n of MODEL_FILES) if (n !== 'model.safetensors' && n !== 'model.safetensors.index.json' && existsSync(join(dir, n))) files.push({ name: n, path: join(dir, n) });
    if (!files.some((f) => f.name === 'config.json')) throw new ModelFilesInvalid(path, `no config.json beside it in ${dir}; put the model's Hugging Face config.json there`);
    return files;
  }
  const files: ModelFile[] = [];
  for (const n of MODEL_FILES) if (existsSync(join(path, n))) files.push({ name: n, path: join(path, n) });
  const index = files.find((f) => f.name === 'model.safetensors.index.json');
  if (index) {
    let shards: string[];
    try { shards = [...new Set(Object.values((JSON.parse(readFileSync(index.path, 'utf8')) as { weight_map: Record<string, string> }).weight_map))].sort(); } catch (e) {
      throw new ModelFilesInvalid(index.path, `unreadable shard index (${(e as Error).message})`);
    }
    for (const s of shards) {
      if (s.includes('/') || s.includes('..')) throw new ModelFilesInvalid(index.path, `shard name '${s}' is not a plain file name`);
      files.push({ name: s, path: join(path, s) });
    }
  }
  if (!files.some((f) => f.name === 'config.json')) throw new ModelFilesInvalid(path, 'no config.json in this folder; a model folder needs the Hugging Face layout (config.json + model.safetensors)');
  if (!files.some((f) => f.name === 'model.safetensors') && !index) {
    const bin = existsSync(join(path, 'pytorch_model.bin'));
    throw new ModelFilesInvalid(path, bin ? 'only pytorch_model.bin here; fbw reads safetensors — convert it (safetensors.torch.save_file) or download model.safetensors' : 'no model.safetensors in this folder');
  }
  return files;
}

/** Resolve a pretrained stage's declaration to its files. `baseDir` anchors relative paths. */
export function resolveModel(stage: Stage, env: NodeJS.ProcessEnv = process.env, baseDir?: string): ResolvedModel {
  const spec = modelSpec(stage);
  const builtin = stage.method !== 'local' ? findBuiltinModel(spec) : undefined;
  if (builtin) {
    const looked = builtin.repo.startsWith('models/') ? [join(projectRoot(), builtin.repo)] : builtinCandidates(builtin.repo, env);
    for (const d of looked) if (!d.endsWith('*') && existsSync(join(d, 'config.json'))) return { model: spec, files: filesOf(d) };
    throw new ModelNotFound(spec, looked, builtin.repo.startsWith('models/')
      ? 'the bundled model is missing from this checkout; restore models/clip-tiny from git'
      : `fbw never downloads: fetch it once with \`huggingface-cli download ${builtin.repo} --include '*.json' '*.txt' model.safetensors\` (into the Hugging Face cache), or put the snapshot in ${join(fbwData(env), 'models', basename(builtin.repo))}`);
  }
  if (stage.method === 'builtin' && !looksLikePath(spec)) throw new ModelNotFound(spec, [], 'not a built-in model name (clip, clip-b16, clip-l14, clip-tiny)');
  const base = stage.source?.file ? dirname(resolve(stage.source.file)) : baseDir ?? env['FBW_WORKFLOW_DIR'] ?? process.cwd();
  const p = isAbsolute(spec) ? spec : resolve(base, spec);
  if (!existsSync(p)) throw new ModelNotFound(spec, [p], 'check the path in the model declaration');
  return { model: spec, files: filesOf(p) };
}

/** Check that the files are what they claim: JSON parses, safetensors headers fit their sizes. */
export async function checkModelFiles(files: readonly ModelFile[]): Promise<void> {
  for (const f of files) {
    if (f.name.endsWith('.json')) {
      try { JSON.parse(readFileSync(f.path, 'utf8')); } catch (e) { throw new ModelFilesInvalid(f.path, `not valid JSON (${(e as Error).message})`); }
    } else if (f.name.endsWith('.safetensors')) {
      let r: SafetensorsReader;
      try { r = await SafetensorsReader.open(f.path); } catch (e) { throw new ModelFilesInvalid(f.path, `corrupt safetensors: ${(e as Error).message}`); }
      const n = r.tensors().length;
      await r.close();
      if (n === 0) throw new ModelFilesInvalid(f.path, 'holds no tensors');
    }
  }
}

interface HashCacheEntry { readonly stamp: string; readonly sha256: string }

/** sha256 of each file, cached by path + inode + size + mtime + ctime in `cacheFile`. */
export class FileHashCache {
  private entries: Map<string, HashCacheEntry> | undefined;
  private dirty = false;
  constructor(readonly cacheFile: string) {}
  private load(): Map<string, HashCacheEntry> {
    if (!this.entries) {
      this.entries = new Map();
      try { for (const [k, v] of Object.entries(JSON.parse(readFileSync(this.cacheFile, 'utf8')) as Record<string, HashCacheEntry>)) this.entries.set(k, v); } catch { /* empty */ }
    }
    return this.entries;
  }
  hash(path: string): string {
    const real = realpathSync(path);
    const s = statSync(real, { bigint: true });
    const stamp = `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    const m = this.load();
    const hit = m.get(real);
    if (hit && hit.stamp === stamp) return hit.sha256;
    const h = hashFileSync(real).sha256;
    m.set(real, { stamp, sha256: h });
    this.dirty = true;
    return h;
  }
  flush(): void {
    if (!this.dirty || !this.entries) return;
    mkdirSync(dirname(this.cacheFile), { recursive: true });
    writeFileSync(`${this.cacheFile}.tmp-${process.pid}`, JSON.stringify(Object.fromEntries(this.entries)));
    renameSync(`${this.cacheFile}.tmp-${process.pid}`, this.cacheFile);
    this.dirty = false;
  }
}

/** Content hash of a resolved model (file names and their sha256), part of the stage key. */
export function modelContentHash(m: ResolvedModel, cache: FileHashCache): string {
  return sha256(canonicalJson(m.files.map((f) => [f.name, cache.hash(f.path)])));
}

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
  const m = resolveModel(ctx.stage);
  await checkModelFiles(m.files);
  for (const f of m.files) {
    const dest = join(ctx.outDir, f.name);
    try { linkSync(realpathSync(f.path), dest); } catch { copyFileSync(f.path, dest); }
    ctx.log(`${f.name} <- ${f.path}`);
  }
  ctx.progress({ step: 1, total: 1, phase: 'resolve' });
}
