// `fbw merge` as a user runs it: real files in, a real checkpoint out; parameters checked by the
// same catalogue as the language; output targets, dtypes, YAML configs; every error one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { merge } from '../../src/cli/commands/merge.js';
import { readSafetensors, SafetensorsReader } from '../../src/ml/io/safetensors.js';
import { tempDir, writeModel } from './helpers.js';

function io(cwd: string) {
  let out = '', err = '';
  return {
    io: { stdout: { write: (s: string) => { out += s; return true; } } as unknown as NodeJS.WritableStream, stderr: { write: (s: string) => { err += s; return true; } } as unknown as NodeJS.WritableStream, cwd, env: {} },
    out: () => out, err: () => err,
  };
}

/** run fbw merge in `dir`: exit code, stdout, stderr */
async function fbwMerge(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = io(dir);
  const code = await merge.run(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

const values = async (path: string, name: string): Promise<number[]> => [...(await readSafetensors(path)).get(name)!.data];

test('merges files given on the command line, with method parameters as flags; one summary line on stdout', async () => {
  const t = tempDir();
  try {
    await writeModel(join(t.dir, 'base.safetensors'), { w: [1, 1] });
    await writeModel(join(t.dir, 'a.safetensors'), { w: [2, 1] });
    await writeModel(join(t.dir, 'b.safetensors'), { w: [1, 5] });
    const r = await fbwMerge(t.dir, 'task_arithmetic', '--scaling_factor', '0.5', '--base', 'base.safetensors', '--models', 'a.safetensors', 'b.safetensors', '-o', 'out.safetensors');
    assert.is(r.code, 0, r.err);
    assert.is(r.out.split('\n').filter(Boolean).length, 1);
    assert.match(r.out, /^merged 2 model\(s\) with task_arithmetic: 1 of 1 tensors merged, float32, .* → out\.safetensors\n$/);
    assert.not.match(r.err, /merged/, 'no second summary on stderr');
    assert.equal(await values(join(t.dir, 'out.safetensors'), 'w'), [1.5, 3]);
    const q = await fbwMerge(t.dir, 'average', '--models', 'a.safetensors', 'b.safetensors', '-o', 'q.safetensors', '--quiet');
    assert.is(q.code, 0, q.err);
    assert.is(q.out + q.err, '', '--quiet prints nothing');
    const j = await fbwMerge(t.dir, 'linear', '--weights=0.25,0.75', '--models', 'a.safetensors', 'b.safetensors', '-o', 'w.safetensors', '--json');
    assert.is(j.code, 0, j.err);
    assert.is(JSON.parse(j.out).method, 'weighted_average', "mergekit's linear is weighted_average");
    assert.equal(await values(join(t.dir, 'w.safetensors'), 'w'), [1.25, 4]);
  } finally { t.cleanup(); }
});

test('the catalogue validates: what the language rejects, fbw merge rejects', async () => {
  const t = tempDir();
  try {
    for (const n of ['base', 'a', 'b']) await writeModel(join(t.dir, `${n}.safetensors`), { w: [1, 2] });
    const bad: [string[], RegExp][] = [
      [['ties', '--threshold', '200'], /ties: parameter 'threshold' must be <= 100 \(got 200\)/],
      [['ties', '--k', '20'], /parameter 'k' must be <= 1 .*k=0\.2 is threshold=20/],
      [['ties', '--merge_func', 'summ'], /did you mean 'sum'/],
      [['dare', '--threshold', '20'], /'threshold' applies only with on=ties \(this dare has on=task_arithmetic\)/],
      [['task_arithmetic', '--density', '0.2'], /unknown option '--density' for task_arithmetic — mergekit's density .* --threshold 20/],
      [['ties', '--treshold', '20'], /unknown option '--treshold' for ties — did you mean '--threshold'\?/],
    ];
    for (const [args, why] of bad) {
      const r = await fbwMerge(t.dir, ...args, '--base', 'base.safetensors', '--models', 'a.safetensors', 'b.safetensors', '-o', 'o.safetensors');
      assert.is(r.code, 2, args.join(' '));
      assert.match(r.err, why, args.join(' '));
    }
    const one = await fbwMerge(t.dir, 'ties', '--base', 'base.safetensors', '--models', 'a.safetensors', '-o', 'o.safetensors');
    assert.is(one.code, 2);
    assert.match(one.err, /ties needs at least 2 models, got 1/);
    const three = await fbwMerge(t.dir, 'slerp', '--models', 'a.safetensors', 'b.safetensors', 'base.safetensors', '-o', 'o.safetensors');
    assert.match(three.err, /slerp merges exactly 2 models, got 3/);
    assert.not.ok(existsSync(join(t.dir, 'o.safetensors')));
    // aliases work and say what they mean
    const k = await fbwMerge(t.dir, 'ties', '--density', '0.5', '--base', 'base.safetensors', '--models', 'a.safetensors', 'b.safetensors', '-o', 'k.safetensors', '--json');
    assert.is(k.code, 0, k.err);
    assert.is(JSON.parse(k.out).params.threshold, 50);
    assert.match(k.err, /note: density 0\.5 is threshold 50/);
    const dt = await fbwMerge(t.dir, 'dare_ties', '--k', '0.2', '--base', 'base.safetensors', '--models', 'a.safetensors', 'b.safetensors', '-o', 'd.safetensors', '--json');
    assert.is(dt.code, 0, dt.err);
    assert.equal([JSON.parse(dt.out).params.on, JSON.parse(dt.out).params.threshold], ['ties', 20]);
  } finally { t.cleanup(); }
});

test('-o: .safetensors is a file, a .bin is refused, any other name is a folder; parents are never created; existing outputs need --force', async () => {
  const t = tempDir();
  try {
    await writeModel(join(t.dir, 'a.safetensors'), { w: [2, 1] });
    await writeModel(join(t.dir, 'b.safetensors'), { w: [4, 3] });
    const m = ['average', '--models', 'a.safetensors', 'b.safetensors', '-o'];
    const bin = await fbwMerge(t.dir, ...m, 'x.bin');
    assert.is(bin.code, 2);
    assert.match(bin.err, /writes safetensors, not PyTorch's \.bin pickle format; name the file x\.safetensors/);
    assert.not.ok(existsSync(join(t.dir, 'x.bin')));
    const noParent = await fbwMerge(t.dir, ...m, join(t.dir, 'nosuch', 'x.safetensors'));
    assert.is(noParent.code, 1);
    assert.match(noParent.err, /the folder .*nosuch does not exist; create it first/);
    assert.not.ok(existsSync(join(t.dir, 'nosuch')));
    assert.is((await fbwMerge(t.dir, ...m, 'dir')).code, 0);
    assert.equal(readdirSync(join(t.dir, 'dir')), ['model.safetensors']);
    const again = await fbwMerge(t.dir, ...m, 'dir');
    assert.is(again.code, 1);
    assert.match(again.err, /model\.safetensors already exists; add --force/);
    await writeModel(join(t.dir, 'keep.safetensors'), { w: [9, 9] });
    assert.is((await fbwMerge(t.dir, ...m, 'keep.safetensors')).code, 1);
    assert.equal(await values(join(t.dir, 'keep.safetensors'), 'w'), [9, 9], 'untouched without --force');
    assert.is((await fbwMerge(t.dir, ...m, 'keep.safetensors', '--force')).code, 0);
    assert.equal(await values(join(t.dir, 'keep.safetensors'), 'w'), [3, 2]);
    // a failed merge into a new folder leaves no folder behind
    await writeModel(join(t.dir, 'c.safetensors'), { v: [1, 1] });
    const fail = await fbwMerge(t.dir, 'average', '--models', 'a.safetensors', 'c.safetensors', '-o', 'newdir');
    assert.is(fail.code, 1);
    assert.not.ok(existsSync(join(t.dir, 'newdir')));
  } finally { t.cleanup(); }
});

/** a CLIP-shaped folder: full (vision + text) or vision-only, as FusionBench publishes its fine-tunes */
async function clipFolder(dir: string, name: string, vision: number[], text?: number[]): Promise<string> {
  const d = join(dir, name);
  mkdirSync(d);
  await writeModel(join(d, 'model.safetensors'), { 'vision_model.w': vision, ...(text ? { 'text_model.w': text, logit_scale: [2] } : {}) });
  writeFileSync(join(d, 'config.json'), JSON.stringify(text ? { model_type: 'clip', architectures: ['CLIPModel'] } : { model_type: 'clip_vision_model', architectures: ['CLIPVisionModel'] }));
  return d;
}

test('vision-only fine-tunes with a full CLIP base: --only works (names checked after it), and without it the shared tensors merge and the rest is named', async () => {
  const t = tempDir();
  try {
    await clipFolder(t.dir, 'clip', [0, 0], [7, 7]);
    await clipFolder(t.dir, 'ft1', [2, 4]);
    await clipFolder(t.dir, 'ft2', [4, 0]);
    const only = await fbwMerge(t.dir, 'task_arithmetic', '--scaling_factor', '0.5', '--base', 'clip', '--only', 'vision_model.', '--models', 'ft1', 'ft2', '-o', 'ta');
    assert.is(only.code, 0, only.err);
    const sd = await readSafetensors(join(t.dir, 'ta', 'model.safetensors'));
    assert.equal([...sd.get('vision_model.w')!.data], [3, 2]);
    assert.equal([...sd.get('text_model.w')!.data], [7, 7]);
    assert.is(JSON.parse(readFileSync(join(t.dir, 'ta', 'config.json'), 'utf8')).model_type, 'clip', 'a full CLIP was written: its config is the base\'s');
    const shared = await fbwMerge(t.dir, 'average', '--base', 'clip', '--models', 'ft1', 'ft2', '-o', 'avg');
    assert.is(shared.code, 0, shared.err);
    assert.match(shared.out, /1 of 3 tensors merged, 2 left at the base value/);
    assert.match(shared.err, /2 tensor\(s\) of the base are in none of the models and were left at the base value: text_model\.w, logit_scale/);
    assert.equal(await values(join(t.dir, 'avg', 'model.safetensors'), 'vision_model.w'), [3, 2]);
    assert.equal(await values(join(t.dir, 'avg', 'model.safetensors'), 'text_model.w'), [7, 7]);
    // without a base, the vision-only output keeps the vision-only config
    assert.is((await fbwMerge(t.dir, 'average', '--models', 'ft1', 'ft2', '-o', 'vis')).code, 0);
    assert.is(JSON.parse(readFileSync(join(t.dir, 'vis', 'config.json'), 'utf8')).model_type, 'clip_vision_model');
    // merging a whole CLIP says how a workflow differs
    await clipFolder(t.dir, 'full1', [1, 1], [7, 8]);
    await clipFolder(t.dir, 'full2', [3, 3], [7, 6]);
    const whole = await fbwMerge(t.dir, 'average', '--models', 'full1', 'full2', '-o', 'whole');
    assert.match(whole.err, /a workflow merges a CLIP model's vision tower only .* add --only vision_model\./);
  } finally { t.cleanup(); }
});

test("slerp follows mergekit's definition: stays on the sphere at angle tθ; colinear tensors are lerped", async () => {
  const t = tempDir();
  try {
    const a = [3, 0, 4, 0], b = [0, 5, 0, 0]; // |a| = |b| = 5, orthogonal: θ = π/2
    await writeModel(join(t.dir, 'a.safetensors'), { w: a, c: [1, 2] });
    await writeModel(join(t.dir, 'b.safetensors'), { w: b, c: [2, 4] });
    const r = await fbwMerge(t.dir, 'slerp', '--t', '0.3', '--models', 'a.safetensors', 'b.safetensors', '-o', 's.safetensors');
    assert.is(r.code, 0, r.err);
    const w = await values(join(t.dir, 's.safetensors'), 'w');
    const norm = Math.hypot(...w);
    const angle = Math.acos(w.reduce((s, x, i) => s + x * a[i]!, 0) / (norm * 5));
    assert.ok(Math.abs(norm - 5) < 1e-5, `|out| = ${norm}`);
    assert.ok(Math.abs(angle - 0.3 * Math.PI / 2) < 1e-5, `angle ${angle}`);
    assert.equal(await values(join(t.dir, 's.safetensors'), 'c'), [1.2999999523162842, 2.5999999046325684], 'colinear: lerp (0.7·c0 + 0.3·c1)');
    await fbwMerge(t.dir, 'slerp', '--t', '0', '--models', 'a.safetensors', 'b.safetensors', '-o', 's0.safetensors');
    assert.equal(await values(join(t.dir, 's0.safetensors'), 'w'), a);
  } finally { t.cleanup(); }
});

test('--dtype writes float16 / bfloat16 with round-to-nearest-even; an unknown dtype is a usage error', async () => {
  const t = tempDir();
  try {
    await writeModel(join(t.dir, 'a.safetensors'), { w: [1, 1.0009765625, 65504, 3.140625] });
    await writeModel(join(t.dir, 'b.safetensors'), { w: [1, 1.0009765625, 65504, 3.140625] });
    for (const [d, st] of [['float16', 'F16'], ['bfloat16', 'BF16']] as const) {
      const r = await fbwMerge(t.dir, 'average', '--models', 'a.safetensors', 'b.safetensors', '-o', `${d}.safetensors`, '--dtype', d);
      assert.is(r.code, 0, r.err);
      const rd = await SafetensorsReader.open(join(t.dir, `${d}.safetensors`));
      try { assert.is(rd.info('w').dtype, st); } finally { await rd.close(); }
    }
    assert.equal(await values(join(t.dir, 'float16.safetensors'), 'w'), [1, 1.0009765625, 65504, 3.140625]);
    assert.equal(await values(join(t.dir, 'bfloat16.safetensors'), 'w'), [1, 1, 65536, 3.140625]);
    const bad = await fbwMerge(t.dir, 'average', '--models', 'a.safetensors', 'b.safetensors', '-o', 'x.safetensors', '--dtype', 'int8');
    assert.is(bad.code, 2);
    assert.match(bad.err, /unknown dtype 'int8' \(one of float32, float16, bfloat16\)/);
  } finally { t.cleanup(); }
});

test('a mergekit-shaped YAML config gives the same file as the same merge on the command line', async () => {
  const t = tempDir();
  try {
    await writeModel(join(t.dir, 'base.safetensors'), { w: [0, 0, 0, 0, 0] });
    await writeModel(join(t.dir, 'a.safetensors'), { w: [5, 1, 0.5, -4, 0.1] });
    await writeModel(join(t.dir, 'b.safetensors'), { w: [-2, 3, 0.2, -6, 0.3] });
    writeFileSync(join(t.dir, 'ties.yml'), [
      'merge_method: ties',
      'base_model: base.safetensors',
      'models:',
      '  - model: base.safetensors',
      '  - model: a.safetensors',
      '    parameters: {density: 0.4, weight: 1.0}',
      '  - model: b.safetensors',
      '    parameters: {density: 0.4, weight: 1.0}',
      'parameters:',
      '  scaling_factor: 1.0',
      'dtype: float32',
      '',
    ].join('\n'));
    const y = await fbwMerge(t.dir, 'ties.yml', 'y.safetensors');
    assert.is(y.code, 0, y.err);
    const c = await fbwMerge(t.dir, 'ties', '--threshold', '40', '--scaling_factor', '1', '--base', 'base.safetensors', '--models', 'a.safetensors', 'b.safetensors', '-o', 'c.safetensors');
    assert.is(c.code, 0, c.err);
    assert.equal(readFileSync(join(t.dir, 'y.safetensors')), readFileSync(join(t.dir, 'c.safetensors')));
    assert.equal(await values(join(t.dir, 'y.safetensors'), 'w'), [5, 4, 0, -10, 0]);
    // linear: per-model weights become the weights list
    writeFileSync(join(t.dir, 'lin.yml'), 'merge_method: linear\nmodels:\n  - {model: a.safetensors, parameters: {weight: 3}}\n  - {model: b.safetensors, parameters: {weight: 1}}\n');
    assert.is((await fbwMerge(t.dir, 'lin.yml', 'lin.safetensors')).code, 0);
    const f = Math.fround, la = [5, 1, 0.5, -4, 0.1].map(f), lb = [-2, 3, 0.2, -6, 0.3].map(f);
    assert.equal(await values(join(t.dir, 'lin.safetensors'), 'w'), la.map((x, i) => f(f(x * f(0.75)) + f(lb[i]! * f(0.25)))), 'weights 3:1 normalised, FusionBench order');
    // what fbw cannot do in one value is an error, not a silent choice
    writeFileSync(join(t.dir, 'mixed.yml'), 'merge_method: ties\nbase_model: base.safetensors\nmodels:\n  - {model: a.safetensors, parameters: {density: 0.2}}\n  - {model: b.safetensors, parameters: {density: 0.5}}\n');
    const mixed = await fbwMerge(t.dir, 'mixed.yml', 'm.safetensors');
    assert.is(mixed.code, 2);
    assert.match(mixed.err, /mixed\.yml: models: per-model 'density' differs between models/);
  } finally { t.cleanup(); }
});

test('every error is one line and an exit code, never a stack trace', async () => {
  const t = tempDir();
  try {
    await writeModel(join(t.dir, 'a.safetensors'), { w: [2, 1] });
    await writeModel(join(t.dir, 'b.safetensors'), { v: [2, 1] });
    writeFileSync(join(t.dir, 'junk.safetensors'), 'not a safetensors file at all');
    writeFileSync(join(t.dir, 'bad.yml'), 'merge_method: [unclosed');
    writeFileSync(join(t.dir, 'slices.yml'), 'slices: []\nmerge_method: ties\n');
    const cases: [string[], number, RegExp][] = [
      [[], 2, /missing METHOD/],
      [['avrage', '--models', 'a.safetensors', '-o', 'o.safetensors'], 2, /did you mean 'average'/],
      [['average', '--models', 'a.safetensors', 'b.safetensors', '-o', 'o.safetensors'], 1, /b\.safetensors: tensor 'w' is missing/],
      [['task_arithmetic', '--models', 'a.safetensors', 'a.safetensors', '-o', 'o.safetensors'], 1, /--base/],
      [['regmean', '--models', 'a.safetensors', '-o', 'o.safetensors'], 2, /regmean needs each task's head and data/],
      [['average', '--models', 'a.safetensors', 'a.safetensors'], 2, /-o OUT/],
      [['average', '--models', 'a.safetensors', 'nosuch.safetensors', '-o', 'o.safetensors'], 1, /nosuch\.safetensors: no such file or folder/],
      [['average', '--models', 'a.safetensors', 'junk.safetensors', '-o', 'o.safetensors'], 1, /junk\.safetensors/],
      [['average', '--quiet', 'yes', '--models', 'a.safetensors', 'a.safetensors', '-o', 'o.safetensors'], 2, /--quiet takes no value/],
      [['nosuch.yml', 'o.safetensors'], 1, /nosuch\.yml: no such config file/],
      [['bad.yml', 'o.safetensors'], 1, /bad\.yml: not valid YAML/],
      [['slices.yml', 'o.safetensors'], 2, /slices\.yml: slices: not supported by fbw merge/],
      [['average', 'extra', '--models', 'a.safetensors'], 2, /unexpected argument 'extra'/],
    ];
    for (const [args, code, why] of cases) {
      const r = await fbwMerge(t.dir, ...args);
      assert.is(r.code, code, `${args.join(' ')}: ${r.err}`);
      assert.is(r.err.split('\n').filter(Boolean).length, 1, `${args.join(' ')}: one line, got:\n${r.err}`);
      assert.match(r.err, /^fbw merge: /);
      assert.match(r.err, why, args.join(' '));
      assert.not.match(r.err, /\n\s+at /, 'no stack trace');
      assert.is(r.out, '');
    }
    assert.not.ok(existsSync(join(t.dir, 'o.safetensors')), 'nothing written by a failed merge');
  } finally { t.cleanup(); }
});

test('--help lists every method with its parameters, aliases and defaults, and the workflow-only ones', () => {
  assert.match(merge.help, /ties \| ties_merging\s+\[needs --base\]/);
  assert.match(merge.help, /--threshold NUMBER .*\(default 20\)/);
  assert.match(merge.help, /--scaling_factor NUMBER .*\(default 0\.3\)/);
  assert.match(merge.help, /--k: fraction of each task vector kept: k=0\.2 is threshold=20/);
  assert.match(merge.help, /dare \| dare_task_arithmetic/);
  assert.match(merge.help, /slerp\s+\[two models\]/);
  assert.match(merge.help, /Workflow-only methods .*: scaling_search, fisher, regmean, adamerging, ensemble/);
});

test.run();
