// A small random-initialised CLIP in the Hugging Face layout for scheduler tests that run real
// training stages: config + safetensors from the engine's own init and save, and a BPE tokenizer
// trained on the local tasks' prompts (vocab.json + merges.txt).
import { mkdirSync, writeFileSync, existsSync, renameSync, readdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClipConfig } from '../../src/ml/models/clipConfig.js';
import { initClip } from '../../src/ml/models/clip.js';
import { saveClip } from '../../src/ml/models/loadClip.js';
import { trainBpe, formatMerges } from '../../src/ml/text/tokenizer.js';
import { taskInfo } from '../../src/ml/data/index.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';

/** Write a tiny CLIP (vision 32px, patch 8, width 32, 1 layer) into `dir`; deterministic for `seed`. */
export async function makeTinyClip(dir: string, seed = 7): Promise<string> {
  if (existsSync(join(dir, 'model.safetensors'))) return dir;
  // built once per seed per machine, then copied (the weights are a pure function of the seed)
  const shared = join(tmpdir(), `fbw-test-tinyclip-v1-${seed}`);
  if (!existsSync(join(shared, 'config.json'))) await writeTinyClip(`${shared}.tmp-${process.pid}`, seed).then((d) => { try { renameSync(d, shared); } catch { /* another process won */ } });
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(shared)) copyFileSync(join(shared, f), join(dir, f));
  return dir;
}

async function writeTinyClip(dir: string, seed: number): Promise<string> {
  await initBackend('cpu');
  mkdirSync(dir, { recursive: true });
  const corpus: string[] = [];
  for (const t of ['mnist', 'synth_colors', 'synth_shapes']) {
    const info = taskInfo(t);
    for (const c of info.classnames) for (const tpl of info.templates.slice(0, 2)) corpus.push(tpl.replace('{}', c));
  }
  const { vocab, merges } = trainBpe(corpus, { vocabSize: 600 });
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(join(dir, 'merges.txt'), formatMerges(merges));
  const vocabSize = Object.keys(vocab).length;
  const config = makeClipConfig({
    projection_dim: 16,
    vision: { image_size: 32, patch_size: 8, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2 },
    text: { vocab_size: vocabSize, max_position_embeddings: 32, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2 },
  });
  let s = seed >>> 0 || 1;
  const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const model = initClip(config, rand);
  await saveClip(model, dir);
  model.dispose();
  return dir;
}
