// Problems known before running stop the run before any stage starts: check warns about local
// paths that do not exist (relative to the .fbw file), plan exits 1, run refuses with one line per
// problem; --devices asking for a GPU that is not there is refused before launch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { PassThrough } from 'node:stream';
import { fbw, tempDir } from './helpers.js';
import { checkDevices } from '../../src/cli/commands/run.js';
import { writeWorkflow } from '../shared/helpers.js';

const env = { ...process.env, FBW_STATE_DIR: tempDir('fbw-state-') };
const MISSING = 'model other = "nonexistent/folder"\ndataset flowers = imagefolder("no/such/dir")\neval other on [mnist]\neval clip-tiny on [flowers]\n';

/** The workflow in a sub-folder, run from its parent: paths resolve against the file's folder. */
function project(): string {
  const dir = tempDir('fbw-pre-');
  mkdirSync(join(dir, 't'));
  writeFileSync(join(dir, 't', 'miss.fbw'), MISSING);
  return dir;
}

test('check warns, located, about local paths that do not exist, relative to the .fbw file', async () => {
  const dir = project();
  const r = await fbw(['check', 't/miss.fbw'], dir, env);
  assert.is(r.code, 0);
  assert.match(r.out, /t\/miss\.fbw:1:15: warning FBW0129: model 'other': "nonexistent\/folder" does not exist/);
  assert.match(r.out, /t\/miss\.fbw:2:31: warning FBW0129: dataset 'flowers'/);
  assert.ok(r.out.includes(join(dir, 't', 'no', 'such', 'dir')), 'resolved against the file, not the working folder');
  assert.not.match(r.out + r.err, /relative to the current directory/);
  // once the folder exists the warning goes away
  mkdirSync(join(dir, 't', 'nonexistent', 'folder'), { recursive: true });
  assert.not.match((await fbw(['check', 't/miss.fbw'], dir, env)).out, /model 'other'/);
});

test('plan exits 1 when it predicts failures and lists them', async () => {
  const dir = project();
  const r = await fbw(['plan', 't/miss.fbw'], dir, env);
  assert.is(r.code, 1, r.err);
  assert.match(r.err, /2 stages will fail/);
  assert.match(r.err, /model\.other: model .* not found/);
  assert.match(r.err, /head\.clip-tiny\.flowers: dataset 'flowers'/);
});

test('run refuses up front, one line per problem, and starts no stage', async () => {
  const dir = project();
  const r = await fbw(['run', 't/miss.fbw', '--json'], dir, env);
  assert.is(r.code, 1);
  assert.is(r.out, '', 'no event: nothing started');
  const lines = r.err.trim().split('\n');
  assert.is(lines.length, 3, r.err);
  assert.match(lines[0]!, /^fbw run: model\.other: /);
  assert.match(lines[1]!, /^fbw run: head\.clip-tiny\.flowers: /);
  assert.match(lines[2]!, /nothing started/);
  const runs = join(dir, 't', '.fbw', 'runs');
  assert.ok(!existsSync(runs) || readdirSync(runs).length === 0, 'no run recorded');
});

test('--devices gpu:0 without a GPU backend is refused before launch, naming the real flag and fbw doctor', async () => {
  const dir = tempDir('fbw-pre-');
  writeWorkflow(dir, 'eval clip-tiny on [synth_shapes]\n', 'ok.fbw');
  const r = await fbw(['run', 'ok.fbw', '--devices', 'gpu:0'], dir, env);
  let hasGpuBackend = true;
  try { (await import('node:module')).createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu'); } catch { hasGpuBackend = false; }
  if (hasGpuBackend) return; // a machine with the GPU backend installed runs it
  assert.is(r.code, 2);
  assert.match(r.err, /--devices cpu:\d/);
  assert.match(r.err, /fbw doctor/);
  assert.not.match(r.err, /--device cpu/);
  assert.not.ok(existsSync(join(dir, '.fbw')), 'nothing launched');
});

test('--devices with more CPU workers than cores warns', () => {
  const err = new PassThrough();
  let text = '';
  err.on('data', (d: Buffer) => { text += d.toString(); });
  const io = { stdout: new PassThrough(), stderr: err, cwd: process.cwd(), env };
  const many = availableParallelism() * 4;
  assert.is(checkDevices(`cpu:${many}`, true, io), undefined);
  assert.match(text, new RegExp(`starts ${many} CPU workers on ${availableParallelism()} core`));
  text = '';
  assert.is(checkDevices(`cpu:${availableParallelism()}`, true, io), undefined);
  assert.is(text, '');
  assert.match(checkDevices('banana', true, io)!, /not cpu:N or gpu:K/);
});

test.run();
