// fbw's CLIP forward against an independent PyTorch implementation of Hugging Face's CLIPModel
// (test/ml-model/clip_reference.py, Debian python3-torch) on the same safetensors file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { encodeImage, encodeText, patchify } from '../../src/ml/models/clip.js';
import { tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { makeRandomClip, root, tempDir } from './helpers.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test('vision and text features match a PyTorch reference of HF CLIPModel', async () => {
  if (!hasTorch) {
    console.warn('  (skipped: /usr/bin/python3 has no torch — apt-get install python3-torch)');
    return;
  }
  const dir = tempDir('fbw-ref-');
  const modelDir = await makeRandomClip(join(dir, 'model'), 21, { layers: 2 });
  const model = await loadClip(modelDir);
  const n = 3, S = 32;
  const rng = new SeededRng(9);
  const x = Float32Array.from({ length: n * S * S * 3 }, () => rng.normal());
  const texts = ['a photo of a circle.', 'a red shape.', 'a photo of the number: "7".'];
  const tok = await tokenizerFor(modelDir);
  const t = 24;
  const { ids, eot } = tok.encodeBatch(texts, t);
  writeFileSync(join(dir, 'x.f32'), new Uint8Array(x.buffer));
  writeFileSync(join(dir, 'ids.i32'), new Uint8Array(ids.buffer));
  writeFileSync(join(dir, 'eot.i32'), new Uint8Array(eot.buffer));
  const r = spawnSync(PY, [join(root(), 'test', 'ml-model', 'clip_reference.py'), modelDir, join(dir, 'x.f32'), String(n), join(dir, 'ids.i32'), join(dir, 'eot.i32'), String(texts.length), String(t), join(dir, 'out.json')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const ref = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { image: number[]; text: number[] };
  const v = model.config.vision_config;
  const [img, txt] = tf.tidy(() => [
    encodeImage(model.config, model.frozenContext(), tf.tensor2d(patchify(x, n, S, v.patch_size), [n * (S / v.patch_size) ** 2, 3 * v.patch_size ** 2]), n).dataSync(),
    encodeText(model.config, model.frozenContext(), ids, texts.length, t, eot).dataSync(),
  ]);
  const maxDiff = (a: ArrayLike<number>, b: number[]) => { let d = 0; for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!)); return d; };
  assert.is(img!.length, ref.image.length);
  assert.ok(maxDiff(img!, ref.image) < 1e-4, `image features differ by ${maxDiff(img!, ref.image)}`);
  assert.ok(maxDiff(txt!, ref.text) < 1e-4, `text features differ by ${maxDiff(txt!, ref.text)}`);
  model.dispose();
});

test.run();
