// Training throughput of each CLIP fine-tuning method (full, lora, l_lora, bitfit) on the tiny CLIP
// architecture, same data, batch and backend, interleaved over rounds because the cores are shared;
// each method's figure is a ratio against full fine-tuning measured in the same run.
// Usage: npm run bench -- train_methods [--rounds 2] [--steps 8] [--batch 64]
import { initBackend } from '../src/ml/backend/initBackend.js';
import { makeClipConfig } from '../src/ml/models/clipConfig.js';
import { initClip } from '../src/ml/models/clip.js';
import { loadTask } from '../src/ml/data/index.js';
import { SeededRng } from '../src/ml/data/SeededRng.js';
import { finetuneClip, countTrainable, type FinetuneMethod } from '../src/ml/finetune/finetuneClip.js';
import type { Head } from '../src/ml/heads/head.js';
import { CLIP_FINETUNE_NAMES, clipFinetuneArgs } from '../src/registry/methods/clipFinetune.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const rounds = Number(opt('rounds', '2')), steps = Number(opt('steps', '8')), batch = Number(opt('batch', '64'));
const warm = 2;
const info = await initBackend('cpu');
const config = makeClipConfig({
  projection_dim: 64,
  vision: { image_size: 32, patch_size: 4, hidden_size: 64, intermediate_size: 256, num_hidden_layers: 4, num_attention_heads: 4 },
  text: { vocab_size: 1000, max_position_embeddings: 32, hidden_size: 64, intermediate_size: 256, num_hidden_layers: 2, num_attention_heads: 4 },
});
const train = await loadTask('synth_shapes', 'train', { maxExamples: 1024 });
const hr = new SeededRng(5);
const w = new Float32Array(train.classnames.length * 64).map(() => hr.normal() * 0.1);
const head: Head = { kind: 'zeroshot', task: train.name, classnames: train.classnames, templates: train.templates, logitScale: 100, weight: w, numClasses: train.classnames.length, dim: 64 };

const best = new Map<FinetuneMethod, number>();
for (let r = 0; r < rounds; r++) {
  for (const method of CLIP_FINETUNE_NAMES) {
    const rng = new SeededRng(1);
    const model = initClip(config, () => rng.next());
    const times: number[] = [];
    const res = await finetuneClip(model, head, train, {
      ...clipFinetuneArgs(method, { num_steps: warm + steps, batch_size: batch, learning_rate: 1e-4, save_interval: 1e9 }, 'user'),
      onProgress: () => times.push(performance.now()),
    });
    res.adapters?.dispose();
    model.dispose();
    const ips = (steps * batch) / ((times.at(-1)! - times[warm - 1]!) / 1000);
    best.set(method, Math.max(best.get(method) ?? 0, ips));
  }
}
const probe = initClip(config, () => 0.5);
const full = best.get('full')!;
console.log(`backend ${info.backend}, batch ${batch}, ${steps} timed steps, best of ${rounds} rounds`);
console.log('method   trainable params   img/s    vs full');
for (const m of CLIP_FINETUNE_NAMES) {
  const v = best.get(m)!;
  console.log(`${m.padEnd(8)} ${String(countTrainable(probe, m, clipFinetuneArgs(m, {}, 'user').lora)).padStart(16)} ${v.toFixed(1).padStart(8)} ${(v / full).toFixed(2).padStart(9)}x`);
}
probe.dispose();
const lora = best.get('lora')!;
console.log(`RESULT name=train_methods value=${lora.toFixed(1)} unit=img/s anchor=full_finetune(${full.toFixed(1)}img/s) ratio=${(lora / full).toFixed(3)}`);
