// The registries are consistent: defaults validate against their own schemas, pools name known
// data sets, and the FusionBench task sets have their published sizes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import { BUILTIN_POOLS, findBuiltinDataset, METHODS, findMethod } from '../../src/registry/index.js';

test('every method default validates against its schema', () => {
  const ajv = new Ajv({ strict: false });
  for (const m of METHODS) {
    const v = ajv.compile(m.schema);
    const defaults = Object.fromEntries(Object.entries(m.schema.properties).filter(([, s]) => s['default'] !== undefined).map(([k, s]) => [k, s['default']]));
    if (m.role === 'dataset') defaults['path'] = 'x';
    assert.ok(v(defaults), `${m.name}: ${ajv.errorsText(v.errors)}`);
  }
});

test('seed defaults: clip fine-tune and LoRA', () => {
  const p = findMethod('lora')!.schema.properties;
  const d = (k: string) => p[k]!['default'];
  assert.equal([d('learning_rate'), d('weight_decay'), d('num_steps'), d('batch_size'), d('num_workers'), d('save_interval'), d('seed')], [1e-5, 0, 4000, 128, 16, 500, 42]);
  assert.equal([d('r'), d('lora_alpha'), d('target_modules'), d('lora_dropout'), d('bias')], [16, 32, ['q_proj', 'v_proj'], 0.1, 'none']);
  assert.equal(findMethod('ties')!.schema.properties['threshold']!['default'], 20);
  assert.equal(findMethod('task_arithmetic')!.schema.properties['scaling_factor']!['default'], 0.3);
});

test('pools: sizes and members', () => {
  assert.equal([BUILTIN_POOLS['TA8']!.length, BUILTIN_POOLS['TALL14']!.length, BUILTIN_POOLS['TALL20']!.length, BUILTIN_POOLS['LOCAL8']!.length, BUILTIN_POOLS['LOCAL12']!.length], [8, 14, 20, 8, 12]);
  for (const [name, tasks] of Object.entries(BUILTIN_POOLS)) {
    for (const t of tasks) assert.is(findBuiltinDataset(t)?.name, t, `${name}: ${t}`);
    assert.is(new Set(tasks).size, tasks.length);
  }
  assert.is(findBuiltinDataset('cars')!.name, 'stanford_cars');
  assert.is(findBuiltinDataset('cars')!.classes, 196);
});

test('aliases never collide with canonical names of other methods', () => {
  const names = new Set(METHODS.map((m) => m.name));
  for (const m of METHODS) for (const a of m.aliases ?? []) assert.not.ok(names.has(a), `${m.name} alias ${a}`);
});

test('one data set table: no file but src/ml/data/registry.ts states a hub id or a pool', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const src = fileURLToPath(new URL('../../../src', import.meta.url));
  const data = await import('../../src/ml/data/registry.js');
  const facts = [...new Set(data.BUILTIN_TASKS.flatMap((t) => t.hubIds.filter((h) => h.includes('/'))))].map((h) => `'${h}'`);
  facts.push(`'sun397', 'stanford_cars', 'resisc45'`); // the TA8 list, written out
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
  const table = join(src, 'ml', 'data', 'registry.ts');
  for (const f of walk(src)) {
    if (f === table) continue;
    const text = readFileSync(f, 'utf8').replace(/^\s*\/\/.*$/gm, ''); // comments may name them
    for (const fact of facts) assert.not.ok(text.includes(fact), `${f} restates ${fact}; import it from src/ml/data/registry.ts`);
  }
  // the language's view is that table
  for (const t of data.BUILTIN_TASKS) {
    assert.is(findBuiltinDataset(t.name)?.classes, t.classes, t.name);
    for (const a of t.aliases) assert.is(findBuiltinDataset(a)?.name, t.name, `alias ${a}`);
  }
  assert.is(BUILTIN_POOLS, data.TASK_POOLS);
});

test.run();
