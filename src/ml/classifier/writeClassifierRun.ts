// The output folder of a classifier fine-tune, shared by the stage and the command-line entry:
// the final model in HF layout (a CLIP model with its trained head in head/), train_log.json, classifier.json (summary: evaluations, top-k,
// trainable parameters) and top_k/<name>/ model folders for the best save_top_k save points.
import { existsSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../finetune/checkpoint.js';
import type { ClassifierNet } from './ClassifierNet.js';
import type { ClassifierResult } from './finetuneClassifier.js';

/** Write `out` from a finished run; `extra` goes into classifier.json (task, backend, ...). */
export async function writeClassifierRun(out: string, net: ClassifierNet, r: ClassifierResult, extra: { readonly [k: string]: unknown } = {}): Promise<void> {
  await mkdir(out, { recursive: true });
  await net.save(out);
  await writeJsonAtomic(join(out, 'train_log.json'), r.log);
  if (r.topKDir && r.topK.length) {
    for (const e of r.topK) {
      const src = join(r.topKDir, e.name);
      if (existsSync(src)) await cp(src, join(out, 'top_k', e.name), { recursive: true });
    }
  }
  await writeJsonAtomic(join(out, 'classifier.json'), {
    ...extra,
    steps: r.steps, epochs: r.epochs, seconds: Math.round(r.seconds * 1000) / 1000, trainable_params: r.trainableParams,
    final_accuracy: r.final?.accuracy ?? null, final_loss: r.final?.loss ?? null, evals: r.evals,
    top_k: r.topK.map((e) => ({ ...e, path: `top_k/${e.name}` })), resumed_from: r.resumedFrom ?? null,
    final_train_loss: r.log.at(-1)?.loss ?? null,
  });
}
