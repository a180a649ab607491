// Shared by the continual / multi-task tests: a small random CLIP and two local tasks with their
// zero-shot heads (mnist and synth_colors: a random tiny CLIP learns both within a few dozen steps).
import { join } from 'node:path';
import { makeRandomClip, tempDir } from '../ml-model/helpers.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { loadTask } from '../../src/ml/data/index.js';
import type { ClipModel } from '../../src/ml/models/clip.js';
import type { TaskSplits } from '../../src/ml/finetune/continual.js';

export { tempDir };

/** A random CLIP folder (made once per `dir`) and a loader for fresh copies of it. */
export async function setup(dir: string, names: readonly string[] = ['mnist', 'synth_colors']): Promise<{ load: () => Promise<ClipModel>; tasks: TaskSplits[] }> {
  const modelDir = await makeRandomClip(join(dir, 'clip'), 7);
  const m = await loadClip(modelDir);
  const tok = await tokenizerFor(modelDir);
  const tasks: TaskSplits[] = [];
  for (const n of names) {
    const train = await loadTask(n, 'train', { maxExamples: 400 });
    const test = await loadTask(n, 'test', { maxExamples: 200 });
    tasks.push({ head: buildZeroshotHead(m, tok, n, train.classnames, train.templates), train, test });
  }
  m.dispose();
  return { load: () => loadClip(modelDir), tasks };
}

/** Bit-for-bit equality of two state dicts. */
export function sameState(a: ReadonlyMap<string, { data: Float32Array }>, b: ReadonlyMap<string, { data: Float32Array }>): string | undefined {
  for (const [k, t] of a) {
    const u = b.get(k);
    if (!u || !Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength))) return k;
  }
  return undefined;
}
