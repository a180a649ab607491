// `devices=2` written in a workflow reaches the scheduler: `fbw run --devices cpu:2` trains the
// stage in two processes (the compiler moves the parameter into stage.devices).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../src/store/journal.js';
import { root, tempDir, tinyClipDir } from '../ml-model/helpers.js';

test('fbw run --devices cpu:2 runs a full(devices=2) fine-tune data-parallel', () => {
  const dir = tempDir('fbw-dp-cli-');
  const wf = join(dir, 'dp.fbw');
  writeFileSync(wf, `model tiny = "${tinyClipDir()}"\nfinetune tiny on [synth_shapes] full(devices=2, num_steps=2, batch_size=8, learning_rate=1e-4)\n`);
  const r = spawnSync(process.execPath, [join(root(), 'bin', 'fbw.js'), 'run', wf, '--devices', 'cpu:2'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stdout + r.stderr);
  const runs = join(dir, '.fbw', 'runs');
  const events = readJournal(join(runs, readdirSync(runs)[0]!, 'journal.jsonl'));
  const started = events.find((e) => e.event === 'started' && e.stage.startsWith('finetune.'));
  assert.ok(started && started.event === 'started');
  if (started?.event !== 'started') return;
  assert.is(started.device, 'cpu,cpu');
  const log = readFileSync(started.log, 'utf8');
  assert.match(log, /data-parallel: rank 1\/2 on cpu pid \d+/);
  assert.match(log, /\[rank 1\] done; [\d.]+ ms computing/);
  assert.match(log, /data-parallel: 2 all-reduces of 2 ranks/);
  assert.ok(events.some((e) => e.event === 'committed' && e.stage === started.stage));
});

test.run();
