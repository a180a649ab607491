// The content-addressed store (DESIGN.md §3): objects/<key>/ are committed artifacts, written
// into tmp/ and committed by an atomic rename after a manifest with content hashes; a folder
// under objects/ without a verifying manifest is never loaded.
import {
  mkdirSync, readFileSync, writeFileSync, renameSync, rmSync, readdirSync, statSync, openSync, fsyncSync, closeSync, existsSync, lstatSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MANIFEST, parseManifest, hashFileSync, ManifestInvalid, type Manifest, type ManifestFile } from './manifest.js';
import type { KeyComponents } from './keyComponents.js';
import { writeFileAtomicSync } from '../util/writeFileAtomic.js';
import { jsonFormat } from '../util/jsonFormat.js';

/** Outcome of verifying a committed artifact: a reason a user can read when it fails. */
export type Verified =
  | { readonly ok: true; readonly manifest: ManifestSummary }
  | { readonly ok: false; readonly missing: boolean; readonly reason: string };

/** The parts of a manifest a verified artifact reports without re-reading it. */
export interface ManifestSummary {
  readonly stage: string;
  readonly kind: string;
  readonly key: string;
  readonly created: string;
  readonly run?: string;
}

interface VerifiedStamp {
  /** stamps (inode:size:mtime:ctime) of manifest.json and each file, '|'-joined */
  readonly stamp: string;
  readonly files: readonly string[];
  readonly summary: ManifestSummary;
}

/** cache/verified.json: a cache, so a damaged one is re-verified from the files, never trusted. */
const verifiedCacheFormat = jsonFormat<{ readonly [key: string]: VerifiedStamp }>('verified-artifact cache', {
  type: 'object',
  additionalProperties: {
    type: 'object', required: ['stamp', 'files', 'summary'],
    properties: {
      stamp: { type: 'string' },
      files: { type: 'array', items: { type: 'string' } },
      summary: { type: 'object', required: ['stage', 'kind', 'key', 'created'], properties: { stage: { type: 'string' }, kind: { type: 'string' }, key: { type: 'string' }, created: { type: 'string' }, run: { type: 'string' } } },
    },
  },
});

/** What the last commit of a stage id was, for `fbw why`. */
export interface StageIndexEntry {
  readonly stage: string;
  readonly key: string;
  readonly components: KeyComponents;
  readonly committed: string;
  readonly run?: string;
}

/** index/<stage>.json: `fbw why` compares a stage's key components against its last commit. */
const indexEntryFormat = jsonFormat<StageIndexEntry>('stage index entry', {
  type: 'object', required: ['stage', 'key', 'components', 'committed'],
  properties: { stage: { type: 'string' }, key: { type: 'string' }, components: { type: 'object' }, committed: { type: 'string' }, run: { type: 'string' } },
});

/** A stage's output folder failed to commit (e.g. the stage wrote manifest.json itself). */
export class CommitFailed extends Error {
  constructor(readonly dir: string, readonly reason: string) {
    super(`cannot commit ${dir}: ${reason}`);
    this.name = 'CommitFailed';
  }
}

function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(p, 'r');
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
      else if (e.isSymbolicLink()) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function stamp(path: string): string {
  const s = statSync(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/** One store on disk; every phase reads and writes it through this object. */
export class Store {
  readonly objects: string;
  readonly tmp: string;
  readonly checkpoints: string;
  readonly runs: string;
  readonly index: string;
  readonly cache: string;
  readonly lockFile: string;
  private verifiedStamps: Map<string, VerifiedStamp> | undefined;
  private stampsDirty = false;

  constructor(readonly root: string) {
    this.objects = join(root, 'objects');
    this.tmp = join(root, 'tmp');
    this.checkpoints = join(root, 'checkpoints');
    this.runs = join(root, 'runs');
    this.index = join(root, 'index');
    this.cache = join(root, 'cache');
    this.lockFile = join(root, 'lock');
  }

  /** Create the folder layout (idempotent). */
  init(): this {
    for (const d of [this.objects, this.tmp, this.checkpoints, this.runs, this.index, this.cache]) mkdirSync(d, { recursive: true });
    return this;
  }

  objectDir(key: string): string { return join(this.objects, key); }
  checkpointDir(key: string): string { return join(this.checkpoints, key); }
  runDir(runId: string): string { return join(this.runs, runId); }

  /** A fresh folder for a stage to write its output into. */
  newTmpDir(key: string): string {
    const d = join(this.tmp, `${key}-${process.pid}-${randomBytes(3).toString('hex')}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** The manifest of a committed artifact, or undefined when there is none. Throws ManifestInvalid. */
  readManifest(key: string): Manifest | undefined {
    const p = join(this.objectDir(key), MANIFEST);
    let text: string;
    try { text = readFileSync(p, 'utf8'); } catch { return undefined; }
    const m = parseManifest(text, p);
    if (m.key !== key) throw new ManifestInvalid(p, `records key ${m.key}, expected ${key}`);
    return m;
  }

  private stamps(): Map<string, VerifiedStamp> {
    if (!this.verifiedStamps) {
      this.verifiedStamps = new Map();
      try {
        for (const [k, v] of Object.entries(verifiedCacheFormat.read(join(this.cache, 'verified.json')))) this.verifiedStamps.set(k, v);
      } catch { /* no cache yet, or unreadable: re-verify */ }
    }
    return this.verifiedStamps;
  }

  /**
   * Check that objects/<key> is committed: manifest present and every file's size and sha256
   * match. When the manifest and every file still have the inode, size, mtime and ctime they had
   * when last verified (any write changes ctime), nothing is re-read; FBW_VERIFY=full forces
   * hashing everything.
   */
  verify(key: string, opts: { full?: boolean } = {}): Verified {
    const dir = this.objectDir(key);
    const full = opts.full ?? process.env['FBW_VERIFY'] === 'full';
    const stamps = this.stamps();
    const known = stamps.get(key);
    if (!full && known) {
      try {
        const st = [stamp(join(dir, MANIFEST)), ...known.files.map((f) => stamp(join(dir, ...f.split('/'))))].join('|');
        if (st === known.stamp) return { ok: true, manifest: known.summary };
      } catch { /* something vanished: verify properly below */ }
    }
    let m: Manifest | undefined;
    try { m = this.readManifest(key); } catch (e) { return { ok: false, missing: false, reason: (e as Error).message }; }
    if (!m) return existsSync(dir) ? { ok: false, missing: false, reason: `${join(dir, MANIFEST)} is missing (uncommitted folder)` } : { ok: false, missing: true, reason: 'no committed result' };
    const st: string[] = [];
    try { st.push(stamp(join(dir, MANIFEST))); } catch { return { ok: false, missing: false, reason: `${join(dir, MANIFEST)} vanished` }; }
    for (const f of m.files) {
      const p = join(dir, ...f.path.split('/'));
      let s: string;
      try { s = stamp(p); } catch { return { ok: false, missing: false, reason: `${p} is missing` }; }
      st.push(s);
    }
    for (const f of m.files) {
      const p = join(dir, ...f.path.split('/'));
      const h = hashFileSync(p);
      if (h.size !== f.size) return { ok: false, missing: false, reason: `${p} has ${h.size} bytes, manifest says ${f.size} (truncated or modified)` };
      if (h.sha256 !== f.sha256) return { ok: false, missing: false, reason: `${p} content hash differs from its manifest (corrupted or modified)` };
    }
    const summary: ManifestSummary = { stage: m.stage, kind: m.kind, key: m.key, created: m.created, ...(m.run ? { run: m.run } : {}) };
    stamps.set(key, { stamp: st.join('|'), files: m.files.map((f) => f.path), summary });
    this.stampsDirty = true;
    return { ok: true, manifest: summary };
  }

  /** Persist the verification stamps (call at the end of a plan or run). */
  flush(): void {
    if (!this.stampsDirty || !this.verifiedStamps) return;
    const p = join(this.cache, 'verified.json');
    writeFileAtomicSync(p, JSON.stringify(Object.fromEntries(this.verifiedStamps)), { mkdir: true });
    this.stampsDirty = false;
  }

  /**
   * Commit a stage's output folder as objects/<key>: hash and fsync every file, write and fsync
   * the manifest, then rename atomically. A crash at any instant leaves either nothing or a
   * complete committed artifact under objects/.
   */
  commit(tmpDir: string, info: { stage: string; kind: string; key: string; components: KeyComponents; run?: string; seconds?: number }, opts: { durable?: boolean } = {}): Manifest {
    const sync = opts.durable === false ? () => {} : fsyncPath;
    const files: ManifestFile[] = [];
    for (const p of listFiles(tmpDir)) {
      const rel = relative(tmpDir, p).split(sep).join('/');
      if (rel === MANIFEST) throw new CommitFailed(tmpDir, `the stage wrote ${MANIFEST} itself; that name is reserved for the store`);
      if (lstatSync(p).isSymbolicLink()) throw new CommitFailed(tmpDir, `${rel} is a symbolic link; artifacts must hold real files`);
      const h = hashFileSync(p);
      sync(p);
      files.push({ path: rel, size: h.size, sha256: h.sha256 });
    }
    const manifest: Manifest = {
      format: 'fbw-manifest-v1', stage: info.stage, kind: info.kind, key: info.key, components: info.components, files,
      created: new Date().toISOString(), ...(info.run ? { run: info.run } : {}), ...(info.seconds !== undefined ? { seconds: info.seconds } : {}),
    };
    const mp = join(tmpDir, MANIFEST);
    writeFileSync(mp, JSON.stringify(manifest, null, 1));
    sync(mp);
    for (const d of new Set(files.map((f) => join(tmpDir, ...f.path.split('/').slice(0, -1))))) sync(d);
    sync(tmpDir);
    const target = this.objectDir(info.key);
    if (existsSync(target)) this.discard(info.key);
    mkdirSync(this.objects, { recursive: true });
    renameSync(tmpDir, target);
    sync(this.objects);
    this.writeIndex({ stage: info.stage, key: info.key, components: info.components, committed: manifest.created, ...(info.run ? { run: info.run } : {}) });
    return manifest;
  }

  /** Remove a (corrupt or unwanted) object: renamed away first so no reader sees it half-deleted. */
  discard(key: string): void {
    const target = this.objectDir(key);
    if (!existsSync(target)) return;
    const trash = join(this.tmp, `trash-${key}-${process.pid}-${randomBytes(3).toString('hex')}`);
    renameSync(target, trash);
    rmSync(trash, { recursive: true, force: true });
    this.verifiedStamps?.delete(key);
  }

  private indexPath(stageId: string): string {
    return join(this.index, `${encodeURIComponent(stageId)}.json`);
  }

  /** Record the last committed key and components of a stage id. */
  writeIndex(e: StageIndexEntry): void {
    writeFileAtomicSync(this.indexPath(e.stage), JSON.stringify(e), { mkdir: true });
  }

  /** The last committed result of a stage id, if any. */
  readIndex(stageId: string): StageIndexEntry | undefined {
    // a damaged entry only loses the "changed since last commit" explanation
    try { return indexEntryFormat.read(this.indexPath(stageId)); } catch { return undefined; }
  }

  /** Keys of every folder under objects/. */
  listObjects(): string[] {
    try { return readdirSync(this.objects).filter((n) => /^[0-9a-f]{64}$/.test(n)); } catch { return []; }
  }

  /** Run ids, oldest first. */
  listRuns(): string[] {
    try { return readdirSync(this.runs).filter((n) => /^\d{8}-\d{6}-[0-9a-z]+$/.test(n)).sort(); } catch { return []; }
  }
}
