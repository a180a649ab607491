// A disk that fills during a run (issue 12, item 12), for real: the store lives on a small tmpfs
// (root) or, where mounting is not allowed, under a file-size limit (`ulimit -f`, which raises
// EFBIG). The run stops like an interrupted one with one line naming the filesystem and the store,
// exit 1, no stack trace; committed work survives and the next run, with room, resumes it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync, openSync, writeSync, closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stage } from '../../src/compile/ir.js';
import { readJournal } from '../../src/store/journal.js';
import { tempDir, pretrained, stage } from '../scheduler/helpers.js';
import { makeTinyClip } from '../scheduler/tinyClip.js';
import { FBW_BIN } from '../shared/helpers.js';


/** Mount a tmpfs of `size` at `dir` (or resize it); false where mounting is not allowed. */
function mountTmpfs(dir: string, size: string, remount = false): boolean {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `${remount ? 'remount,' : ''}size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0;
}

function fbw(cwd: string, args: string[], fileLimitBlocks?: number): { code: number; out: string; err: string } {
  const cmd = fileLimitBlocks ? ['sh', ['-c', `ulimit -f ${fileLimitBlocks} && exec "$0" "$@"`, process.execPath, FBW_BIN, ...args]] as const : [process.execPath, [FBW_BIN, ...args]] as const;
  const r = spawnSync(cmd[0], [...cmd[1]], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A graph of two tiny CLIPs and several merges (each writes a model folder): no training, so quick. */
async function mergeGraph(dir: string, merges: number): Promise<string> {
  const a = await makeTinyClip(join(dir, 'a'), 1);
  const b = await makeTinyClip(join(dir, 'b'), 2);
  const stages: Stage[] = [pretrained('model.a', a), pretrained('model.b', b)];
  for (let i = 0; i < merges; i++) {
    stages.push(stage(`merge.ta${i}`, 'merge', 'task_arithmetic', { scaling_factor: 0.1 + i / 10 }, [{ stage: 'model.a', role: 'base' }, { stage: 'model.a', role: 'model' }, { stage: 'model.b', role: 'model' }]));
  }
  const g = join(dir, 'g.json');
  writeFileSync(g, JSON.stringify({ stages }));
  return g;
}

function duBytes(path: string): number {
  return Number(spawnSync('du', ['-sb', path], { encoding: 'utf8' }).stdout.split('\t')[0]);
}

/** The one line the user must see, and nothing that looks like a stack trace. */
function assertOneClearLine(err: string, store: string, fs: RegExp): void {
  const lines = err.split('\n').filter((l) => l.startsWith('fbw run:'));
  assert.is(lines.length, 1, err);
  assert.match(lines[0]!, fs);
  assert.ok(lines[0]!.includes(`store ${store}`), lines[0]);
  assert.not.match(err, /^\s+at /m, 'no stack trace');
}

test('a disk that fills mid-run stops it like an interrupt; a full disk at start gets the same line; the next run resumes', async () => {
  const dir = tempDir('fbw-diskfull-');
  const mnt = join(dir, 'small');
  mkdirSync(mnt);
  const g = await mergeGraph(dir, 8);
  const store = join(mnt, '.fbw');
  const args = ['run', g, '--store', store, '--json', '--devices', 'cpu:1'];
  const tmpfs = mountTmpfs(mnt, '64m');
  try {
    if (tmpfs) {
      // measure a whole run, then give the store half of that
      const full = fbw(dir, args);
      assert.is(full.code, 0, full.err);
      const need = duBytes(store);
      rmSync(store, { recursive: true, force: true });
      assert.ok(mountTmpfs(mnt, `${Math.floor(need / 2 / 4096) * 4}k`, true));
      const r = fbw(dir, args);
      assert.is(r.code, 1, r.err);
      assertOneClearLine(r.err, store, new RegExp(`no space left on the filesystem ${mnt} \\(ENOSPC\\)`));
      const runs = readdirSync(join(store, 'runs'));
      const ev = readJournal(join(store, 'runs', runs[0]!, 'journal.jsonl'));
      const committed = ev.filter((e) => e.event === 'committed').length;
      assert.ok(committed >= 1 && committed < 10, `some work committed before the disk filled (${committed})`);
      assert.not.ok(ev.some((e) => e.event === 'failed'), 'no stage is called failed');
      // room again: the next run reuses what was committed and finishes
      assert.ok(mountTmpfs(mnt, '64m', true));
      const again = fbw(dir, args);
      assert.is(again.code, 0, again.err);
      const fin = again.out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; counts?: { cached: number; done: number } }).find((e) => e.event === 'finished')!;
      assert.ok(fin.counts!.cached >= committed, `resumed: ${JSON.stringify(fin.counts)}`);
      // a disk already full at the start: the same one line
      rmSync(store, { recursive: true, force: true });
      const fd = openSync(join(mnt, 'filler'), 'w');
      try { for (;;) writeSync(fd, Buffer.alloc(1 << 20)); } catch (e) { assert.is((e as NodeJS.ErrnoException).code, 'ENOSPC'); } finally { closeSync(fd); }
      const atStart = fbw(dir, args);
      assert.is(atStart.code, 1, atStart.err);
      assertOneClearLine(atStart.err, store, /no space left on the filesystem .* \(ENOSPC\)/);
    } else {
      // no mount allowed: a file-size limit below one model's size makes the first write fail (EFBIG)
      const r = fbw(dir, args, 64);
      assert.is(r.code, 1, r.err);
      assertOneClearLine(r.err, store, /size limit \(EFBIG/);
      const again = fbw(dir, args);
      assert.is(again.code, 0, again.err);
    }
  } finally {
    if (tmpfs) spawnSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
