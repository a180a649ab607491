// fbw's side of bench/eval_b32.ts, in its own process so its peak RSS is the eval's alone: what
// `eval MODEL on [DATA]` does — load the CLIP folder, build the zero-shot head from the data set's
// class names and templates, evaluate the test split in batches. Prints one JSON line.
//   node dist/bench/_eval_b32.js MODEL_DIR DATA_ROOT [BATCH]
import { initBackend } from '../src/ml/backend/initBackend.js';
import { loadClip } from '../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../src/ml/heads/zeroshotHead.js';
import { loadTask } from '../src/ml/data/index.js';
import { classify, checkHead } from '../src/ml/eval/evaluate.js';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../src/ml/models/ops.js';
import { peakRssMb } from './_b32.js';

const [modelDir, dataDir, batchArg] = process.argv.slice(2) as [string, string, string | undefined];
const tStart = performance.now();
await initBackend('cpu');
const model = await loadClip(modelDir);
const ds = await loadTask(dataDir, 'test');
let t0 = performance.now();
const head = buildZeroshotHead(model, await tokenizerFor(model), ds.name, ds.classnames, ds.templates);
const headS = (performance.now() - t0) / 1000;
// as the eval stage, which loads only the vision side (the head comes from its own stage)
model.releaseTextTower();
checkHead(head, model.config.projection_dim, ds);
// evaluate()'s loop, keeping the predictions so the bench can compare them with PyTorch's
const bs = Number(batchArg ?? 128), size = model.config.vision_config.image_size;
const preds: number[] = [];
let correct = 0, lossSum = 0, decodeS = 0;
t0 = performance.now();
for (let i = 0; i < ds.size; i += bs) {
  const idx = Array.from({ length: Math.min(bs, ds.size - i) }, (_, j) => i + j);
  const td = performance.now();
  const b = ds.batch(idx, size);
  decodeS += (performance.now() - td) / 1000;
  const [pred, loss] = tf.tidy(() => {
    const logits = classify(model, head, b.x, b.n);
    return [tf.argMax(logits, 1), crossEntropy(logits, b.y)] as const;
  });
  const p = pred.dataSync();
  for (let j = 0; j < b.n; j++) { preds.push(p[j]!); if (p[j] === b.y[j]) correct++; }
  lossSum += loss.dataSync()[0]! * b.n;
  pred.dispose(); loss.dispose();
}
const evalS = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ images: ds.size, img_s: ds.size / evalS, head_s: headS, decode_s: decodeS, eval_s: evalS, total_s: (performance.now() - tStart) / 1000, accuracy: correct / ds.size, loss: lossSum / ds.size, preds, peak_rss_mb: peakRssMb() }));
model.dispose();
