// Exact resume: a real training process is killed with SIGKILL after a checkpoint, run again,
// and must end with the same bytes as a run that was never interrupted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRandomClip, root, tempDir } from '../ml-model/helpers.js';

const dir = tempDir('fbw-resume-');
const main = join(root(), 'dist', 'src', 'cli', 'scripts', 'finetune.js');

function argsFor(model: string, method: string, out: string, ckpt: string): string[] {
  return [main, '--model', model, '--task', 'synth_colors', '--method', method, '--out', out, '--ckpt', ckpt,
    '--steps', '14', '--batch', '16', '--save-interval', '3', '--lr', '1e-3', '--max-train', '200', '--wd', '0.01'];
}

async function killAfterCheckpoint(args: string[], ckpt: string): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => {
    const poll = setInterval(() => {
      const done = existsSync(ckpt) && readdirSync(ckpt).some((f) => /^ckpt-0+[3-9]$/.test(f));
      if (done) { clearInterval(poll); child.kill('SIGKILL'); }
    }, 5);
    child.on('exit', (c) => { clearInterval(poll); resolve(c); });
  });
  assert.is(code, null, `child should have been killed, it exited with ${code}: ${out}`);
  const steps = readdirSync(ckpt).filter((f) => f.startsWith('ckpt-')).map((f) => Number(f.slice(5)));
  return Math.max(...steps);
}

for (const method of ['lora', 'full']) {
  test(`${method}: kill -9 after a checkpoint, resume, same final weights bit for bit`, async () => {
    const model = await makeRandomClip(join(dir, `model-${method}`), 11);
    const a = spawnSync(process.execPath, argsFor(model, method, join(dir, `a-${method}`), join(dir, `ck-a-${method}`)), { encoding: 'utf8' });
    assert.is(a.status, 0, a.stderr);
    const ckB = join(dir, `ck-b-${method}`);
    const killedAt = await killAfterCheckpoint(argsFor(model, method, join(dir, `b-${method}`), ckB), ckB);
    assert.ok(killedAt >= 3 && killedAt < 14);
    const b = spawnSync(process.execPath, argsFor(model, method, join(dir, `b-${method}`), ckB), { encoding: 'utf8' });
    assert.is(b.status, 0, b.stderr);
    const done = JSON.parse(b.stdout.trim().split('\n').at(-1)!) as { resumedFrom: number | null; steps: number };
    assert.ok(done.resumedFrom !== null && done.resumedFrom >= 3, `second run resumed (${b.stdout})`);
    assert.is(done.steps, 14);
    const wa = readFileSync(join(dir, `a-${method}`, 'model.safetensors'));
    const wb = readFileSync(join(dir, `b-${method}`, 'model.safetensors'));
    assert.ok(wa.equals(wb), 'final weights are bit-identical');
    const base = readFileSync(join(model, 'model.safetensors'));
    assert.not.ok(wa.equals(base), 'training changed the weights');
    const la = JSON.parse(readFileSync(join(dir, `a-${method}`, 'train_log.json'), 'utf8')) as { loss: number }[];
    const lb = JSON.parse(readFileSync(join(dir, `b-${method}`, 'train_log.json'), 'utf8')) as { loss: number }[];
    assert.equal(lb.map((e) => e.loss), la.map((e) => e.loss), 'same loss curve');
    if (method === 'lora') assert.ok(existsSync(join(dir, `b-${method}`, 'adapter', 'adapter_model.safetensors')));
  });
}

test.run();
