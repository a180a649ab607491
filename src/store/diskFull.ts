// A full disk (or a quota, or a file-size limit) is not a bug of fbw nor a failure of a stage: the
// run stops like an interrupted one, committed work is kept, and the user is told in one line
// which filesystem is full and which store lives on it (issue 12, item 12).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** errno codes that mean "no room to write": no space, quota exceeded, file-size limit (ulimit -f). */
const DISK_FULL_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** The errno code of `e` when it says the disk is full, else undefined (also reads a WireError's `code`). */
export function diskFullCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && DISK_FULL_CODES.has(code) ? code : undefined;
}

/** The mount point holding `path` (longest match in /proc/self/mountinfo), or `path` itself off Linux. */
export function filesystemOf(path: string): string {
  const abs = resolve(path);
  let best = '';
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      // field 5 is the mount point, with spaces and the like octal-escaped
      const mp = line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      if (mp && (abs === mp || abs.startsWith(mp === '/' ? '/' : `${mp}/`)) && mp.length > best.length) best = mp;
    }
  } catch { /* no /proc */ }
  return best || abs;
}

/** The run stopped (or could not start) because the filesystem holding the store is full. */
export class DiskFull extends Error {
  readonly filesystem: string;
  constructor(readonly store: string, readonly code: string) {
    const filesystem = filesystemOf(store);
    const what = code === 'EFBIG' ? `a file reached the size limit (EFBIG, see ulimit -f) on the filesystem ${filesystem}`
      : code === 'EDQUOT' ? `the disk quota is exhausted (EDQUOT) on the filesystem ${filesystem}`
      : `no space left on the filesystem ${filesystem} (ENOSPC)`;
    const fix = code === 'EFBIG' ? 'raise the limit' : 'free space (e.g. fbw gc)';
    super(`${what}, which holds the store ${store}; the run stopped like an interrupted one and committed work is kept — ${fix} and run again to resume`);
    this.name = 'DiskFull';
    this.filesystem = filesystem;
  }
}
