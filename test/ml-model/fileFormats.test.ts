// Third-party files fbw reads (Hugging Face config.json, shard index, preprocessor config, the
// safetensors header, tokenizer vocab, a data set's classnames.json) are checked against a schema of
// the fields fbw uses: an ill-typed one is a named error naming the file, never a TypeError later.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClipConfig, ModelLoadError } from '../../src/ml/models/loadClip.js';
import { readResNetConfig, resnetImageSize, ResNetLoadError } from '../../src/ml/classifier/loadResNet.js';
import { readModelHeader } from '../../src/ml/models/hubCache.js';
import { SafetensorsReader, SafetensorsError } from '../../src/ml/io/safetensors.js';
import { StateDictSource } from '../../src/ml/merge/StateDictSource.js';
import { ClipTokenizer, TokenizerFileError } from '../../src/ml/text/tokenizer.js';
import { sidecarPrompts } from '../../src/ml/data/imageFolder.js';
import { DatasetFormatError } from '../../src/ml/data/errors.js';
import { PersistedFileInvalid } from '../../src/util/jsonFormat.js';

const dir = () => mkdtempSync(join(tmpdir(), 'fbw-fileformats-'));

/** A safetensors file whose header is `header` (data section `data` bytes of zeros). */
function safetensors(path: string, header: unknown, data = 0): void {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(path, Buffer.concat([len, h, Buffer.alloc(data)]));
}

const isErr = (cls: new (...a: never[]) => Error, re: RegExp) => (e: unknown) => e instanceof cls && re.test((e as Error).message);

test('config.json with an ill-typed model_type: ModelLoadError / ResNetLoadError / PersistedFileInvalid naming it', async () => {
  const d = dir();
  writeFileSync(join(d, 'config.json'), JSON.stringify({ model_type: 5 }));
  try { await readClipConfig(join(d, 'config.json')); assert.unreachable(); } catch (e) { assert.ok(isErr(ModelLoadError, /config\.json: cannot read config\.json: \/model_type must be string/)(e), String(e)); }
  try { await readResNetConfig(d); assert.unreachable(); } catch (e) { assert.ok(isErr(ResNetLoadError, /config\.json: cannot parse: \/model_type must be string/)(e), String(e)); }
  safetensors(join(d, 'model.safetensors'), { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
  assert.throws(() => readModelHeader(d), isErr(PersistedFileInvalid, /config\.json: not a valid Hugging Face config\.json/));
});

test('a shard index whose weight_map is not a name -> file map is named by every reader', async () => {
  const d = dir();
  writeFileSync(join(d, 'config.json'), JSON.stringify({ model_type: 'clip' }));
  writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map: ['a.safetensors'] }));
  try { await StateDictSource.open(d); assert.unreachable(); } catch (e) { assert.ok(isErr(SafetensorsError, /index\.json: unreadable shard index: \/weight_map must be object/)(e), String(e)); }
  assert.throws(() => readModelHeader(d), isErr(PersistedFileInvalid, /index\.json: not a valid safetensors shard index/));
});

test('preprocessor_config.json with a non-numeric size is named; a valid one gives the size', async () => {
  const d = dir();
  writeFileSync(join(d, 'preprocessor_config.json'), JSON.stringify({ size: 'big' }));
  try { await resnetImageSize(d); assert.unreachable(); } catch (e) { assert.ok(isErr(PersistedFileInvalid, /preprocessor_config\.json: not a valid/)(e), String(e)); }
  writeFileSync(join(d, 'preprocessor_config.json'), JSON.stringify({ crop_size: { height: 96, width: 96 }, size: { shortest_edge: 112 } }));
  assert.is(await resnetImageSize(d), 96);
});

test('a safetensors header entry with an ill-typed shape is a SafetensorsError naming the file and tensor', async () => {
  const d = dir();
  safetensors(join(d, 'bad.safetensors'), { w: { dtype: 'F32', shape: 'x', data_offsets: [0, 4] } }, 4);
  try { await SafetensorsReader.open(join(d, 'bad.safetensors')); assert.unreachable(); } catch (e) { assert.ok(isErr(SafetensorsError, /bad\.safetensors: malformed header: \/w\/shape must be array/)(e), String(e)); }
  safetensors(join(d, 'meta.safetensors'), { __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
  const r = await SafetensorsReader.open(join(d, 'meta.safetensors'));
  assert.equal(r.metadata, { format: 'pt' });
  assert.equal(r.tensors().map((t) => t.name), ['w']);
  await r.close();
});

test('a tokenizer vocab.json mapping tokens to strings is a TokenizerFileError naming it', async () => {
  const d = dir();
  writeFileSync(join(d, 'vocab.json'), JSON.stringify({ a: 'one' }));
  writeFileSync(join(d, 'merges.txt'), '#version: 0.2\n');
  try { await ClipTokenizer.fromFiles(join(d, 'vocab.json'), join(d, 'merges.txt')); assert.unreachable(); } catch (e) { assert.ok(isErr(TokenizerFileError, /vocab\.json: .*\/a must be integer/)(e), String(e)); }
});

test('classnames.json that is not a list of strings is a DatasetFormatError naming it', () => {
  const d = dir();
  writeFileSync(join(d, 'classnames.json'), JSON.stringify(['cat', 2]));
  assert.throws(() => sidecarPrompts(d), isErr(DatasetFormatError, /classnames\.json: expected a JSON array of strings \(\/1 must be string\)/));
  writeFileSync(join(d, 'classnames.json'), '["cat", ');
  assert.throws(() => sidecarPrompts(d), isErr(DatasetFormatError, /classnames\.json: expected a JSON array of strings \(not JSON/));
});

test.run();
