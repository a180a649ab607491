// Exact resume of the classifier fine-tune: a real training process is killed with SIGKILL after a
// checkpoint, run again, and must end with the same model bytes as a run never interrupted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTinyResNet, root, tempDir } from './helpers.js';

const dir = tempDir('fbw-classifier-resume-');
const main = join(root(), 'dist', 'src', 'cli', 'scripts', 'classifier.js');

const argsFor = (model: string, out: string, ckpt: string): string[] => [main, '--model', model, '--task', 'mnist', '--out', out, '--ckpt', ckpt,
  '--max-steps', '12', '--batch', '16', '--save-interval', '3', '--lr', '0.05', '--max-train', '200', '--max-eval', '40', '--label-smoothing', '0.05', '--top-k', '2'];

async function killAfterCheckpoint(args: string[], ckpt: string): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => {
    const poll = setInterval(() => {
      if (existsSync(ckpt) && readdirSync(ckpt).some((f) => /^ckpt-0+[3-9]$/.test(f))) { clearInterval(poll); child.kill('SIGKILL'); }
    }, 5);
    child.on('exit', (c) => { clearInterval(poll); resolve(c); });
  });
  assert.is(code, null, `child should have been killed, it exited with ${code}: ${out}`);
  return Math.max(...readdirSync(ckpt).filter((f) => f.startsWith('ckpt-')).map((f) => Number(f.slice(5))));
}

test('kill -9 after a checkpoint, resume: same final weights, BN statistics, loss curve and top-k', async () => {
  const model = await makeTinyResNet(join(dir, 'model'), 'mnist', 13);
  const a = spawnSync(process.execPath, argsFor(model, join(dir, 'a'), join(dir, 'ck-a')), { encoding: 'utf8' });
  assert.is(a.status, 0, a.stderr);
  const ckB = join(dir, 'ck-b');
  const killedAt = await killAfterCheckpoint(argsFor(model, join(dir, 'b'), ckB), ckB);
  assert.ok(killedAt >= 3 && killedAt < 12);
  const b = spawnSync(process.execPath, argsFor(model, join(dir, 'b'), ckB), { encoding: 'utf8' });
  assert.is(b.status, 0, b.stderr);
  const done = JSON.parse(b.stdout.trim().split('\n').at(-1)!) as { resumedFrom: number | null; steps: number };
  assert.ok(done.resumedFrom !== null && done.resumedFrom >= 3, `second run resumed (${b.stdout})`);
  assert.is(done.steps, 12);
  const wa = readFileSync(join(dir, 'a', 'model.safetensors'));
  assert.ok(wa.equals(readFileSync(join(dir, 'b', 'model.safetensors'))), 'final weights (and running stats, counters) are bit-identical');
  assert.not.ok(wa.equals(readFileSync(join(model, 'model.safetensors'))), 'training changed the weights');
  const ja = JSON.parse(readFileSync(join(dir, 'a', 'classifier.json'), 'utf8')) as { evals: unknown; top_k: { name: string }[] };
  const jb = JSON.parse(readFileSync(join(dir, 'b', 'classifier.json'), 'utf8')) as { evals: unknown; top_k: { name: string }[] };
  assert.equal(jb.evals, ja.evals);
  assert.equal(jb.top_k, ja.top_k);
  for (const e of ja.top_k) assert.ok(readFileSync(join(dir, 'a', 'top_k', e.name, 'model.safetensors')).equals(readFileSync(join(dir, 'b', 'top_k', e.name, 'model.safetensors'))), `top-k model ${e.name}`);
  const la = JSON.parse(readFileSync(join(dir, 'a', 'train_log.json'), 'utf8')) as { loss: number }[];
  const lb = JSON.parse(readFileSync(join(dir, 'b', 'train_log.json'), 'utf8')) as { loss: number }[];
  assert.equal(lb.map((e) => e.loss), la.map((e) => e.loss), 'same loss curve');
});

test.run();
