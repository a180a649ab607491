// The store lock under a real race (issue 12, item 13): racing processes call fbw's own acquireLock
// in the same millisecond, round after round, with and without a stale lock left by a dead run;
// every round must have exactly one holder. Before link()-based acquisition 6 of 80 rounds had two.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const racer = fileURLToPath(new URL('./fixtures/lockRacer.js', import.meta.url));
const RACERS = 8;
const ROUNDS = 48; // odd rounds start with a stale lock (a dead pid, or a torn empty file) in place

/** Lines a child prints, awaitable by content. */
function lines(child: ChildProcess): { seen: string[]; until: (pred: (l: string[]) => boolean) => Promise<void> } {
  const seen: string[] = [];
  let waiters: (() => void)[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    seen.push(...parts);
    const w = waiters; waiters = []; for (const f of w) f();
  });
  const until = async (pred: (l: string[]) => boolean) => {
    while (!pred(seen)) {
      if (child.exitCode !== null) throw new Error(`racer exited (${child.exitCode}) after: ${seen.join(' | ')}`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 200); });
    }
  };
  return { seen, until };
}

test(`${RACERS} processes racing for the lock, ${ROUNDS} rounds, with and without a stale lock: never two holders`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-lockrace-'));
  const kids = Array.from({ length: RACERS }, () => spawn(process.execPath, [racer, dir, String(ROUNDS)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const outs = kids.map(lines);
  try {
    await Promise.all(outs.map((o) => o.until((l) => l.includes('ready'))));
    const dead = spawnSync('true').pid!;
    const holders: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 1) {
        writeFileSync(join(dir, 'lock'), r % 4 === 1 ? JSON.stringify({ pid: dead, start: 1, host: hostname(), since: 'x' }) : '');
      }
      writeFileSync(join(dir, `go-${r}`), '');
      await Promise.all(outs.map((o) => o.until((l) => l.some((x) => x === `${r} held` || x === `${r} locked`))));
      holders.push(outs.filter((o) => o.seen.includes(`${r} held`)).length);
      writeFileSync(join(dir, `end-${r}`), '');
      await Promise.all(outs.map((o) => o.until((l) => l.includes(`${r} done`))));
    }
    assert.equal(holders, holders.map(() => 1), `holders per round: ${holders.join(' ')}`);
    // nothing left behind: no temp records, no takeover claims, no lock
    assert.equal(readdirSync(dir).filter((f) => !/^(go|end)-\d+$/.test(f)), []);
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
