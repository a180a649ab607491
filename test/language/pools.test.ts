// Model pools (`models ft from base = {task: "org/repo", ...}`, built-in FusionBench pools,
// `model a = "..." from base`): check against a real hub-cache layout written here from the bundled
// tiny CLIP (vision-only members, as FusionBench publishes them), and what the pipeline compiles to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileWorkflow } from '../../src/compile/compileWorkflow.js';
import { SafetensorsReader, writeSafetensors, type NamedTensor } from '../../src/ml/io/safetensors.js';
import { BUILTIN_MODEL_POOLS, BUILTIN_POOLS, findBuiltinModelPool } from '../../src/registry/index.js';
import { resolveHubSnapshot } from '../../src/ml/models/hubCache.js';
import { root } from './harness.js';

const hub = mkdtempSync(join(tmpdir(), 'fbw-pools-hub-'));
const work = mkdtempSync(join(tmpdir(), 'fbw-pools-wf-'));
const tiny = join(root, 'models', 'clip-tiny');

/** models--org--name/{refs/main, snapshots/<hash>/} with a CLIPVisionModel config and `tensors`. */
async function writeRepo(repo: string, tensors: Map<string, NamedTensor>): Promise<void> {
  const dir = join(hub, `models--${repo.replace('/', '--')}`);
  const snap = join(dir, 'snapshots', 'abc123');
  mkdirSync(snap, { recursive: true });
  mkdirSync(join(dir, 'refs'), { recursive: true });
  writeFileSync(join(dir, 'refs', 'main'), 'abc123');
  const cfg = JSON.parse(readFileSync(join(tiny, 'config.json'), 'utf8')) as { vision_config: object };
  writeFileSync(join(snap, 'config.json'), JSON.stringify({ ...cfg.vision_config, architectures: ['CLIPVisionModel'], model_type: 'clip_vision_model' }));
  await writeSafetensors(join(snap, 'model.safetensors'), tensors);
}

const TASKS = ['mnist', 'synth_shapes', 'synth_colors'];
let vision: Map<string, NamedTensor>;

test.before(async () => {
  const r = await SafetensorsReader.open(join(tiny, 'model.safetensors'));
  vision = new Map();
  for (const t of r.tensors()) if (t.name.startsWith('vision_model.')) vision.set(t.name, await r.read(t.name));
  await r.close();
  for (const t of TASKS) await writeRepo(`fbw-test/tiny_${t}`, vision);
  // one member of another width: its fc1 weight has one row too many
  const wrong = new Map(vision);
  const fc1 = 'vision_model.encoder.layers.1.mlp.fc1.weight';
  const w = vision.get(fc1)!;
  wrong.set(fc1, { shape: [w.shape[0]! + 1, w.shape[1]!], data: new Float32Array((w.shape[0]! + 1) * w.shape[1]!) });
  await writeRepo('fbw-test/tiny_wrong', wrong);
  process.env['HF_HUB_CACHE'] = hub;
});

test.after(() => {
  delete process.env['HF_HUB_CACHE'];
  rmSync(hub, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const compile = (text: string) => compileWorkflow(text, join(work, 't.fbw'));
const codes = (text: string) => compile(text).diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`);
const BASE = `model base = "${tiny}"\n`;
const POOL = `models ft from base = {\n${TASKS.map((t) => `  ${t}: "fbw-test/tiny_${t}",`).join('\n')}\n}\n`;

test('hub repo ids resolve through refs/main in HF_HUB_CACHE', () => {
  const r = resolveHubSnapshot('fbw-test/tiny_mnist');
  assert.is(r.dir, join(hub, 'models--fbw-test--tiny_mnist', 'snapshots', 'abc123'));
  assert.is(resolveHubSnapshot('fbw-test/absent').dir, undefined);
});

test('a pool merges and evaluates like the fine-tunes of `finetune base on TASKS`', () => {
  const r = compile(`${BASE}${POOL}ft then [average, task_arithmetic(scaling_factor=0.3), ties(scaling_factor=0.3, threshold=20), fisher, regmean, adamerging, ensemble] -> eval [${TASKS.join(', ')}]\n`);
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const g = r.graph!;
  const by = new Map(g.stages.map((s) => [s.id, s]));
  for (const t of TASKS) {
    const m = by.get(`model.ft.${t}`)!;
    assert.is(m.kind, 'pretrained');
    assert.is(m.method, 'hub');
    assert.equal(m.params, { name: `ft.${t}`, repo: `fbw-test/tiny_${t}` });
    assert.equal(m.inputs, [{ stage: 'model.base', role: 'base' }]);
    // the individual row: each member on its own task only
    const ev = g.stages.filter((s) => s.kind === 'eval' && s.inputs.some((i) => i.stage === m.id));
    assert.equal(ev.map((s) => [s.task, s.params['row']]), [[t, 'fine-tuned (individual)']]);
  }
  for (const id of ['merge.average', 'merge.task_arithmetic', 'merge.ties', 'merge.fisher', 'merge.regmean', 'merge.adamerging', 'ensemble.ensemble']) {
    const s = by.get(id)!;
    assert.equal(s.inputs.filter((i) => i.role === 'model').map((i) => [i.stage, i.task]), TASKS.map((t) => [`model.ft.${t}`, t]), id);
    assert.ok(s.inputs.some((i) => i.role === 'base' && i.stage === 'model.base'));
    for (const t of TASKS) assert.ok(by.has(`eval.${id.replace(/^(merge|ensemble)\./, '')}.${t}`), `${id} on ${t}`);
  }
  assert.ok(by.get('merge.fisher')!.inputs.some((i) => i.role === 'head' && i.stage === 'head.base.mnist'));
});

test('a member of another shape is a located FBW0131 naming the tensor; a missing repo is FBW0130 with the download line', () => {
  const text = `${BASE}models ft from base = {\n  mnist: "fbw-test/tiny_wrong",\n  svhn: "fbw-test/not_downloaded",\n}\n`;
  const ds = compile(text).diagnostics;
  assert.equal(ds.map((d) => `${d.code} ${d.span.line}:${d.span.column}`), ['FBW0131 3:10', 'FBW0130 4:9']);
  assert.match(ds[0]!.message, "tensor 'vision_model.encoder.layers.1.mlp.fc1.weight' has shape [257, 64], the base's has [256, 64]");
  assert.match(ds[1]!.message, join(hub, 'models--fbw-test--not_downloaded'));
  assert.match(ds[1]!.hint!, 'huggingface-cli download fbw-test/not_downloaded');
});

test('checkpoints declared `from base` merge with each other (no FBW0114)', () => {
  assert.equal(codes(`${BASE}model a = "fbw-test/tiny_mnist" from base\nmodel b = "fbw-test/tiny_synth_shapes" from base\n[a, b] then average -> eval [mnist]\n`), []);
  assert.equal(codes(`${BASE}${POOL}model c = "fbw-test/tiny_mnist" from base\n[ft, c] then task_arithmetic\n`), []);
  // without `from`, two checkpoints are two different pretrained models
  assert.equal(codes(`model a = "${tiny}"\nmodel b = "${tiny}"\n[a, b] then average\n`), ['FBW0114 3:8']);
});

test('two declared models evaluated on the same tasks are two report rows', () => {
  const g = compile(`model a = "${tiny}"\nmodel b = "${join(root, 'test', 'fixtures', 'models', 'resnet-config')}"\neval a on [mnist]\neval clip-tiny on [mnist]\n`).graph!;
  const rows = g.stages.filter((s) => s.kind === 'eval').map((s) => s.params['row']);
  assert.equal(rows, ['pretrained (zero-shot) a', 'pretrained (zero-shot) clip-tiny']);
});

test('pool errors: no base (FBW0132), unknown built-in pool (FBW0101), a task twice (FBW0111), a base of another architecture (FBW0114), finetune of a pool (FBW0116)', () => {
  assert.equal(codes('models ft = { mnist: "fbw-test/tiny_mnist" }\n'), ['FBW0132 1:8']);
  assert.equal(codes('models ft = clip-vit-base-patch32_TA9\n'), ['FBW0101 1:13']);
  assert.equal(codes(`${BASE}models ft from base = { mnist: "fbw-test/tiny_mnist", mnist: "fbw-test/tiny_mnist" }\n`), ['FBW0111 2:55']);
  assert.equal(codes('models ft from clip-l14 = clip-vit-base-patch32_TA8\n').slice(0, 1), ['FBW0114 1:16']);
  assert.equal(codes(`${BASE}${POOL}finetune ft on [mnist] lora\n`), ['FBW0116 7:10']);
});

test('built-in pools are FusionBench\'s: TA8 / TALL14 / TALL20 for B/32, B/16 and L/14, repo ids as in its configs', () => {
  const p = findBuiltinModelPool('clip-vit-base-patch32_TA8')!;
  assert.is(p.base, 'clip');
  assert.equal(Object.keys(p.members), [...BUILTIN_POOLS['TA8']!]);
  assert.is(p.members['stanford_cars'], 'tanganke/clip-vit-base-patch32_stanford-cars');
  assert.is(p.members['sun397'], 'tanganke/clip-vit-base-patch32_sun397');
  assert.is(findBuiltinModelPool('clip-vit-large-patch14_TALL20')!.members['rendered_sst2'], 'tanganke/clip-vit-large-patch14_rendered-sst2');
  assert.is(findBuiltinModelPool('clip-vit-base-patch16_TALL14')!.members['oxford-iiit-pet'], 'tanganke/clip-vit-base-patch16_oxford-iiit-pet');
  assert.is(findBuiltinModelPool('clip-vit-base-patch16_TALL14')!.base, 'clip-b16');
  assert.is(BUILTIN_MODEL_POOLS.length, 9);
});

test.run();
