// Where built-in data sets live on a user's machine, never the network: the fbw data folder
// ($FBW_DATA/data/NAME, default ~/.cache/fbw/data/NAME, as ImageFolder or parquet) and the
// Hugging Face hub cache ($HF_HOME/hub/datasets--OWNER--NAME/snapshots/*/**.parquet).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isImageFolder } from './imageFolder.js';
import { listParquetFiles } from './parquet.js';
import type { LoadTaskOptions } from './types.js';

/** The fbw data folder that holds one sub-folder per data set. */
export function defaultDataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.FBW_DATA || join(homedir(), '.cache', 'fbw'), 'data');
}

/** The Hugging Face hub cache folder (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
export function hubCacheDir(hfHome?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (hfHome) return join(hfHome, 'hub');
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  return join(env.HF_HOME || join(homedir(), '.cache', 'huggingface'), 'hub');
}

/** A data set found on disk. */
export type Located =
  | { readonly kind: 'imagefolder'; readonly root: string }
  | { readonly kind: 'parquet'; readonly root: string; readonly stop: string };

/** What kind of data set folder `dir` is, if any. */
export function classifyFolder(dir: string): Located | undefined {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  if (isImageFolder(dir)) return { kind: 'imagefolder', root: dir };
  if (listParquetFiles(dir).length > 0) return { kind: 'parquet', root: dir, stop: dir };
  return undefined;
}

/**
 * Snapshot folders of a hub data set: the one `refs/main` names first (what `datasets` and
 * `huggingface_hub` load), then any others in name order. Never by mtime: copying a cache
 * changes mtimes, not which revision is current.
 */
export function hubSnapshots(hubDir: string, repoId: string): string[] {
  const repo = join(hubDir, `datasets--${repoId.replace('/', '--')}`);
  const snaps = join(repo, 'snapshots');
  if (!existsSync(snaps)) return [];
  const all = readdirSync(snaps).sort().map((s) => join(snaps, s)).filter((p) => statSync(p).isDirectory());
  let main: string | undefined;
  try { main = join(snaps, readFileSync(join(repo, 'refs', 'main'), 'utf8').trim()); } catch { /* no refs/main: a hand-made cache */ }
  return main && all.includes(main) ? [main, ...all.filter((p) => p !== main)] : all;
}

/**
 * The folder of a snapshot that holds the split files: the data set's config folder when the
 * repo has several configs (ufldl-stanford/svhn: cropped_digits/ and full_numbers/; ylecun/mnist:
 * mnist/), else the snapshot itself.
 */
export function snapshotDataRoot(snap: string, config: string | undefined): string | undefined {
  if (config) {
    const c = join(snap, config);
    if (existsSync(c) && listParquetFiles(c).length > 0) return c;
    // a data/ folder holding <config>-named shards is the other layout the hub uses
    const d = join(snap, 'data', config);
    if (existsSync(d) && listParquetFiles(d).length > 0) return d;
  }
  if (listParquetFiles(snap).length === 0) return undefined;
  // other configs only (full_numbers/ without cropped_digits/): not this data set
  if (config && readdirSync(snap, { withFileTypes: true }).some((e) => e.name !== 'data' && e.isDirectory() && listParquetFiles(join(snap, e.name)).length > 0)) return undefined;
  return snap;
}

/**
 * Find a data set by its names and hub ids. Returns the first hit and the list of every
 * place looked (for the not-found error).
 */
export function locateDataset(names: readonly string[], hubIds: readonly string[], opts: LoadTaskOptions = {}, config?: string): { found?: Located; looked: string[] } {
  const looked: string[] = [];
  const dataRoot = opts.dataRoot ?? defaultDataRoot();
  for (const n of names) {
    const dir = join(dataRoot, n);
    looked.push(`${dir}  (fbw data folder: ImageFolder train/ test/ or parquet files)`);
    const hit = classifyFolder(dir);
    if (hit) return { found: hit, looked };
  }
  const hub = hubCacheDir(opts.hfHome);
  for (const id of hubIds) {
    const base = join(hub, `datasets--${id.replace('/', '--')}`, 'snapshots');
    looked.push(`${base}/<refs/main>/${config ? `${config}/` : ''}**.parquet  (Hugging Face cache of ${id})`);
    for (const snap of hubSnapshots(hub, id)) {
      const root = snapshotDataRoot(snap, config);
      if (root) return { found: { kind: 'parquet', root, stop: snap }, looked };
    }
  }
  return { looked };
}
