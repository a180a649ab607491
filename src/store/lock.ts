// The store lock: one run writes a store at a time. The lock file records pid and the
// process's start time (from /proc/PID/stat), so a lock left by a killed run is recognised as
// stale even when its pid has been reused by another process, and is taken over.
//
// Both steps are atomic, so two racing runs can never both hold the store:
// - taking the lock: the record is written and fsynced to a private temp file, then link()ed to the
//   lock's name; link fails if the name exists, and the lock is never visible half-written;
// - taking over a stale lock: the lock file is identified by its inode, and only the process that
//   holds the claim `<lock>.takeover-<inode>` (itself taken by link) may remove that inode, after
//   checking again, under the claim, that its holder is dead. A claim left by a crashed claimant is
//   stale in turn and taken over the same way.
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, fsyncSync, linkSync, fstatSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { jsonFormat } from '../util/jsonFormat.js';

export interface LockInfo {
  readonly pid: number;
  /** process start time in clock ticks since boot (field 22 of /proc/PID/stat), or null off Linux */
  readonly start: number | null;
  readonly host: string;
  readonly run?: string;
  readonly command?: string;
  readonly since: string;
}

/** Another live run holds the store. */
export class StoreLocked extends Error {
  constructor(readonly lockFile: string, readonly holder: LockInfo) {
    super(`the store is in use by another fbw run (pid ${holder.pid}${holder.run ? `, run ${holder.run}` : ''}, since ${holder.since}); lock file ${lockFile}.\n` +
      `Wait for it to finish, pass --wait to queue behind it, or use another --store.`);
    this.name = 'StoreLocked';
  }
}

/** Start time and state of a live process, or undefined when there is no such process. */
export function processInfo(pid: number): { start: number; state: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 (starttime) is rest[19]
    return { state: rest[0]!, start: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

function isAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true; // cannot check another machine's processes: assume live
  const p = processInfo(info.pid);
  if (!p) {
    try { process.kill(info.pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  }
  if (p.state === 'Z' || p.state === 'X') return false;
  return info.start === null || p.start === info.start;
}

/** The lock file's record; a torn or foreign file is no record (and so stale). */
const lockFormat = jsonFormat<LockInfo>('store lock', {
  type: 'object', required: ['pid', 'start', 'host', 'since'],
  properties: { pid: { type: 'integer' }, start: { type: ['integer', 'null'] }, host: { type: 'string' }, run: { type: 'string' }, command: { type: 'string' }, since: { type: 'string' } },
});

/** Read the current lock, or undefined. */
export function readLock(lockFile: string): LockInfo | undefined {
  try { return lockFormat.read(lockFile); } catch { return undefined; }
}

export interface HeldLock {
  readonly info: LockInfo;
  /** the previous holder when a stale lock was taken over */
  readonly tookOver?: LockInfo;
  release(): void;
}

/** Write `info` to a fresh private file beside `name` (fsynced), to be link()ed into place. */
function writeTemp(name: string, info: LockInfo): string {
  const tmp = `${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx');
  try { writeSync(fd, JSON.stringify(info)); fsyncSync(fd); } catch (e) {
    closeSync(fd);
    unlinkQuiet(tmp); // a full disk: leave nothing behind
    throw e;
  }
  closeSync(fd);
  return tmp;
}

/** link(tmp, name): true when this call created `name`, false when it already existed. */
function tryLink(tmp: string, name: string): boolean {
  try { linkSync(tmp, name); return true; } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function unlinkQuiet(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}

/** The file now at `name`: its inode and the holder it records (undefined when unreadable); undefined when absent. */
function inspect(name: string): { ino: number; holder: LockInfo | undefined } | undefined {
  let fd: number;
  try { fd = openSync(name, 'r'); } catch { return undefined; }
  try {
    const ino = fstatSync(fd).ino;
    let holder: LockInfo | undefined;
    try { holder = lockFormat.parse(readFileSync(fd, 'utf8'), name); } catch { holder = undefined; }
    return { ino, holder };
  } finally { closeSync(fd); }
}

/** A record nobody can hold any more: unreadable (torn by an old version or a crash), or its process is gone. */
function isStale(holder: LockInfo | undefined): boolean {
  return holder === undefined || !isAlive(holder);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Remove the stale file at `name` if it is still inode `ino`, holding the claim on that inode while
 * deciding (see the header). Returns false when another live process is doing it (the caller retries).
 */
function removeStale(name: string, ino: number, me: LockInfo, depth = 0): boolean {
  const claim = `${name}.takeover-${ino}`;
  const tmp = writeTemp(claim, me);
  try {
    if (!tryLink(tmp, claim)) {
      const c = inspect(claim);
      // a crashed claimant's claim is itself stale: take it over (bounded: each level needs a crash)
      if (c && isStale(c.holder) && depth < 8) removeStale(claim, c.ino, me, depth + 1);
      return false;
    }
    try {
      const now = inspect(name);
      if (now && now.ino === ino && isStale(now.holder)) unlinkSync(name);
      return true;
    } finally { unlinkQuiet(claim); }
  } finally { unlinkQuiet(tmp); }
}

/** Take the lock once: returns it, or throws StoreLocked naming the live holder. */
export function acquireLock(lockFile: string, meta: { run?: string; command?: string } = {}): HeldLock {
  const me: LockInfo = { pid: process.pid, start: processInfo(process.pid)?.start ?? null, host: hostname(), since: new Date().toISOString(), ...meta };
  let tookOver: LockInfo | undefined;
  const tmp = writeTemp(lockFile, me);
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (tryLink(tmp, lockFile)) {
        return {
          info: me,
          ...(tookOver ? { tookOver } : {}),
          release: () => {
            // only our own record is ours to remove: nobody else can replace it while we live
            const cur = readLock(lockFile);
            if (cur && cur.pid === me.pid && cur.start === me.start && cur.since === me.since) unlinkQuiet(lockFile);
          },
        };
      }
      const seen = inspect(lockFile);
      if (!seen) continue; // released between our link and our look: try again
      if (!isStale(seen.holder)) throw new StoreLocked(lockFile, seen.holder!);
      if (removeStale(lockFile, seen.ino, me)) tookOver = seen.holder ?? { pid: 0, start: null, host: hostname(), since: 'unknown' };
      else sleepSync(2); // another process is taking it over: look again shortly
    }
  } finally { unlinkQuiet(tmp); }
  const holder = readLock(lockFile);
  throw new StoreLocked(lockFile, holder ?? { pid: 0, start: null, host: hostname(), since: 'unknown' });
}

/** Take the lock, polling while another live run holds it (for `fbw run --wait`). */
export async function waitForLock(lockFile: string, meta: { run?: string; command?: string } = {}, onWait?: (holder: LockInfo) => void, pollMs = 500): Promise<HeldLock> {
  let told = false;
  for (;;) {
    try { return acquireLock(lockFile, meta); } catch (e) {
      if (!(e instanceof StoreLocked)) throw e;
      if (!told) { onWait?.(e.holder); told = true; }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
