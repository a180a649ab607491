// Issue 13's measurements on fine-tunes already in a store, outside the scheduler: how far each
// fine-tune moved (‖τ‖/‖θ₀‖ over the vision tower), how the task vectors point (cosines), and how
// much each fine-tune harms the other tasks (fine-tuned on task i, accuracy on task j).
//   node dist/src/cli/scripts/taskVectors.js --store workflows/.fbw --finetune finetune.lora \
//        [--pool LOCAL8] [--max-eval 300]
// Reads index/<stage>.json of the store for each task's fine-tune (<finetune>.<task>), its
// zero-shot head (head.<base>.<task>) and the pretrained model; prints Markdown tables.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { Store } from '../../store/Store.js';
import { initBackend } from '../../ml/backend/initBackend.js';
import { loadTask, TASK_POOLS } from '../../ml/data/index.js';
import { loadClip } from '../../ml/models/loadClip.js';
import { readHead } from '../../ml/heads/head.js';
import { evaluate } from '../../ml/eval/evaluate.js';
import { visionNames } from '../../ml/merge/modelMerge.js';

const { values: v } = parseArgs({ options: {
  store: { type: 'string' }, finetune: { type: 'string' }, pool: { type: 'string' }, base: { type: 'string' }, 'max-eval': { type: 'string' },
} });
const pool = v.pool ?? 'LOCAL8', baseName = v.base ?? 'clip-tiny', maxEval = v['max-eval'] ?? '300';
if (!v.store || !v.finetune || !TASK_POOLS[pool]) {
  console.error('usage: taskVectors.js --store DIR --finetune STAGE_PREFIX [--pool LOCAL8] [--base clip-tiny] [--max-eval N]');
  process.exit(2);
}
const store = v.store;
const tasks = TASK_POOLS[pool]!;
const st = new Store(store);
const dirOf = (stage: string): string => {
  const rec = st.readIndex(stage);
  if (!rec) throw new Error(`${join(store, 'index', `${stage}.json`)}: no committed result of stage '${stage}' (run the workflow first)`);
  return st.objectDir(rec.key);
};
await initBackend('cpu');
const base = await loadClip(dirOf(`model.${baseName}`));
const names = visionNames(base);
const flat = (m: { get(k: string): { dataSync(): unknown } }): Float64Array => {
  const parts = names.map((k) => m.get(k).dataSync() as Float32Array);
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const theta0 = flat(base);
const norm = (x: Float64Array): number => Math.sqrt(x.reduce((s, e) => s + e * e, 0));
const dot = (a: Float64Array, b: Float64Array): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const heads = await Promise.all(tasks.map((t) => readHead(dirOf(`head.${baseName}.${t}`))));
const tests = await Promise.all(tasks.map((t) => loadTask(t, 'test', { maxExamples: Number(maxEval) })));
const taus: Float64Array[] = [];
for (const t of tasks) {
  const m = await loadClip(dirOf(`${v.finetune}.${t}`));
  taus.push(flat(m).map((x, i) => x - theta0[i]!));
  m.dispose();
}
const pct = (x: number): string => (x * 100).toFixed(1);
console.log(`vision tower: ${theta0.length} parameters, ‖θ₀‖ = ${norm(theta0).toFixed(3)}\n`);
console.log(`| task | ‖τ‖/‖θ₀‖ | ${tasks.map((t) => `cos(·, ${t})`).join(' | ')} |`);
console.log(`|---|---:|${tasks.map(() => '---:').join('|')}|`);
tasks.forEach((t, i) => console.log(`| ${t} | ${(norm(taus[i]!) / norm(theta0)).toFixed(4)} | ${tasks.map((_, j) => (dot(taus[i]!, taus[j]!) / (norm(taus[i]!) * norm(taus[j]!))).toFixed(3)).join(' | ')} |`));
// cross-task harm: each fine-tune on every task (the slow part: 8 × 8 evaluations)
console.log(`\nAccuracy (%) of the model fine-tuned on the row's task, on the column's task (first ${maxEval} test images):\n`);
console.log(`| fine-tuned on | ${tasks.join(' | ')} |`);
console.log(`|---|${tasks.map(() => '---:').join('|')}|`);
console.log(`| (zero-shot) | ${tasks.map((_, j) => pct(evaluate(base, heads[j]!, tests[j]!).accuracy)).join(' | ')} |`);
for (const t of tasks) {
  const m = await loadClip(dirOf(`${v.finetune}.${t}`));
  console.log(`| ${t} | ${tasks.map((_, j) => pct(evaluate(m, heads[j]!, tests[j]!).accuracy)).join(' | ')} |`);
  m.dispose();
}
