// The native thread pool under resizing: a job posted right after setThreads() grows the pool must
// be run by the new workers (a worker that read the job generation only once it started missed the
// wake-up, and the caller waited forever: RegMean's 1-vs-2-thread test hung CI that way). The loop
// runs in a child process with a time limit, so a deadlock fails the test instead of hanging it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadNativeAddon } from '../../src/ml/backend/native/nativeAddon.js';

const ADDON_MODULE = fileURLToPath(new URL('../../src/ml/backend/native/nativeAddon.js', import.meta.url));

test('a job posted right after the pool grows runs to the end, 400 times in a row', () => {
  if (!loadNativeAddon().ok) return;
  const script = `
    const { loadNativeAddon } = await import(${JSON.stringify(ADDON_MODULE)});
    const addon = loadNativeAddon().addon;
    const d = 256, a = new Float32Array(d * d).fill(0.5), c = new Float32Array(d * d);
    for (let i = 0; i < 400; i++) {
      addon.setThreads(1);
      addon.setThreads(2 + (i % 3));
      addon.gemm(false, false, false, d, d, d, a, a, c);
      if (c[0] !== 0.25 * d) throw new Error('wrong product ' + c[0]);
    }
    console.log('ok');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.signal, null, `the loop did not finish within 60 s (deadlock in the thread pool): ${r.stderr}`);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), 'ok');
});

test.run();
