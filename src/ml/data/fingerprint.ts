// Content fingerprints of data sets for cache keys. A file's hash is memoised by path, size and
// mtime, so asking again for an unchanged data set costs one stat per file.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

const memo = new Map<string, { size: number; mtimeMs: number; hash: string }>();

/** sha256 hex of a file's bytes, memoised by (path, size, mtime). */
export async function fileFingerprint(path: string): Promise<string> {
  const st = statSync(path);
  const hit = memo.get(path);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.hash;
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    s.on('data', (chunk) => h.update(chunk));
    s.on('error', reject);
    s.on('end', () => resolve());
  });
  const hash = h.digest('hex');
  memo.set(path, { size: st.size, mtimeMs: st.mtimeMs, hash });
  return hash;
}

/** sha256 hex of an unambiguous (length-prefixed) encoding of string parts. */
export function combineFingerprints(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const b = Buffer.from(p, 'utf8');
    h.update(`${b.length}:`);
    h.update(b);
  }
  return h.digest('hex');
}

/** Fingerprint of a list of files (order matters: callers pass a sorted list), labelled by kind. */
export async function filesFingerprint(kind: string, paths: readonly string[], rel: (p: string) => string = (p) => p): Promise<string> {
  const parts: string[] = [kind];
  for (const p of paths) parts.push(rel(p), await fileFingerprint(p));
  return combineFingerprints(parts);
}
