// The one way fbw replaces a file: write a private temp file beside it, fsync it, rename it over
// the target, fsync the folder. A reader (or a crash at any instant) sees the old content or the
// new, never a torn mix; the temp file is removed when writing fails (e.g. a full disk).
import { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync, mkdirSync } from 'node:fs';
import { open, rename, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface WriteAtomicOptions {
  /** create the parent folder first */
  readonly mkdir?: boolean;
}

function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** fsync a folder so a rename in it survives a power cut (not supported everywhere: then skipped). */
function fsyncDirSync(dir: string): void {
  let fd: number;
  try { fd = openSync(dir, 'r'); } catch { return; }
  try { fsyncSync(fd); } catch { /* EINVAL/EISDIR on some filesystems */ } finally { closeSync(fd); }
}

/** Replace `path` with `data` atomically and durably. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, opts: WriteAtomicOptions = {}): void {
  if (opts.mkdir) mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
      fsyncSync(fd);
    } finally { closeSync(fd); }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created, or renamed */ }
    throw e;
  }
  fsyncDirSync(dirname(path));
}

/** The same, asynchronously. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: WriteAtomicOptions = {}): Promise<void> {
  if (opts.mkdir) await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally { await fh.close(); }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  fsyncDirSync(dirname(path));
}
