// Shared by the classifier tests: a tiny seeded ResNet written in the Hugging Face layout.
import { join } from 'node:path';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { taskInfo } from '../../src/ml/data/registry.js';
import { initResNet } from '../../src/ml/classifier/resnet.js';
import { makeResNetConfig } from '../../src/ml/classifier/resnetConfig.js';
import { saveResNet, writeResNetPreprocessor } from '../../src/ml/classifier/loadResNet.js';

export { tempDir, root } from '../ml-model/helpers.js';

/** Write a tiny random ResNet (basic layers, 32×32 input) for `task`'s classes into `dir`. */
export async function makeTinyResNet(dir: string, task = 'mnist', seed = 5, opts: { layer_type?: 'basic' | 'bottleneck'; hidden_sizes?: number[]; depths?: number[] } = {}): Promise<string> {
  await initBackend('cpu');
  const config = makeResNetConfig({
    embedding_size: 8, hidden_sizes: opts.hidden_sizes ?? [8, 16], depths: opts.depths ?? [1, 1], layer_type: opts.layer_type ?? 'basic',
    labels: taskInfo(task).classnames,
  });
  const rng = new SeededRng(seed);
  const m = initResNet(config, () => rng.next());
  await saveResNet(dir, m);
  await writeResNetPreprocessor(dir, 32);
  m.dispose();
  return dir;
}

export const path = join;
