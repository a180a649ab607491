// `fbw merge` as a user runs it: real files in, a real checkpoint out, usage errors with hints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { merge } from '../../src/cli/commands/merge.js';
import { readSafetensors } from '../../src/ml/io/safetensors.js';
import { tempDir, writeModel } from './helpers.js';

function io(cwd: string) {
  let out = '', err = '';
  return {
    io: { stdout: { write: (s: string) => { out += s; return true; } } as unknown as NodeJS.WritableStream, stderr: { write: (s: string) => { err += s; return true; } } as unknown as NodeJS.WritableStream, cwd, env: {} },
    out: () => out, err: () => err,
  };
}

test('merges files given on the command line, with method parameters as flags', async () => {
  const t = tempDir();
  try {
    await writeModel(join(t.dir, 'base.safetensors'), { w: [1, 1] });
    await writeModel(join(t.dir, 'a.safetensors'), { w: [2, 1] });
    await writeModel(join(t.dir, 'b.safetensors'), { w: [1, 5] });
    const c = io(t.dir);
    const code = await merge.run(['task_arithmetic', '--scaling_factor', '0.5', '--base', 'base.safetensors', '--models', 'a.safetensors', 'b.safetensors', '-o', 'out.safetensors'], c.io);
    assert.is(code, 0, c.err());
    assert.match(c.out(), /merged 2 model\(s\) with task_arithmetic: 1 tensors/);
    assert.equal([...(await readSafetensors(join(t.dir, 'out.safetensors'))).get('w')!.data], [1.5, 3]);
    const c2 = io(t.dir);
    assert.is(await merge.run(['weighted_average', '--weights=0.25,0.75', '--models', 'a.safetensors', 'b.safetensors', '-o', 'w.safetensors', '--json'], c2.io), 0, c2.err());
    assert.is(JSON.parse(c2.out()).method, 'weighted_average');
    assert.equal([...(await readSafetensors(join(t.dir, 'w.safetensors'))).get('w')!.data], [1.25, 4]);
  } finally { t.cleanup(); }
});

test('usage errors exit 2 with a hint; unmergeable inputs exit 1 naming the tensor', async () => {
  const t = tempDir();
  try {
    await writeModel(join(t.dir, 'a.safetensors'), { w: [2, 1] });
    await writeModel(join(t.dir, 'b.safetensors'), { v: [2, 1] });
    let c = io(t.dir);
    assert.is(await merge.run(['ties', '--treshold', '20', '--base', 'a.safetensors', '--models', 'a.safetensors', '-o', 'o.safetensors'], c.io), 2);
    assert.match(c.err(), /unknown option '--treshold' for ties — did you mean '--threshold'\?/);
    c = io(t.dir);
    assert.is(await merge.run(['avrage', '--models', 'a.safetensors', '-o', 'o.safetensors'], c.io), 2);
    assert.match(c.err(), /did you mean 'average'/);
    c = io(t.dir);
    assert.is(await merge.run(['average', '--models', 'a.safetensors', 'b.safetensors', '-o', 'o.safetensors'], c.io), 1);
    assert.match(c.err(), /b\.safetensors: tensor 'w' is missing/);
    c = io(t.dir);
    assert.is(await merge.run(['task_arithmetic', '--models', 'a.safetensors', '-o', 'o.safetensors'], c.io), 1);
    assert.match(c.err(), /--base/);
    c = io(t.dir);
    assert.is(await merge.run(['regmean', '--models', 'a.safetensors', '-o', 'o.safetensors'], c.io), 2);
    assert.match(c.err(), /regmean needs each task's head and data/);
    c = io(t.dir);
    assert.is(await merge.run(['average', '--models', 'a.safetensors'], c.io), 2);
    assert.match(c.err(), /-o OUT/);
  } finally { t.cleanup(); }
});

test('--help lists every method with its parameters and defaults', () => {
  assert.match(merge.help, /ties \| ties_merging\s+\[needs --base\]/);
  assert.match(merge.help, /--threshold NUMBER .*\(default 20\)/);
  assert.match(merge.help, /--scaling_factor NUMBER .*\(default 0\.3\)/);
  assert.match(merge.help, /dare_task_arithmetic/);
});

test.run();
