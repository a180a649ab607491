// How the bundled tiny CLIP (models/clip-tiny) is made, end to end and deterministically: a BPE
// tokenizer learned on the captions (templates × class names of the pretraining tasks), a
// random-initialised CLIP of the tiny architecture (vision 32px/patch 4/4 heads, text 2 layers/32
// positions; width — 64 for clip-tiny, also the projection — and vision depth — 4 — are the
// contrastive method's parameters), contrastive pretraining on
// the tasks' train splits, saved in the Hugging Face layout.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClipTokenizer, formatMerges, trainBpe } from '../text/tokenizer.js';
import { loadTask, taskInfo, type DataRef } from '../data/index.js';
import { SeededRng } from '../data/SeededRng.js';
import { makeClipConfig } from '../models/clipConfig.js';
import { ClipModel, initClip } from '../models/clip.js';
import { loadClip, saveClip } from '../models/loadClip.js';
import { pretrainClip, type PretrainArgs } from './pretrainClip.js';
import type { TrainLogEntry } from '../finetune/checkpoint.js';
import { CLIP_MEAN, CLIP_STD } from '../data/preprocess.js';

/** The eight local tasks the bundled clip-tiny was pretrained on (the first LOCAL8, before the distinct-domain tasks): the direct script's default. */
export const CLIP_TINY_TASKS = ['mnist', 'fashion_mnist', 'synth_shapes', 'synth_colors', 'synth_stripes', 'synth_counting', 'synth_position', 'synth_textures'] as const;

/**
 * The resolved arguments (names, defaults and ranges: the catalogue's `contrastive` method,
 * src/registry/methods/contrastive.ts), plus where to write and what to train on.
 */
export interface TinyClipArgs extends Omit<PretrainArgs, 'weight_decay'> {
  readonly out: string;
  readonly tasks: readonly DataRef[];
  readonly weight_decay: number;
  /** hidden size of both towers and the projection, for a random init (4 heads, MLP 4 × width) */
  readonly width: number;
  /** vision transformer layers, for a random init */
  readonly vision_layers: number;
  /** BPE vocabulary size (fewer tokens if the captions run out of pairs) */
  readonly vocab_size: number;
  /** use only the first N training images of each task (limits what pretraining sees); null = all */
  readonly max_train: number | null;
  /** continue from this model folder (its weights and tokenizer) instead of random init: a second phase */
  readonly init_from?: string;
}

/** Pretrain a tiny CLIP from scratch and save it to `out` (config, weights, tokenizer, train_log). */
export async function pretrainTinyClip(a: TinyClipArgs): Promise<TrainLogEntry[]> {
  const tasks = a.tasks;
  const seed = a.seed;
  const captions: string[] = [];
  for (const t of tasks) {
    const info = taskInfo(t);
    for (const c of info.classnames) for (const tpl of info.templates) captions.push(tpl.split('{}').join(c));
  }
  await mkdir(a.out, { recursive: true });
  let tok: ClipTokenizer;
  if (a.init_from) {
    tok = await ClipTokenizer.fromFiles(join(a.init_from, 'vocab.json'), join(a.init_from, 'merges.txt'));
    for (const f of ['vocab.json', 'merges.txt']) await copyFile(join(a.init_from, f), join(a.out, f));
  } else {
    const bpe = trainBpe(captions, { vocabSize: a.vocab_size });
    await writeFile(join(a.out, 'vocab.json'), JSON.stringify(bpe.vocab));
    await writeFile(join(a.out, 'merges.txt'), formatMerges(bpe.merges));
    tok = ClipTokenizer.fromData(bpe.vocab, bpe.merges);
  }
  await writeFile(join(a.out, 'preprocessor_config.json'), JSON.stringify({
    crop_size: { height: 32, width: 32 }, do_center_crop: true, do_normalize: true, do_resize: true, do_rescale: true, rescale_factor: 1 / 255,
    image_mean: CLIP_MEAN, image_std: CLIP_STD, image_processor_type: 'CLIPImageProcessor', resample: 3, size: { shortest_edge: 32 },
  }, null, 2) + '\n');
  const vocabSize = tok.vocabSize;
  if (tok.eot !== vocabSize - 1) throw new Error(`tokenizer puts <|endoftext|> at ${tok.eot}, expected the last id ${vocabSize - 1}`);
  const w = a.width;
  const config = makeClipConfig({
    projection_dim: w,
    vision: { image_size: 32, patch_size: 4, hidden_size: w, intermediate_size: 4 * w, num_hidden_layers: a.vision_layers, num_attention_heads: 4 },
    text: { vocab_size: vocabSize, max_position_embeddings: 32, hidden_size: w, intermediate_size: 4 * w, num_hidden_layers: 2, num_attention_heads: 4 },
  });
  const rng = new SeededRng(seed);
  const model = a.init_from ? await loadClip(a.init_from) : initClip(config, () => rng.next());
  const data = await Promise.all(tasks.map((t) => loadTask(t, 'train', a.max_train !== null ? { maxExamples: a.max_train } : {})));
  try {
    const log = await pretrainClip(model, tok, data, {
      ...a,
      seed,
    });
    // the tokenizer files are already in `out`
    await saveClip(new ClipModel(model.config, model.params), a.out);
    await writeFile(join(a.out, a.init_from ? 'train_log.phase2.json' : 'train_log.json'), JSON.stringify(log) + '\n');
    return log;
  } finally {
    model.dispose();
  }
}
