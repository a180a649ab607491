// The store lock: one run writes a store at a time. The lock file records pid and the
// process's start time (from /proc/PID/stat), so a lock left by a killed run is recognised as
// stale even when its pid has been reused by another process, and is taken over.
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, fsyncSync } from 'node:fs';
import { hostname } from 'node:os';

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

/** Read the current lock, or undefined. */
export function readLock(lockFile: string): LockInfo | undefined {
  try { return JSON.parse(readFileSync(lockFile, 'utf8')) as LockInfo; } catch { return undefined; }
}

export interface HeldLock {
  readonly info: LockInfo;
  /** the previous holder when a stale lock was taken over */
  readonly tookOver?: LockInfo;
  release(): void;
}

function tryCreate(lockFile: string, info: LockInfo): boolean {
  let fd: number;
  try { fd = openSync(lockFile, 'wx'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try { writeSync(fd, JSON.stringify(info)); fsyncSync(fd); } finally { closeSync(fd); }
  return true;
}

/** Take the lock once: returns it, or throws StoreLocked naming the live holder. */
export function acquireLock(lockFile: string, meta: { run?: string; command?: string } = {}): HeldLock {
  const me: LockInfo = { pid: process.pid, start: processInfo(process.pid)?.start ?? null, host: hostname(), since: new Date().toISOString(), ...meta };
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockFile, me)) {
      return {
        info: me,
        ...(tookOver ? { tookOver } : {}),
        release: () => {
          const cur = readLock(lockFile);
          if (cur && cur.pid === me.pid && cur.start === me.start) { try { unlinkSync(lockFile); } catch { /* already gone */ } }
        },
      };
    }
    const holder = readLock(lockFile);
    if (holder && isAlive(holder)) throw new StoreLocked(lockFile, holder);
    // stale (or unreadable, i.e. torn by a crash while writing): take it over
    tookOver = holder ?? { pid: 0, start: null, host: hostname(), since: 'unknown' };
    try { unlinkSync(lockFile); } catch { /* someone else removed it first */ }
  }
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
