// The content hash of a pretrained model's files, part of its stage key (the files' content
// identifies the model; where it lives and what it is called do not), with a cache so an
// unchanged multi-GB snapshot is hashed once.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import type { ResolvedModel } from '../ml/models/locateModel.js';
import { hashFileSync } from '../store/manifest.js';
import { canonicalJson, sha256 } from '../store/canonical.js';
import { writeFileAtomicSync } from '../util/writeFileAtomic.js';
import { jsonFormat } from '../util/jsonFormat.js';

interface HashCacheEntry { readonly stamp: string; readonly sha256: string }

/** The hash cache file: real path -> stamp + sha256. A damaged cache is rebuilt by hashing again. */
const hashCacheFormat = jsonFormat<{ readonly [path: string]: HashCacheEntry }>('file hash cache', {
  type: 'object',
  additionalProperties: { type: 'object', required: ['stamp', 'sha256'], properties: { stamp: { type: 'string' }, sha256: { type: 'string' } } },
});

/** sha256 of each file, cached by path + inode + size + mtime + ctime in `cacheFile`. */
export class FileHashCache {
  private entries: Map<string, HashCacheEntry> | undefined;
  private dirty = false;
  constructor(readonly cacheFile: string) {}
  private load(): Map<string, HashCacheEntry> {
    if (!this.entries) {
      this.entries = new Map();
      try { for (const [k, v] of Object.entries(hashCacheFormat.read(this.cacheFile))) this.entries.set(k, v); } catch { /* empty */ }
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
    writeFileAtomicSync(this.cacheFile, JSON.stringify(Object.fromEntries(this.entries)), { mkdir: true });
    this.dirty = false;
  }
}

/** Content hash of a resolved model (file names and their sha256), part of the stage key. */
export function modelContentHash(m: ResolvedModel, cache: FileHashCache): string {
  return sha256(canonicalJson(m.files.map((f) => [f.name, cache.hash(f.path)])));
}
