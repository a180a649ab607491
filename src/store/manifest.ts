// manifest.json of a committed artifact: the one schema for it, so it round-trips exactly and
// a damaged manifest is a clear "not committed" rather than a crash deep inside the plan.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { KeyComponents } from './keyComponents.js';

export interface ManifestFile {
  /** path relative to the artifact folder, '/'-separated */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly format: 'fbw-manifest-v1';
  readonly stage: string;
  readonly kind: string;
  readonly key: string;
  readonly components: KeyComponents;
  readonly files: readonly ManifestFile[];
  /** ISO time of the commit */
  readonly created: string;
  /** the run that produced it */
  readonly run?: string;
  /** wall seconds the stage took */
  readonly seconds?: number;
}

export const MANIFEST = 'manifest.json';

/** Why a manifest could not be read as one; the message names the file. */
export class ManifestInvalid extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: invalid manifest: ${reason}`);
    this.name = 'ManifestInvalid';
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate parsed JSON as a Manifest (structure only; hashes are checked by verify). */
export function parseManifest(text: string, path: string): Manifest {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new ManifestInvalid(path, `not JSON (${(e as Error).message})`); }
  if (!isObj(v)) throw new ManifestInvalid(path, 'not an object');
  if (v['format'] !== 'fbw-manifest-v1') throw new ManifestInvalid(path, `unknown format ${JSON.stringify(v['format'])}`);
  for (const f of ['stage', 'kind', 'key', 'created'] as const) if (typeof v[f] !== 'string') throw new ManifestInvalid(path, `field '${f}' missing or not a string`);
  if (!isObj(v['components'])) throw new ManifestInvalid(path, "field 'components' missing");
  const files = v['files'];
  if (!Array.isArray(files)) throw new ManifestInvalid(path, "field 'files' missing");
  for (const f of files) {
    if (!isObj(f) || typeof f['path'] !== 'string' || typeof f['size'] !== 'number' || typeof f['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(f['sha256'])) {
      throw new ManifestInvalid(path, `bad file entry ${JSON.stringify(f)}`);
    }
    if (f['path'].startsWith('/') || f['path'].split('/').includes('..')) throw new ManifestInvalid(path, `file path escapes the artifact: ${f['path']}`);
  }
  return v as unknown as Manifest;
}

/** sha256 and size of a file, read in chunks (models are hundreds of MB). */
export function hashFileSync(path: string): { sha256: string; size: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(Math.min(4 << 20, Math.max(size, 1)));
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      pos += n;
    }
    return { sha256: h.digest('hex'), size: pos };
  } finally {
    closeSync(fd);
  }
}
