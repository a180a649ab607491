// How a worker's death without a result is classified: out of memory (V8's heap limit, reached
// for real by a child process here; the kernel's OOM killer, seen as SIGKILL plus a rise of
// /proc/vmstat's oom_kill) is a permanent failure, a plain kill is transient, an exit is not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logTail, oomKillCount, workerDeath } from '../../src/devices/workerDeath.js';

test('a worker that exhausts the V8 heap is OutOfMemory, not retried', () => {
  const log = join(mkdtempSync(join(tmpdir(), 'fbw-oom-')), 'stage.log');
  const fd = openSync(log, 'a');
  const r = spawnSync(process.execPath, ['--max-old-space-size=24', '-e', 'const a = []; for (;;) a.push(new Array(1e5).fill(1.5));'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  assert.ok(r.signal !== null || r.status !== 0);
  const e = workerDeath(r.pid, r.status, r.signal, 0, logTail(log));
  assert.is(e.name, 'OutOfMemory');
  assert.is(e.transient, false);
  assert.match(e.message, /JavaScript heap out of memory/);
});

test('SIGKILL with an OOM kill during the run is OutOfMemory; without one it is transient', () => {
  const oom = workerDeath(42, null, 'SIGKILL', 1, '');
  assert.is(oom.name, 'OutOfMemory');
  assert.is(oom.transient, false);
  assert.match(oom.message, /out-of-memory killer.*gradient_checkpointing/);
  const killed = workerDeath(42, null, 'SIGKILL', 0, 'some log');
  assert.is(killed.name, 'WorkerDied');
  assert.is(killed.transient, true);
  const exited = workerDeath(42, 3, null, 0, '');
  assert.is(exited.name, 'WorkerExited');
  assert.is(exited.transient, false);
});

test('oomKillCount reads a number', () => {
  assert.ok(Number.isInteger(oomKillCount()) && oomKillCount() >= 0);
});

test.run();
