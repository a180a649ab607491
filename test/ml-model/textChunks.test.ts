// Zero-shot heads encode prompts in bounded chunks padded to each chunk's longest prompt; the
// embeddings must equal those of CLIP's full 77-token (here: max_position_embeddings) padding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { encodeText } from '../../src/ml/models/clip.js';
import { l2Normalize } from '../../src/ml/models/ops.js';
import { contextLength, embedTexts, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { tinyClipDir } from './helpers.js';

test('chunked, longest-padded text embeddings equal full-context ones to 1e-6', async () => {
  await initBackend('cpu');
  const model = await loadClip(tinyClipDir());
  const tok = await tokenizerFor(model);
  const names = ['zero', 'one', 'a red circle', 'seven', 'the number nine', 'two'];
  const texts = names.flatMap((n) => [`a photo of a ${n}.`, `${n}`, `a blurry photo of the ${n}.`]);
  const t = contextLength(model);
  const { eot } = tok.encodeBatch(texts, t);
  assert.ok(Math.max(...eot) + 1 < t, 'prompts are shorter than the context, so padding is really cut');
  const chunked = embedTexts(model, tok, texts, 4);
  const p = model.config.projection_dim;
  let worst = 0;
  texts.forEach((text, i) => {
    const one = tok.encodeBatch([text], t);
    const full = tf.tidy(() => l2Normalize(encodeText(model.config, model.frozenContext(), one.ids, 1, t, one.eot)).dataSync() as Float32Array);
    for (let j = 0; j < p; j++) worst = Math.max(worst, Math.abs(full[j]! - chunked[i * p + j]!));
  });
  assert.ok(worst < 1e-6, `max difference ${worst}`);
  model.dispose();
});

test.run();
