// The merge engine on real files: errors that name the tensor, folders, shards, non-float
// tensors, the CLIP vision-only scope; and the safetensors reader/writer it streams through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, readFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeModel, merged } from './helpers.js';
import { mergeCheckpoints } from '../../src/registry/index.js';
import { SafetensorsReader, SafetensorsWriter, SafetensorsError, readSafetensors, writeSafetensors } from '../../src/ml/io/safetensors.js';

async function rejects(p: Promise<unknown>, re: RegExp, name?: string): Promise<void> {
  try { await p; } catch (e) {
    assert.match((e as Error).message, re);
    if (name) assert.is((e as Error).name, name);
    return;
  }
  assert.unreachable(`expected an error matching ${re}`);
}

test('a shape mismatch names the tensor and both files', async () => {
  const t = tempDir();
  try {
    const a = await writeModel(join(t.dir, 'a.safetensors'), { 'enc.w': { shape: [2, 2], data: [1, 2, 3, 4] } });
    const b = await writeModel(join(t.dir, 'b.safetensors'), { 'enc.w': { shape: [4, 1], data: [1, 2, 3, 4] } });
    await rejects(mergeCheckpoints('average', {}, { models: [a, b], out: join(t.dir, 'o.safetensors') }), /b\.safetensors: tensor 'enc\.w' has shape \[4, 1\] but .*a\.safetensors has \[2, 2\]/, 'MergeInputMismatch');
    assert.not.ok(existsSync(join(t.dir, 'o.safetensors')), 'no output on failure');
  } finally { t.cleanup(); }
});

test('a missing or extra tensor is named', async () => {
  const t = tempDir();
  try {
    const a = await writeModel(join(t.dir, 'a.safetensors'), { x: [1], y: [2] });
    const b = await writeModel(join(t.dir, 'b.safetensors'), { x: [1] });
    const c = await writeModel(join(t.dir, 'c.safetensors'), { x: [1], y: [2], z: [3] });
    await rejects(mergeCheckpoints('average', {}, { models: [a, b], out: join(t.dir, 'o.safetensors') }), /tensor 'y' is missing/);
    await rejects(mergeCheckpoints('average', {}, { models: [a, c], out: join(t.dir, 'o.safetensors') }), /tensor 'z' is not in/);
  } finally { t.cleanup(); }
});

test('parameter and method errors say how to fix them', async () => {
  const t = tempDir();
  try {
    const a = await writeModel(join(t.dir, 'a.safetensors'), { x: [1] });
    const o = join(t.dir, 'o.safetensors');
    await rejects(mergeCheckpoints('task_arithmetic', { scaling_facter: 0.3 }, { base: a, models: [a], out: o }), /'scaling_facter' is unknown — did you mean 'scaling_factor'/, 'MethodParamError');
    await rejects(mergeCheckpoints('task_arithmetic', {}, { models: [a], out: o }), /--base/, 'MergeInputError');
    await rejects(mergeCheckpoints('ties_mergin', {}, { models: [a], out: o }), /did you mean 'ties_merging'/, 'UnknownMergeMethod');
    await rejects(mergeCheckpoints('weighted_average', { weights: [1, 2] }, { models: [a], out: o }), /2 weights for 1 models/);
    await rejects(mergeCheckpoints('ties', { merge_func: 'summ' }, { base: a, models: [a], out: o }), /did you mean 'sum'/);
    await rejects(mergeCheckpoints('weighted_average', { weights: 'x' }, { models: [a], out: o }), /'weights' must be array or null/);
  } finally { t.cleanup(); }
});

test('model folders in, model folder out: config and tokenizer files come from the base', async () => {
  const t = tempDir();
  try {
    for (const n of ['base', 'm1', 'm2']) {
      mkdirSync(join(t.dir, n));
      writeFileSync(join(t.dir, n, 'config.json'), JSON.stringify({ from: n }));
      writeFileSync(join(t.dir, n, 'vocab.json'), '{}');
      writeFileSync(join(t.dir, n, 'notes.txt'), 'not copied');
    }
    await writeModel(join(t.dir, 'base', 'model.safetensors'), { w: [0, 0] });
    await writeModel(join(t.dir, 'm1', 'model.safetensors'), { w: [1, 2] });
    await writeModel(join(t.dir, 'm2', 'model.safetensors'), { w: [3, 4] });
    const out = join(t.dir, 'out');
    const r = await mergeCheckpoints('task_arithmetic', { scaling_factor: 1 }, { base: join(t.dir, 'base'), models: [join(t.dir, 'm1'), join(t.dir, 'm2')], out });
    assert.is(r.tensors, 1);
    assert.is(r.bytesRead, 3 * 2 * 4);
    assert.equal(readdirSync(out).sort(), ['config.json', 'model.safetensors', 'vocab.json']);
    assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')), { from: 'base' });
    assert.equal([...(await readSafetensors(join(out, 'model.safetensors'))).get('w')!.data], [4, 6]);
  } finally { t.cleanup(); }
});

test('sharded checkpoints (model.safetensors.index.json) are read as one state dict', async () => {
  const t = tempDir();
  try {
    const mk = async (n: string, x: number[], y: number[]) => {
      mkdirSync(join(t.dir, n));
      await writeModel(join(t.dir, n, 'model-00001-of-00002.safetensors'), { x });
      await writeModel(join(t.dir, n, 'model-00002-of-00002.safetensors'), { y });
      writeFileSync(join(t.dir, n, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' } }));
      return join(t.dir, n);
    };
    const out = join(t.dir, 'o.safetensors');
    await mergeCheckpoints('average', {}, { models: [await mk('a', [1], [2]), await mk('b', [3], [6])], out });
    const r = await readSafetensors(out);
    assert.equal([...r.get('x')!.data], [2]);
    assert.equal([...r.get('y')!.data], [4]);
  } finally { t.cleanup(); }
});

test('integer tensors (position ids) are copied verbatim, in their dtype', async () => {
  const t = tempDir();
  try {
    const ids = { shape: [1, 4], data: [0, 1, 2, 3], dtype: 'I64' as const };
    const r = await merged(t.dir, 'task_arithmetic', { scaling_factor: 1 }, { pos: ids, w: [1] }, [{ pos: ids, w: [2] }, { pos: ids, w: [3] }]);
    assert.equal(r.pos, [0, 1, 2, 3]);
    assert.equal(r.w, [4]);
    const rd = await SafetensorsReader.open(join(t.dir, 'out-task_arithmetic.safetensors'));
    assert.is(rd.info('pos').dtype, 'I64');
    await rd.close();
  } finally { t.cleanup(); }
});

test('only: merges the vision tower, copies the rest from the base and warns if it was changed', async () => {
  const t = tempDir();
  const lines: string[] = [];
  try {
    const b = { 'vision_model.w': [0, 0], 'text_model.w': [5, 5] };
    const r = await merged(t.dir, 'task_arithmetic', { scaling_factor: 1 }, b, [{ 'vision_model.w': [1, 2], 'text_model.w': [5, 5] }, { 'vision_model.w': [1, 1], 'text_model.w': [9, 5] }], { only: ['vision_model.'], log: (l) => lines.push(l) });
    assert.equal(r['vision_model.w'], [2, 3]);
    assert.equal(r['text_model.w'], [5, 5]);
    assert.ok(lines.some((l) => /warning: 1 tensor\(s\) outside vision_model\. differ .*text_model\.w/.test(l)), lines.join('\n'));
  } finally { t.cleanup(); }
});

test('averaging with a base given does not read the base for the tensors it merges', async () => {
  const t = tempDir();
  try {
    const b = await writeModel(join(t.dir, 'b.safetensors'), { w: [9, 9] });
    const m1 = await writeModel(join(t.dir, 'm1.safetensors'), { w: [1, 2] });
    const m2 = await writeModel(join(t.dir, 'm2.safetensors'), { w: [3, 4] });
    const r = await mergeCheckpoints('average', {}, { base: b, models: [m1, m2], out: join(t.dir, 'o.safetensors') });
    assert.is(r.bytesRead, 2 * 2 * 4);
    assert.equal([...(await readSafetensors(join(t.dir, 'o.safetensors'))).get('w')!.data], [2, 3]);
  } finally { t.cleanup(); }
});

test('safetensors: write then read round-trips values, shapes, order and metadata', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'r.safetensors');
    const m = new Map([['b', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) }], ['a', { shape: [1], data: Float32Array.from([42]) }]]);
    await writeSafetensors(p, m, { format: 'pt' });
    const r = await SafetensorsReader.open(p);
    assert.equal(r.tensors().map((x) => x.name), ['b', 'a']);
    assert.equal(r.metadata, { format: 'pt' });
    const back = await r.readAll();
    assert.equal(back.get('b')!.shape, [2, 3]);
    assert.equal([...back.get('b')!.data], [...m.get('b')!.data]);
    const part = new Float32Array(2);
    await r.readInto('b', part, 2, 2);
    assert.equal([...part], [3.5, Math.fround(1e-30)]);
    await r.close();
    // header is 8-byte aligned so F32 data can be viewed in place
    const buf = readFileSync(p);
    assert.is((8 + Number(buf.readBigUInt64LE(0))) % 8, 0);
  } finally { t.cleanup(); }
});

test('safetensors: F16 and BF16 tensors decode to float32', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'h.safetensors');
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] } });
    const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(header.length));
    const data = Buffer.alloc(10);
    data.writeUInt16LE(0x3c00, 0); data.writeUInt16LE(0xc000, 2); data.writeUInt16LE(0x3555, 4); // 1, -2, ~0.3333
    data.writeUInt16LE(0x3f80, 6); data.writeUInt16LE(0xc040, 8); // 1, -3
    writeFileSync(p, Buffer.concat([len, Buffer.from(header), data]));
    const r = await readSafetensors(p);
    assert.equal([...r.get('h')!.data].slice(0, 2), [1, -2]);
    assert.ok(Math.abs(r.get('h')!.data[2]! - 1 / 3) < 1e-3);
    assert.equal([...r.get('b')!.data], [1, -3]);
  } finally { t.cleanup(); }
});

test('safetensors: truncated, garbage and pickle files are clear errors naming the file', async () => {
  const t = tempDir();
  try {
    const good = join(t.dir, 'g.safetensors');
    await writeSafetensors(good, new Map([['w', { shape: [64], data: new Float32Array(64) }]]));
    const full = readFileSync(good);
    const trunc = join(t.dir, 'trunc.safetensors');
    writeFileSync(trunc, full.subarray(0, full.length - 10));
    await rejects(SafetensorsReader.open(trunc), /trunc\.safetensors: tensor 'w': data offsets .* \(file truncated\?\)/, 'SafetensorsError');
    const cut = join(t.dir, 'cut.safetensors');
    writeFileSync(cut, full.subarray(0, 20));
    await rejects(SafetensorsReader.open(cut), /cut\.safetensors: invalid header length/);
    const garbage = join(t.dir, 'garbage.safetensors');
    const hl = Buffer.alloc(8); hl.writeBigUInt64LE(5n);
    writeFileSync(garbage, Buffer.concat([hl, Buffer.from('{nope')]));
    await rejects(SafetensorsReader.open(garbage), /header is not valid JSON/);
    const pickle = join(t.dir, 'pytorch_model.bin');
    writeFileSync(pickle, Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]));
    await rejects(SafetensorsReader.open(pickle), /PyTorch pickle\/zip/);
    await rejects(SafetensorsReader.open(join(t.dir, 'nope.safetensors')), /cannot open/);
    const r = await SafetensorsReader.open(good);
    try { await rejects(r.read('v'), /no tensor named 'v'/); } finally { await r.close(); }
    // and a merge over a corrupt input fails with that error, leaving no output
    await rejects(mergeCheckpoints('average', {}, { models: [good, trunc], out: join(t.dir, 'o.safetensors') }), /file truncated/, 'SafetensorsError');
  } finally { t.cleanup(); }
});

test('safetensors: an aborted writer leaves no file; an incomplete one refuses to close', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'w.safetensors');
    const w = await SafetensorsWriter.create(p, [{ name: 'a', shape: [2] }, { name: 'b', shape: [1] }]);
    await w.write('a', Float32Array.from([1, 2]));
    await rejects(w.close(), /1 declared tensors were not written/);
    await w.abort();
    assert.equal(readdirSync(t.dir), []);
    const w2 = await SafetensorsWriter.create(p, [{ name: 'a', shape: [4] }]);
    await w2.writePart('a', Float32Array.from([1, 2]));
    await w2.writePart('a', Float32Array.from([3, 4]));
    await w2.patch('a', 1, 9);
    await w2.close();
    assert.equal([...(await readSafetensors(p)).get('a')!.data], [1, 9, 3, 4]);
  } finally { t.cleanup(); }
});

test.run();
