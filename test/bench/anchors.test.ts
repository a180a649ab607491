// A benchmark whose anchor is not installed names the Debian package and exits non-zero, instead
// of crashing with a stack trace (`npm run bench -- scheduler` without snakemake used to die with
// "TypeError: Cannot read properties of null").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');

test('bench scheduler without snakemake on PATH: one line naming the Debian package, exit 3', () => {
  const r = spawnSync(process.execPath, [join(benchDir, 'scheduler.js')], { env: { ...process.env, PATH: '/nonexistent' }, encoding: 'utf8' });
  assert.is(r.status, 3);
  assert.match(r.stderr, /bench scheduler: its anchor `snakemake` is not installed; install it with `sudo apt-get install snakemake`/);
  assert.not.match(r.stderr, /TypeError|at .*\.js:\d+/);
});

test('bench merge and train_throughput without torch: name python3-torch, exit 3', () => {
  const r = spawnSync(process.execPath, [join(benchDir, 'train_throughput.js'), '--python', '/nonexistent/python3'], { encoding: 'utf8' });
  assert.is(r.status, 3);
  assert.match(r.stderr, /install it with `sudo apt-get install python3-torch`/);
});

test('bench decode without PIL: names python3-pil, exit 3', () => {
  const r = spawnSync(process.execPath, [join(benchDir, 'decode.js'), '--python', '/nonexistent/python3'], { encoding: 'utf8' });
  assert.is(r.status, 3);
  assert.match(r.stderr, /bench decode: its anchor .* is not installed; install it with `sudo apt-get install python3-pil`/);
  assert.not.match(r.stderr, /TypeError|at .*\.js:\d+/);
});

test.run();
