// Where built-in data sets live on a user's machine, never the network: the fbw data folder
// ($FBW_DATA/data/NAME, default ~/.cache/fbw/data/NAME, as ImageFolder or parquet) and the
// Hugging Face hub cache ($HF_HOME/hub/datasets--OWNER--NAME/snapshots/*/**.parquet).
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/** Snapshot folders of a hub data set, newest first. */
export function hubSnapshots(hubDir: string, repoId: string): string[] {
  const snaps = join(hubDir, `datasets--${repoId.replace('/', '--')}`, 'snapshots');
  if (!existsSync(snaps)) return [];
  return readdirSync(snaps)
    .map((s) => join(snaps, s))
    .filter((p) => statSync(p).isDirectory())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs || (a < b ? 1 : -1));
}

/**
 * Find a data set by its names and hub ids. Returns the first hit and the list of every
 * place looked (for the not-found error).
 */
export function locateDataset(names: readonly string[], hubIds: readonly string[], opts: LoadTaskOptions = {}): { found?: Located; looked: string[] } {
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
    looked.push(`${base}/*/**.parquet  (Hugging Face cache of ${id})`);
    for (const snap of hubSnapshots(hub, id)) {
      if (listParquetFiles(snap).length > 0) return { found: { kind: 'parquet', root: snap, stop: snap }, looked };
    }
  }
  return { looked };
}
