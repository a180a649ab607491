import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { mkdirSync, writeFileSync, readFileSync, truncateSync, existsSync, readdirSync, appendFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { Store } from '../../src/store/Store.js';
import { stageKey, type KeyComponents } from '../../src/store/keyComponents.js';
import { canonicalJson } from '../../src/store/canonical.js';
import { acquireLock, readLock, processInfo, StoreLocked } from '../../src/store/lock.js';
import { Journal, readJournal, newRunId } from '../../src/store/journal.js';
import { tempDir } from '../scheduler/helpers.js';

const comps = (over: Partial<KeyComponents> = {}): KeyComponents => ({
  kind: 'finetune', method: 'lora', params: { r: 16, learning_rate: 1e-5, target_modules: ['q_proj', 'v_proj'] },
  inputs: [{ role: 'base', stage: 'pretrained.clip', key: 'a'.repeat(64) }], datasets: { mnist: 'f'.repeat(64) }, version: '1', seed: 42, content: null, ...over,
});

function committed(store: Store, key: string, files: Record<string, string>): string {
  const tmp = store.newTmpDir(key);
  for (const [n, c] of Object.entries(files)) { mkdirSync(join(tmp, n, '..'), { recursive: true }); writeFileSync(join(tmp, n), c); }
  store.commit(tmp, { stage: 's', kind: 'merge', key, components: comps() });
  return store.objectDir(key);
}

test('the key ignores object key order but not values, and each component counts', () => {
  const a = stageKey(comps());
  assert.is(a, stageKey(comps({ params: { target_modules: ['q_proj', 'v_proj'], learning_rate: 1e-5, r: 16 } })));
  assert.is.not(a, stageKey(comps({ params: { r: 8, learning_rate: 1e-5, target_modules: ['q_proj', 'v_proj'] } })));
  assert.is.not(a, stageKey(comps({ seed: 43 })));
  assert.is.not(a, stageKey(comps({ version: '2' })));
  assert.is.not(a, stageKey(comps({ datasets: { mnist: 'e'.repeat(64) } })));
  assert.is.not(a, stageKey(comps({ inputs: [{ role: 'model', stage: 'pretrained.clip', key: 'a'.repeat(64) }] })));
  // renaming the producing stage is not new work
  assert.is(a, stageKey(comps({ inputs: [{ role: 'base', stage: 'renamed', key: 'a'.repeat(64) }] })));
  assert.is(canonicalJson({ b: 1, a: [true, null, 'x'] }), '{"a":[true,null,"x"],"b":1}');
});

test('commit writes a manifest with hashes; verify catches a flipped byte, truncation and a missing file', () => {
  const store = new Store(tempDir()).init();
  const k1 = 'b'.repeat(64), k2 = 'c'.repeat(64), k3 = 'd'.repeat(64);
  const d1 = committed(store, k1, { 'model.safetensors': 'x'.repeat(1000), 'adapter/adapter_config.json': '{}' });
  const m = JSON.parse(readFileSync(join(d1, 'manifest.json'), 'utf8'));
  assert.equal(m.files.map((f: { path: string }) => f.path), ['adapter/adapter_config.json', 'model.safetensors']);
  assert.ok(store.verify(k1).ok);
  const buf = readFileSync(join(d1, 'model.safetensors')); buf[500] = buf[500]! ^ 1; writeFileSync(join(d1, 'model.safetensors'), buf);
  const v = store.verify(k1);
  assert.ok(!v.ok && /content hash differs/.test(v.reason));
  const d2 = committed(store, k2, { 'a.bin': 'y'.repeat(100) });
  truncateSync(join(d2, 'a.bin'), 50);
  const v2 = store.verify(k2);
  assert.ok(!v2.ok && /50 bytes, manifest says 100/.test(v2.reason));
  committed(store, k3, { 'a.bin': 'z' });
  writeFileSync(join(store.objectDir(k3), 'manifest.json'), '{"format": "fbw-manifest-v1", "stage": ');
  const v3 = store.verify(k3);
  assert.ok(!v3.ok && /invalid manifest/.test(v3.reason));
  assert.ok(store.verify('e'.repeat(64)).ok === false);
  // nothing left in tmp after commits
  assert.equal(readdirSync(store.tmp), []);
});

test('a folder under objects/ without manifest is not committed', () => {
  const store = new Store(tempDir()).init();
  mkdirSync(store.objectDir('f'.repeat(64)));
  const v = store.verify('f'.repeat(64));
  assert.ok(!v.ok && !v.missing && /manifest.json is missing/.test(v.reason));
});

test('the lock refuses a live holder and takes over a dead or reused pid', async () => {
  const store = new Store(tempDir()).init();
  // a live holder: a real process with its real start time
  const child = spawn('sleep', ['30']);
  await new Promise((r) => child.once('spawn', r));
  writeFileSync(store.lockFile, JSON.stringify({ pid: child.pid, start: processInfo(child.pid!)!.start, host: (await import('node:os')).hostname(), since: 'x', run: 'other' }));
  assert.throws(() => acquireLock(store.lockFile), (e: unknown) => e instanceof StoreLocked && /pid \d+, run other/.test((e as Error).message));
  // the same pid with another start time is a reused pid: stale
  writeFileSync(store.lockFile, JSON.stringify({ pid: child.pid, start: processInfo(child.pid!)!.start + 1, host: (await import('node:os')).hostname(), since: 'x' }));
  const l1 = acquireLock(store.lockFile, { run: 'mine' });
  assert.is(l1.tookOver?.pid, child.pid);
  assert.is(readLock(store.lockFile)?.run, 'mine');
  l1.release();
  assert.not.ok(existsSync(store.lockFile));
  child.kill('SIGKILL');
  // a dead pid is stale
  const dead = spawnSync('true').pid!;
  writeFileSync(store.lockFile, JSON.stringify({ pid: dead, start: 1, host: (await import('node:os')).hostname(), since: 'x' }));
  const l2 = acquireLock(store.lockFile);
  assert.is(l2.tookOver?.pid, dead);
  l2.release();
});

test('journal: one event per line, a torn last line (crash mid-write) is dropped', () => {
  const dir = tempDir();
  const run = newRunId();
  assert.match(run, /^\d{8}-\d{6}-[0-9a-f]{4}$/);
  // regression: two runs in the same second listed out of order (the suffix was random)
  const a = newRunId(new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 5))), b = newRunId(new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 998)));
  assert.ok(a < b, `${a} sorts before ${b}`);
  const j = new Journal(join(dir, run));
  j.append({ t: 1, run, event: 'queued', stage: 's', key: 'k' });
  j.append({ t: 2, run, event: 'cached', stage: 's2', key: 'k2' });
  j.close();
  appendFileSync(j.path, '{"t":3,"run":"x","eve');
  assert.equal(readJournal(j.path).map((e) => e.event), ['queued', 'cached']);
});

test.run();
