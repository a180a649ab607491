// Where a model's files are: a built-in name (Hugging Face cache, $FBW_DATA, the bundled tiny
// CLIP), a local Hugging Face snapshot folder or a .safetensors file. Used by the planner (the files'
// content is part of a pretrained stage's key) and by the `pretrained` stage runner; never touches the network.
import { existsSync, statSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname, basename, isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import type { Json } from '../../util/json.js';
import { projectRoot } from '../../util/projectRoot.js';
import { SafetensorsReader } from '../io/safetensors.js';
import { shardIndexFormat } from '../io/hfFormats.js';
import { anyJsonFormat, PersistedFileInvalid } from '../../util/jsonFormat.js';
import { downloadCommand, hubRepoDir, resolveHubSnapshot } from './hubCache.js';

/** What a model declaration says: a compiled `pretrained` stage has this shape. */
export interface ModelDeclaration {
  readonly id: string;
  /** 'builtin', 'local', 'init', ... */
  readonly method: string;
  readonly params: { readonly [k: string]: Json };
  /** the .fbw file that declares it: relative paths are resolved against its folder */
  readonly source?: { readonly file: string };
}

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
export const MODEL_FILES = [
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

function fbwData(env: NodeJS.ProcessEnv): string {
  return env['FBW_DATA'] ?? join(homedir(), '.cache', 'fbw');
}

/** Folders where a built-in Hugging Face model may be, most specific first. */
function builtinCandidates(repo: string, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const hub = hubRepoDir(repo, env);
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
export function modelSpec(stage: ModelDeclaration): string {
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
    try { shards = [...new Set(Object.values(shardIndexFormat.read(index.path).weight_map))].sort(); } catch (e) {
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

/** The language's table of built-in model names (registry/models.ts, a floor above ml/, so it is passed in). */
export interface BuiltinModelTable {
  find(name: string): { readonly repo: string } | undefined;
  /** the names to list when a name is not built in */
  names(): readonly string[];
}

/**
 * Resolve a model declaration to its files. `builtins` is the language's table of built-in
 * names (registry/models.ts, a floor above ml/, so it is passed in); `baseDir` anchors relative paths.
 */
export function resolveModel(stage: ModelDeclaration, builtins: BuiltinModelTable, env: NodeJS.ProcessEnv = process.env, baseDir?: string): ResolvedModel {
  if (stage.method === 'hub') {
    // a Hugging Face repo id from a model pool or a `model` declaration: the hub cache, refs/main
    const repo = String(stage.params['repo']);
    const r = resolveHubSnapshot(repo, env);
    if (!r.dir) throw new ModelNotFound(repo, r.looked, `fbw never downloads: fetch it once with \`${downloadCommand(repo)}\` (HF_HUB_CACHE / HF_HOME choose the cache)`);
    return { model: repo, files: filesOf(r.dir) };
  }
  const spec = modelSpec(stage);
  const builtin = stage.method !== 'local' ? builtins.find(spec) : undefined;
  if (builtin) {
    const looked = builtin.repo.startsWith('models/') ? [join(projectRoot(), builtin.repo)] : builtinCandidates(builtin.repo, env);
    for (const d of looked) if (!d.endsWith('*') && existsSync(join(d, 'config.json'))) return { model: spec, files: filesOf(d) };
    throw new ModelNotFound(spec, looked, builtin.repo.startsWith('models/')
      ? `the bundled model is missing from this checkout; restore ${builtin.repo} from git`
      : `fbw never downloads: fetch it once with \`huggingface-cli download ${builtin.repo} --include '*.json' '*.txt' model.safetensors\` (into the Hugging Face cache), or put the snapshot in ${join(fbwData(env), 'models', basename(builtin.repo))}`);
  }
  if (stage.method === 'builtin' && !looksLikePath(spec)) throw new ModelNotFound(spec, [], `not a built-in model name (${builtins.names().join(', ')})`);
  const base = stage.source?.file ? dirname(resolve(stage.source.file)) : baseDir ?? env['FBW_WORKFLOW_DIR'] ?? process.cwd();
  const p = isAbsolute(spec) ? spec : resolve(base, spec);
  if (!existsSync(p)) throw new ModelNotFound(spec, [p], 'check the path in the model declaration');
  return { model: spec, files: filesOf(p) };
}

/** Check that the files are what they claim: JSON parses, safetensors headers fit their sizes. */
export async function checkModelFiles(files: readonly ModelFile[]): Promise<void> {
  for (const f of files) {
    if (f.name.endsWith('.json')) {
      try { anyJsonFormat.read(f.path); } catch (e) { throw new ModelFilesInvalid(f.path, e instanceof PersistedFileInvalid ? e.reason : (e as Error).message); }
    } else if (f.name.endsWith('.safetensors')) {
      let r: SafetensorsReader;
      try { r = await SafetensorsReader.open(f.path); } catch (e) { throw new ModelFilesInvalid(f.path, `corrupt safetensors: ${(e as Error).message}`); }
      const n = r.tensors().length;
      await r.close();
      if (n === 0) throw new ModelFilesInvalid(f.path, 'holds no tensors');
    }
  }
}
