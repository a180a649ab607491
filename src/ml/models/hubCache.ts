// The local Hugging Face hub cache, read the way huggingface_hub lays it out
// (models--org--name/refs/main -> snapshots/<hash>/), and what a model's files say about its
// architecture without reading a tensor: config.json and the safetensors headers. fbw never
// downloads; a repo missing from the cache is reported with where fbw looked and the command
// that fetches it. Shared by `fbw check` (sync, headers only) and the pretrained stage.
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { hfConfigFormat, parseSafetensorsHeader, shardIndexFormat } from '../io/hfFormats.js';

/** The hub cache folder: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
 *  (huggingface_hub's own order; $XDG_CACHE_HOME replaces ~/.cache as it does there). */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['HF_HUB_CACHE']) return env['HF_HUB_CACHE'];
  const home = env['HF_HOME'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

/** `org/name` as the hub spells repo ids: one slash, no leading `.` or `/`, not a .safetensors file. */
export function looksLikeHubId(s: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(s) && !s.endsWith('.safetensors') && !s.includes('..');
}

/** Folder of one repo in the cache (models--org--name). */
export function hubRepoDir(repo: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(hubCacheDir(env), `models--${repo.split('/').join('--')}`);
}

/** The snapshot of `repo` that refs/main names (or the only snapshot there is), or undefined,
 *  with the folders looked at, most specific first. */
export function resolveHubSnapshot(repo: string, env: NodeJS.ProcessEnv = process.env): { readonly dir?: string; readonly looked: readonly string[] } {
  const root = hubRepoDir(repo, env);
  const snaps = join(root, 'snapshots');
  let ref: string | undefined;
  try { ref = readFileSync(join(root, 'refs', 'main'), 'utf8').trim() || undefined; } catch { /* no refs/main */ }
  if (ref) {
    const d = join(snaps, ref);
    return existsSync(join(d, 'config.json')) ? { dir: d, looked: [d] } : { looked: [d] };
  }
  let all: string[] = [];
  try { all = readdirSync(snaps).filter((s) => existsSync(join(snaps, s, 'config.json'))); } catch { /* no snapshots */ }
  if (all.length === 1) return { dir: join(snaps, all[0]!), looked: [join(snaps, all[0]!)] };
  return { looked: [join(root, 'refs', 'main')] };
}

/** The command that puts `repo`'s files fbw reads into the hub cache. */
export function downloadCommand(repo: string): string {
  return `huggingface-cli download ${repo} --include '*.json' '*.txt' '*.safetensors'`;
}

/** Shapes by tensor name from a .safetensors header (the first 8 + n bytes; no tensor is read). */
export function readSafetensorsShapes(file: string): Map<string, readonly number[]> {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    if (readSync(fd, len, 0, 8, 0) !== 8) throw new Error('shorter than a safetensors header');
    const n = Number(len.readBigUInt64LE(0));
    if (n <= 0 || n > 100_000_000 || n + 8 > statSync(file).size) throw new Error(`header length ${n} does not fit the file`);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, 8);
    return new Map(parseSafetensorsHeader(buf.toString('utf8'), file).tensors.map(([k, v]) => [k, v.shape]));
  } finally {
    closeSync(fd);
  }
}

/** What a model's files declare: config.json's model_type and every tensor's shape. */
export interface ModelHeader {
  readonly config: string;
  readonly modelType: string | undefined;
  readonly raw: { readonly [k: string]: unknown };
  readonly tensors: ReadonlyMap<string, readonly number[]>;
  /** the file(s) the tensors are in */
  readonly weights: readonly string[];
}

/** config.json + safetensors headers of a model folder (single file or sharded) or of a
 *  .safetensors file with config.json beside it. Throws an Error saying what is missing. */
export function readModelHeader(path: string): ModelHeader {
  const isFile = statSync(path).isFile();
  const dir = isFile ? dirname(path) : path;
  const config = join(dir, 'config.json');
  if (!existsSync(config)) throw new Error(`no config.json in ${dir}`);
  const raw = hfConfigFormat.read(config);
  let weights: string[];
  if (isFile) weights = [path];
  else if (existsSync(join(dir, 'model.safetensors'))) weights = [join(dir, 'model.safetensors')];
  else if (existsSync(join(dir, 'model.safetensors.index.json'))) {
    const map = shardIndexFormat.read(join(dir, 'model.safetensors.index.json')).weight_map;
    weights = [...new Set(Object.values(map))].sort().map((f) => join(dir, f));
  } else throw new Error(`no model.safetensors in ${dir}`);
  const tensors = new Map<string, readonly number[]>();
  for (const w of weights) for (const [k, v] of readSafetensorsShapes(w)) tensors.set(k, v);
  return { config, modelType: raw.model_type, raw, tensors, weights };
}

/** A checkpoint that holds only a CLIP vision tower (transformers' CLIPVisionModel, as FusionBench
 *  publishes its fine-tunes): it is merged and evaluated with its base's text tower and projections. */
export function isVisionOnly(h: Pick<ModelHeader, 'modelType' | 'tensors'>): boolean {
  if (h.modelType === 'clip_vision_model') return true;
  return h.tensors.size > 0 && [...h.tensors.keys()].every((k) => k.startsWith('vision_model.'));
}

/** The first way `member` does not fit `base`: a tensor the member has that the base lacks, a
 *  shape that differs, or (for a full checkpoint) a base tensor the member lacks; undefined when
 *  it fits. A vision-only member is compared on the vision tower only. */
export function headerMismatch(member: ModelHeader, base: ModelHeader): string | undefined {
  const ignore = (k: string): boolean => /(^|\.)position_ids$/.test(k);
  for (const [k, shape] of member.tensors) {
    if (ignore(k)) continue;
    const b = base.tensors.get(k);
    if (!b) return `tensor '${k}' is not in the base model`;
    if (b.length !== shape.length || b.some((d, i) => d !== shape[i])) return `tensor '${k}' has shape [${shape.join(', ')}], the base's has [${b.join(', ')}]`;
  }
  const vision = isVisionOnly(member);
  for (const [k, b] of base.tensors) {
    if (ignore(k) || (vision && !k.startsWith('vision_model.'))) continue;
    if (!member.tensors.has(k)) return `tensor '${k}' (shape [${b.join(', ')}]) is missing`;
  }
  return undefined;
}
