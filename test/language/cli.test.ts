// `fbw check` and `fbw graph` through the real CLI entry, with in-memory streams.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fbw } from '../shared/helpers.js';
import { root } from './harness.js';

const run = (...argv: string[]) => fbw(argv, root, {});

test('check: 0 when clean, 1 with diagnostics, 2 on usage errors', async () => {
  assert.is((await run('check', 'workflows/example.fbw')).code, 0);
  const bad = await run('check', 'test/fixtures/invalid/FBW0102-unknown-dataset.fbw');
  assert.is(bad.code, 1);
  assert.match(bad.out, "test/fixtures/invalid/FBW0102-unknown-dataset.fbw:6:27: error FBW0102: unknown dataset 'car'");
  assert.match(bad.out, '3 errors');
  assert.is((await run('check')).code, 2);
  assert.is((await run('check', 'no/such/file.fbw')).code, 2);
  assert.is((await run('check', '--jsn', 'workflows/example.fbw')).code, 2);
});

test('check --json prints the diagnostics as data', async () => {
  const r = await run('check', '--json', 'test/fixtures/invalid/FBW0104-unknown-method.fbw');
  const ds = JSON.parse(r.out) as { code: string; hint?: string }[];
  assert.equal(ds.map((d) => d.code), ['FBW0104', 'FBW0104', 'FBW0104']);
  assert.is(ds[0]!.hint, "did you mean 'lora'?");
});

test('graph: json, text, mermaid and dot', async () => {
  const j = await run('graph', 'workflows/example.fbw', '--format', 'json');
  assert.is(j.code, 0);
  const g = JSON.parse(j.out) as { version: number; stages: { id: string }[] };
  assert.is(g.version, 1);
  assert.ok(g.stages.some((s) => s.id === 'merge.average'));
  assert.match((await run('graph', 'workflows/example.fbw')).out, /merge\.average\s+merge\s+average\s+<- model\.clip, finetune\.lora\.sun397, finetune\.lora\.stanford_cars/);
  assert.match((await run('graph', 'workflows/example.fbw', '--format=mermaid')).out, /^flowchart LR\n/);
  assert.match((await run('graph', 'workflows/example.fbw', '--format', 'dot')).out, /"finetune\.lora\.sun397" -> "merge\.average" \[label="model"\];/);
  const bad = await run('graph', 'workflows/example.fbw', '--format', 'mermaidd');
  assert.is(bad.code, 2);
  assert.match(bad.err, "did you mean 'mermaid'?");
  assert.is((await run('graph', 'test/fixtures/invalid/FBW0101-unknown-model.fbw')).code, 1);
});

test('every workflow in workflows/ checks clean', async () => {
  const r = await run('check', 'workflows/example.fbw', 'workflows/quickstart.fbw', 'workflows/pretrain-tiny-clip.fbw', 'workflows/merge-table.fbw', 'workflows/finetune-methods.fbw');
  assert.is(r.code, 0, r.out);
});

test.run();
