// Training throughput of the generic classifier fine-tune on a small ResNet (basic layers,
// [16, 32, 64], 32×32 mnist images): fbw's im2col convolution + JS max-pool against the same
// network, data, batch and backend using tfjs's own Conv2D / MaxPool kernels and gradients (the
// anchor), interleaved over rounds because the cores are shared. ratio > 1: fbw's path is faster.
// Usage: npm run bench -- classifier_train [--rounds 1] [--steps 3] [--batch 32]
import { initBackend } from '../src/ml/backend/initBackend.js';
import { loadTask } from '../src/ml/data/index.js';
import { SeededRng } from '../src/ml/data/SeededRng.js';
import { initResNet, FBW_CONV_OPS, TFJS_CONV_OPS, type ConvOps } from '../src/ml/classifier/resnet.js';
import { makeResNetConfig } from '../src/ml/classifier/resnetConfig.js';
import { resnetNet } from '../src/ml/classifier/ClassifierNet.js';
import { finetuneClassifier } from '../src/ml/classifier/finetuneClassifier.js';
import { resolveArgs } from '../src/registry/methods/resolve.js';
import { classifier } from '../src/registry/methods/classifier.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const rounds = Number(opt('rounds', '1')), steps = Number(opt('steps', '3')), batch = Number(opt('batch', '32'));
const warm = 2;
const info = await initBackend('cpu');
const train = await loadTask('mnist', 'train', { maxExamples: 1024 });
const config = makeResNetConfig({ embedding_size: 16, hidden_sizes: [16, 32, 64], depths: [1, 1, 1], labels: train.classnames });

async function measure(ops: ConvOps): Promise<{ ips: number; loss: number }> {
  const rng = new SeededRng(1);
  const model = initResNet(config, () => rng.next());
  const times: number[] = [];
  const r = await finetuneClassifier(resnetNet(model, 32, ops), train, {
    ...resolveArgs(classifier, { max_steps: warm + steps, batch_size: batch, optimizer: { lr: 0.05 }, save_interval: 1e9, save_top_k: 0 }),
    onProgress: () => times.push(performance.now()),
  });
  model.dispose();
  return { ips: (steps * batch) / ((times.at(-1)! - times[warm - 1]!) / 1000), loss: r.log.at(-1)!.loss };
}

const best = { fbw: 0, tfjs: 0 };
const losses = { fbw: 0, tfjs: 0 };
for (let r = 0; r < rounds; r++) {
  for (const [name, ops] of [['fbw', FBW_CONV_OPS], ['tfjs', TFJS_CONV_OPS]] as const) {
    const m = await measure(ops);
    best[name] = Math.max(best[name], m.ips);
    losses[name] = m.loss;
  }
}
console.log(`backend ${info.backend}, batch ${batch}, ${steps} timed steps, best of ${rounds} rounds`);
console.log(`fbw im2col conv:   ${best.fbw.toFixed(1)} img/s (final loss ${losses.fbw.toFixed(4)})`);
console.log(`tfjs conv kernels: ${best.tfjs.toFixed(1)} img/s (final loss ${losses.tfjs.toFixed(4)})`);
console.log(`RESULT name=classifier_train value=${best.fbw.toFixed(1)} unit=img/s anchor=tfjs_conv2d_kernels(${best.tfjs.toFixed(1)}img/s) ratio=${(best.fbw / best.tfjs).toFixed(3)}`);
