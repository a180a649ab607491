// Shared by the ML tests: a small random CLIP in the Hugging Face layout (with a BPE tokenizer
// learned on the local tasks' prompts), and the bundled tiny CLIP's path.
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeClipConfig } from '../../src/ml/models/clipConfig.js';
import { initClip } from '../../src/ml/models/clip.js';
import { saveClip } from '../../src/ml/models/loadClip.js';
import { ClipTokenizer, formatMerges, trainBpe } from '../../src/ml/text/tokenizer.js';
import { taskInfo } from '../../src/ml/data/registry.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';

export function tempDir(prefix = 'fbw-ml-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Project root (works from dist/test/... and test/...). */
export function root(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!d.endsWith('/dist') && d !== '/') d = dirname(d);
  return d === '/' ? process.cwd() : dirname(d);
}

/** models/clip-tiny, the bundled pretrained tiny CLIP. */
export function tinyClipDir(): string {
  return join(root(), 'models', 'clip-tiny');
}

/** Write a random-initialised small CLIP (HF layout, tokenizer included) into `dir`. */
export async function makeRandomClip(dir: string, seed = 7, opts: { layers?: number } = {}): Promise<string> {
  await initBackend('cpu');
  const captions: string[] = [];
  for (const t of ['synth_shapes', 'synth_colors', 'mnist']) {
    const i = taskInfo(t);
    for (const c of i.classnames) for (const tpl of i.templates) captions.push(tpl.split('{}').join(c));
  }
  const bpe = trainBpe(captions, { vocabSize: 600 });
  const tok = ClipTokenizer.fromData(bpe.vocab, bpe.merges);
  const config = makeClipConfig({
    projection_dim: 32,
    vision: { image_size: 32, patch_size: 8, hidden_size: 32, intermediate_size: 64, num_hidden_layers: opts.layers ?? 2, num_attention_heads: 2 },
    text: { vocab_size: tok.vocabSize, max_position_embeddings: 24, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2 },
  });
  const rng = new SeededRng(seed);
  const m = initClip(config, () => rng.next());
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'vocab.json'), JSON.stringify(bpe.vocab));
  await writeFile(join(dir, 'merges.txt'), formatMerges(bpe.merges));
  await saveClip(m, dir);
  m.dispose();
  return dir;
}
