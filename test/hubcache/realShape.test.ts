// FusionBench's first program at the real shape, through the real CLI, checked image by image
// against PyTorch:
//   model base = clip
//   models ft from base = { sun397: "tanganke/clip-vit-base-patch32_sun397", ... the eight TA8 ids }
//   ft then [average, task_arithmetic(scaling_factor=0.3), ties(scaling_factor=0.3, threshold=20)] -> eval TA8
// (the shipped workflows/fusionbench-ta8.fbw) runs as `node bin/fbw.js run` with HF_HUB_CACHE
// pointing at a hub cache made here (test/hubcache/README.md):
//   - openai/clip-vit-base-patch32: a CLIP of ViT-B/32's shape (12 + 12 layers, widths 768 / 512,
//     224 px / patch 32, projection 512; 2 layers deep in CI, LAYERS below) with seeded weights and a 49,408-token tokenizer in CLIP's
//     file format (make_hub_cache.py);
//   - the eight tanganke/clip-vit-base-patch32_<task> repos: vision-only CLIPVisionModels, seeded
//     perturbations of the base's vision tower, large enough that merges predict differently;
//   - the eight TA8 test sets under the hub ids fbw's data table uses (tanganke/*, ufldl-stanford/svhn
//     cropped_digits/, ylecun/mnist mnist/), parquet files as the hub stores them (image struct
//     {bytes, path}, label, the split in the file name, SUN397 and RESISC45 sharded, blobs/ +
//     snapshot symlinks, dataset cards), N mixed-size JPEG/PNG images each (make_test_images.py).
// reference.py computes every row of the report in PyTorch from FusionBench's semantics; every
// prediction must be the reference's except near-ties (top-2 logit gap < NEAR_TIE), and the
// report's accuracies must be the reference's. Labels are chosen from the reference's predictions
// (image i gets the class that row i mod 5 predicts), so that accuracies are neither all 0 nor all
// equal and a wrong prediction changes them.
// Bad input stays clean through `fbw check` and `fbw run`: a pool member of another architecture,
// a repo missing from the cache, a corrupt image inside a parquet file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBuiltinModelPool } from '../../src/registry/index.js';
import { findBuiltinTask, TASK_POOLS } from '../../src/ml/data/registry.js';
import { writeImageParquet } from '../ml-data/parquetWriter.js';
import { PRECISION } from '../../src/report/rounding.js';

const HERE = fileURLToPath(new URL('../../../test/hubcache/', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/fbw.js', import.meta.url));
const PYTHON = '/usr/bin/python3';
/** test images per TA8 set (FBW_REALSHAPE_IMAGES to change) */
const N = Number(process.env['FBW_REALSHAPE_IMAGES'] ?? 5);
/**
 * Encoder layers of both towers. Every tensor has ViT-B/32's width; CI runs 2 layers deep (about
 * 5 min on 2 cores: 3,727 prompts through the text tower and 40 evaluations), and
 * FBW_REALSHAPE_LAYERS=12 runs the whole depth (passes; 7 min 25 s on a quiet 2-core machine).
 */
const LAYERS = process.env['FBW_REALSHAPE_LAYERS'] ?? '2';
/** fine-tune perturbation, relative to each tensor's spread: large enough that merges change predictions */
const NOISE = 1.0;
/** a prediction may differ from the reference's where its top two logits (logit_scale × cosine) are closer than this */
const NEAR_TIE = 2e-4;
/** the hub's layout of each TA8 set: the folder of its parquet files inside the snapshot, and how many test shards */
const LAYOUT: { readonly [task: string]: { readonly folder: string; readonly shards: number } } = {
  sun397: { folder: 'data', shards: 2 }, stanford_cars: { folder: 'data', shards: 1 }, resisc45: { folder: 'data', shards: 3 },
  eurosat: { folder: 'data', shards: 1 }, svhn: { folder: 'cropped_digits', shards: 1 }, gtsrb: { folder: 'data', shards: 1 },
  mnist: { folder: 'mnist', shards: 1 }, dtd: { folder: 'data', shards: 1 },
};

const tmp = mkdtempSync(join(tmpdir(), 'fbw-realshape-'));
const hub = join(tmp, 'hub');
const POOL = findBuiltinModelPool('clip-vit-base-patch32_TA8')!;
const TA8 = TASK_POOLS['TA8']!;
const WORKFLOW = readFileSync(fileURLToPath(new URL('../../../workflows/fusionbench-ta8.fbw', import.meta.url)), 'utf8');
/** the environment every fbw process runs in: the fixture's hub cache, no other data or models */
const ENV: NodeJS.ProcessEnv = { ...process.env, HF_HUB_CACHE: hub, HF_HOME: join(tmp, 'hf_home'), FBW_DATA: join(tmp, 'fbw_data'), NO_COLOR: '1' };

interface RefRow { readonly row: string; readonly model: string; readonly task: string; readonly logits: number[][] }
let ref: RefRow[] = [];
const labels: { [task: string]: number[] } = {};

function py(args: string[]): void {
  // passive OpenMP threads: PyTorch's workers sleep instead of spinning when the cores are shared
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  assert.is(r.status, 0, `${basename(args[0]!)} failed:\n${r.stderr}`);
}

function fbw(args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env, maxBuffer: 1 << 26 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A hub repo: blobs/<sha256> files, snapshots/<hash>/<path> symlinks to them, refs/main naming the hash. */
function writeHubRepo(cache: string, kind: 'datasets' | 'models', repo: string, files: { readonly [path: string]: Buffer | string }): string {
  const folder = join(cache, `${kind}--${repo.replace('/', '--')}`);
  const hash = createHash('sha1').update(repo + JSON.stringify(Object.keys(files))).digest('hex');
  const snap = join(folder, 'snapshots', hash);
  for (const [path, data] of Object.entries(files)) {
    const sha = createHash('sha256').update(data).digest('hex');
    mkdirSync(join(folder, 'blobs'), { recursive: true });
    writeFileSync(join(folder, 'blobs', sha), data);
    mkdirSync(dirname(join(snap, path)), { recursive: true });
    symlinkSync(relative(dirname(join(snap, path)), join(folder, 'blobs', sha)), join(snap, path));
  }
  mkdirSync(join(folder, 'refs'), { recursive: true });
  writeFileSync(join(folder, 'refs', 'main'), hash);
  return snap;
}

/** The dataset card the hub keeps beside the files: class names as a class_label feature. */
function datasetCard(classnames: readonly string[]): string {
  const names = classnames.map((c, i) => `          '${i}': ${JSON.stringify(c)}`).join('\n');
  return `---\ndataset_info:\n  features:\n  - name: image\n    dtype: image\n  - name: label\n    dtype:\n      class_label:\n        names:\n${names}\n---\n`;
}

/** The test split of one set as parquet shards, `<folder>/test-0000k-of-0000n.parquet`, and a train split. */
function parquetShards(task: string, files: readonly string[], lbl: readonly number[], corruptRow?: number): { [path: string]: Buffer } {
  const { folder, shards } = LAYOUT[task]!;
  const rows = files.map((f, i) => ({ bytes: readFileSync(f), path: basename(f), label: lbl[i]! }));
  // a small train split beside the test split, as every TA8 repo has one (fbw fingerprints both)
  const train = { [`${folder}/train-00000-of-00001.parquet`]: writeImageParquet(rows.slice(0, 4)) };
  if (corruptRow !== undefined) rows[corruptRow] = { ...rows[corruptRow]!, bytes: Buffer.concat([rows[corruptRow]!.bytes.subarray(0, 60), Buffer.alloc(40, 7)]) };
  const out: { [path: string]: Buffer } = { ...train };
  const per = Math.ceil(rows.length / shards);
  const pad = (k: number) => String(k).padStart(5, '0');
  for (let k = 0; k < shards; k++) out[`${folder}/test-${pad(k)}-of-${pad(shards)}.parquet`] = writeImageParquet(rows.slice(k * per, (k + 1) * per));
  return out;
}

const argmax = (v: readonly number[]): number => v.reduce((b, x, i) => (x > v[b]! ? i : b), 0);
const gap = (v: readonly number[]): number => { const s = [...v].sort((a, b) => b - a); return s[0]! - s[1]!; };

test.before(() => {
  const t0 = Date.now();
  // the tokenizer's merges cover the words of the prompts it will encode (as CLIP's learned ones do)
  const prompts = TA8.flatMap((t) => { const b = findBuiltinTask(t)!; return b.classnames.flatMap((c) => b.templates.map((tpl) => tpl.split('{}').join(c))); });
  writeFileSync(join(tmp, 'prompts.txt'), prompts.join('\n') + '\n');
  py([join(HERE, 'make_hub_cache.py'), hub, '--layers', LAYERS, '--noise', String(NOISE), '--corpus', join(tmp, 'prompts.txt'),
    '--finetune', ...TA8.map((t) => POOL.members[t]!), '--b16', 'tanganke/clip-vit-base-patch16_svhn']);
  py([join(HERE, 'make_test_images.py'), join(tmp, 'images'), String(N)]);
  const images = JSON.parse(readFileSync(join(tmp, 'images', 'manifest.json'), 'utf8')) as { [task: string]: string[] };
  const t1 = Date.now();
  const spec = {
    hub, base: 'openai/clip-vit-base-patch32',
    members: Object.fromEntries(TA8.map((t) => [t, POOL.members[t]!])),
    // row names as the report writes them
    merges: [{ name: 'average', method: 'average' }, { name: 'task_arithmetic(scaling_factor=0.3)', method: 'task_arithmetic', scaling_factor: 0.3 }, { name: 'ties(scaling_factor=0.3, threshold=20)', method: 'ties', scaling_factor: 0.3, threshold: 20 }],
    tasks: Object.fromEntries(TA8.map((t) => { const b = findBuiltinTask(t)!; return [t, { classnames: b.classnames, templates: b.templates, images: images[t] }]; })),
  };
  writeFileSync(join(tmp, 'spec.json'), JSON.stringify(spec));
  py([join(HERE, 'reference.py'), join(tmp, 'spec.json'), join(tmp, 'ref.json')]);
  ref = (JSON.parse(readFileSync(join(tmp, 'ref.json'), 'utf8')) as { rows: RefRow[] }).rows;
  // labels: image i is labelled with what the i mod 5-th row (zero-shot, individual, three merges) predicts
  for (const t of TA8) {
    const rows = ref.filter((r) => r.task === t);
    assert.is(rows.length, 5);
    labels[t] = images[t]!.map((_, i) => argmax(rows[i % 5]!.logits[i]!));
    writeHubRepo(hub, 'datasets', findBuiltinTask(t)!.hubIds[0]!, { 'README.md': datasetCard(findBuiltinTask(t)!.classnames), ...parquetShards(t, images[t]!, labels[t]!) });
  }
  console.log(`realShape fixture: ${((t1 - t0) / 1000).toFixed(1)} s, reference ${((Date.now() - t1) / 1000).toFixed(1)} s`);
});

test.after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('fbw check: the eight vision-only fine-tunes fit the base (headers only), by repo ids and by the built-in pool name', () => {
  const dir = join(tmp, 'check');
  mkdirSync(dir);
  writeFileSync(join(dir, 'ta8.fbw'), WORKFLOW);
  const ok = fbw(['check', 'ta8.fbw'], dir);
  assert.is(ok.code, 0, ok.out + ok.err);
  writeFileSync(join(dir, 'builtin.fbw'), 'models ft = clip-vit-base-patch32_TA8\nft then average -> eval TA8\n');
  const b = fbw(['check', 'builtin.fbw'], dir);
  assert.is(b.code, 0, b.out + b.err);
});

test('fbw run: the workflow\'s report and every prediction equal the PyTorch reference\'s (zero-shot, individual, three merges × TA8)', () => {
  const dir = join(tmp, 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'ta8.fbw'), WORKFLOW);
  const t0 = Date.now();
  const r = fbw(['run', 'ta8.fbw'], dir);
  console.log(`realShape fbw run: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.is(r.code, 0, r.out + r.err);
  // every eval stage's per-image predictions, by (row, task)
  const objects = join(dir, '.fbw', 'objects');
  const fbwPred = new Map<string, { labels: number[]; predictions: number[] }>();
  for (const key of readdirSync(objects)) {
    const p = join(objects, key, 'predictions.json');
    if (!existsSync(p)) continue;
    const v = JSON.parse(readFileSync(p, 'utf8')) as { task: string; row: string; labels: number[]; predictions: number[] };
    fbwPred.set(`${v.row}|${v.task}`, v);
  }
  const report = JSON.parse(readFileSync(join(dir, 'results', 'fusionbench-ta8', 'report.json'), 'utf8')) as unknown;
  const nearTies: string[] = [];
  const distinct = new Set<string>();
  for (const row of ref) {
    const got = fbwPred.get(`${row.row}|${row.task}`);
    assert.ok(got, `no eval of row '${row.row}' on ${row.task}; fbw has ${[...fbwPred.keys()].join(', ')}`);
    assert.equal(got.labels, labels[row.task], `${row.row} on ${row.task}: the labels fbw read from the parquet files`);
    const want = row.logits.map(argmax);
    const unexplained: string[] = [];
    let allowed = 0;
    want.forEach((w, i) => {
      if (got.predictions[i] === w) return;
      const g = gap(row.logits[i]!);
      if (g < NEAR_TIE) { nearTies.push(`${row.row} on ${row.task} image ${i} (gap ${g.toExponential(2)})`); allowed++; } else unexplained.push(`image ${i}: fbw ${got.predictions[i]}, PyTorch ${w} (gap ${g.toFixed(5)})`);
    });
    assert.equal(unexplained, [], `${row.row} on ${row.task}`);
    const refAcc = want.filter((w, i) => w === labels[row.task]![i]).length / N;
    const acc = accuracyIn(report, row.row, row.task);
    assert.ok(Math.abs(acc - refAcc) <= allowed / N + 10 ** -(PRECISION.accuracy + 2) / 2 + 1e-12, `${row.row} on ${row.task}: report ${acc}, reference ${refAcc}`);
    if (row.model !== 'base' && want.some((w, i) => w !== argmax(ref.find((b) => b.model === 'base' && b.task === row.task)!.logits[i]!))) distinct.add(row.model);
  }
  console.log(`realShape: ${ref.length} evaluations of ${N} images each, ${nearTies.length} near-ties${nearTies.length ? `: ${nearTies.join('; ')}` : ''}`);
  // the test can fail: the fine-tunes and every merge predict differently from the base
  assert.ok(['average', 'task_arithmetic(scaling_factor=0.3)', 'ties(scaling_factor=0.3, threshold=20)'].every((m) => distinct.has(m)) && distinct.size >= 6, `only ${[...distinct].join(', ')} predict differently from the base`);
});

/** A user error: the exit code, one line naming what is wrong (check prints diagnostics on stdout, run on stderr), no stack frame. */
function oneClearLine(r: { code: number; out: string; err: string }, code: number, says: RegExp, what: string): void {
  const all = r.out + r.err;
  assert.is(r.code, code, `${what}: exit code; stdout ${r.out} stderr ${r.err}`);
  assert.not.match(all, /^\s*(\|\s*)?at .+[(:]\d+|internal error/m, `${what}: a stack frame or internal error:\n${all}`);
  const lines = all.split('\n').filter((l) => says.test(l));
  assert.is(lines.length, 1, `${what}: one line matching ${says}; got:\n${all}`);
}

/** Nothing a run would leave: no committed stage, no report. */
function nothingWritten(dir: string, what: string): void {
  const objects = join(dir, '.fbw', 'objects');
  assert.equal(existsSync(objects) ? readdirSync(objects) : [], [], `${what}: committed stages in the store`);
  assert.not.ok(existsSync(join(dir, 'results')), `${what}: a report was written`);
}

test('bad input: a pool member of another architecture (a ViT-B/16 fine-tune) is one located error naming the tensor, from check and from run', () => {
  const dir = join(tmp, 'b16');
  mkdirSync(dir);
  writeFileSync(join(dir, 'mixed.fbw'), [
    'model base = clip',
    'models ft from base = {',
    `  mnist: "${POOL.members['mnist']}",`,
    '  svhn: "tanganke/clip-vit-base-patch16_svhn",',
    '}',
    'ft then average -> eval [mnist, svhn]',
    'report "results/mixed"',
    '',
  ].join('\n'));
  const says = /mixed\.fbw:4:\d+.*vision_model\.embeddings\.(patch|position)_embedding\.weight/;
  oneClearLine(fbw(['check', 'mixed.fbw'], dir), 1, says, 'check');
  oneClearLine(fbw(['run', 'mixed.fbw'], dir), 1, says, 'run');
  nothingWritten(dir, 'run');
});

test('bad input: a repo missing from the hub cache says where fbw looked and the huggingface-cli download line, from check and from run', () => {
  const dir = join(tmp, 'missing');
  mkdirSync(dir);
  writeFileSync(join(dir, 'missing.fbw'), [
    'model base = clip',
    'models ft from base = {',
    `  mnist: "${POOL.members['mnist']}",`,
    '  kmnist: "tanganke/clip-vit-base-patch32_kmnist",',
    '}',
    'ft then average -> eval [mnist]',
    'report "results/missing"',
    '',
  ].join('\n'));
  for (const cmd of ['check', 'run']) {
    const r = fbw([cmd, 'missing.fbw'], dir);
    oneClearLine(r, 1, /missing\.fbw:4:\d+.*tanganke\/clip-vit-base-patch32_kmnist/, cmd);
    assert.ok((r.out + r.err).includes(join(hub, 'models--tanganke--clip-vit-base-patch32_kmnist')), `${cmd}: says where it looked:\n${r.out}${r.err}`);
    assert.ok((r.out + r.err).includes('huggingface-cli download tanganke/clip-vit-base-patch32_kmnist'), `${cmd}: gives the download command:\n${r.out}${r.err}`);
  }
  nothingWritten(dir, 'run');
});

test('bad input: a corrupt image inside a parquet file fails the run with one line naming the file and the row; no result is written', () => {
  // a cache with the same models and an MNIST whose test row 3 is a cut PNG
  const cache = join(tmp, 'hub-corrupt');
  mkdirSync(cache);
  for (const e of readdirSync(hub)) if (e.startsWith('models--')) symlinkSync(join(hub, e), join(cache, e));
  const images = JSON.parse(readFileSync(join(tmp, 'images', 'manifest.json'), 'utf8')) as { [task: string]: string[] };
  const snap = writeHubRepo(cache, 'datasets', 'ylecun/mnist', { 'README.md': datasetCard(findBuiltinTask('mnist')!.classnames), ...parquetShards('mnist', images['mnist']!, labels['mnist']!, 3) });
  const dir = join(tmp, 'corrupt');
  mkdirSync(dir);
  writeFileSync(join(dir, 'corrupt.fbw'), 'model base = clip\neval base on [mnist]\nreport "results/corrupt"\n');
  const env = { ...ENV, HF_HUB_CACHE: cache };
  assert.is(fbw(['check', 'corrupt.fbw'], dir, env).code, 0, 'check reads no image');
  const r = fbw(['run', 'corrupt.fbw'], dir, env);
  const file = join(snap, 'mnist', 'test-00000-of-00001.parquet').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  oneClearLine(r, 1, new RegExp(`failed .*${file} row 3: `), 'run');
  assert.not.ok(existsSync(join(dir, 'results')), 'a report was written');
  const objects = join(dir, '.fbw', 'objects');
  assert.not.ok(readdirSync(objects).some((k) => existsSync(join(objects, k, 'metrics.json'))), 'an evaluation was committed');
});

/** The accuracy (a fraction) the report gives a row on a task; report.json holds percent at PRECISION.accuracy decimals. */
function accuracyIn(report: unknown, row: string, task: string): number {
  const rows = (report as { rows: { label: string; accuracy: { [task: string]: number | null } }[] }).rows;
  const r = rows.find((x) => x.label === row);
  assert.ok(r, `report.json has no row '${row}' (rows: ${rows.map((x) => x.label).join(', ')})`);
  const a = r.accuracy[task];
  assert.ok(typeof a === 'number', `report.json has no accuracy for '${row}' on ${task}`);
  return a / 100;
}

test.run();
