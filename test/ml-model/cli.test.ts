// `fbw predict` and `fbw doctor` through their Command objects, on real files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { predict } from '../../src/cli/commands/predict.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { loadTask } from '../../src/ml/data/index.js';
import { CLIP_MEAN, CLIP_STD } from '../../src/ml/data/preprocess.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { tempDir, tinyClipDir } from './helpers.js';

function io() {
  const out = new PassThrough(), err = new PassThrough();
  let o = '', e = '';
  out.on('data', (d: Buffer) => { o += d.toString(); });
  err.on('data', (d: Buffer) => { e += d.toString(); });
  return { io: { stdout: out, stderr: err, cwd: process.cwd(), env: process.env }, out: () => o, err: () => e };
}

test('predict prints one JSON line per image, labels sorted by score', async () => {
  await initBackend('cpu');
  const dir = tempDir('fbw-predict-');
  const ds = await loadTask('synth_stripes', 'test', { maxExamples: 4 });
  const files: string[] = [];
  for (let i = 0; i < 2; i++) {
    const b = ds.batch([i], 32);
    const png = new PNG({ width: 32, height: 32 });
    for (let p = 0; p < 32 * 32; p++) {
      for (let c = 0; c < 3; c++) png.data[p * 4 + c] = Math.max(0, Math.min(255, Math.round((b.x[p * 3 + c]! * CLIP_STD[c]! + CLIP_MEAN[c]!) * 255)));
      png.data[p * 4 + 3] = 255;
    }
    files.push(join(dir, `img${i}.png`));
    writeFileSync(files[i]!, PNG.sync.write(png));
  }
  const c = io();
  const code = await predict.run([tinyClipDir(), ...files, '--dataset', 'synth_stripes'], c.io);
  assert.is(code, 0, c.err());
  const lines = c.out().trim().split('\n').map((l) => JSON.parse(l) as { image: string; labels: string[]; scores: number[] });
  assert.is(lines.length, 2);
  for (const l of lines) {
    assert.is(l.labels.length, 4);
    assert.ok(l.scores.every((s, i) => i === 0 || s <= l.scores[i - 1]!), 'sorted by score');
    assert.ok(Math.abs(l.scores.reduce((a, b) => a + b, 0) - 1) < 1e-3, 'softmax scores');
  }
  const bad = io();
  assert.is(await predict.run([tinyClipDir()], bad.io), 2);
  assert.match(bad.err(), /need MODEL and at least one IMAGE/);
});

test('doctor names the backend in use and why others are unavailable', async () => {
  const c = io();
  assert.is(await doctor.run([], c.io), 0);
  assert.match(c.out(), /backend in use: /);
  assert.match(c.out(), /tensorflow .*not installed|tensorflow .*loaded/);
  const j = io();
  await doctor.run(['--json'], j.io);
  const r = JSON.parse(j.out()) as { chosen: { backend: string; probes: { name: string }[] }; cpus: number };
  assert.ok(r.cpus >= 1);
  assert.ok(r.chosen.probes.some((p) => p.name === 'wasm'));
});

test.run();
