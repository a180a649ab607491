// The fine-tuning methods table without the scheduler (same settings as
// workflows/finetune-methods.fbw): zero-shot vs full / lora / l_lora / bitfit / lora + linear head,
// per task, with steps and wall time. Prints Markdown.
//   node dist/src/cli/scripts/finetuneMethodsTable.js --model models/clip-tiny [--tasks mnist,synth_shapes,synth_colors]
//        [--steps 100] [--batch 32] [--eval-max N]
import { parseArgs } from 'node:util';
import { initBackend } from '../../ml/backend/initBackend.js';
import { loadClip } from '../../ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../ml/heads/zeroshotHead.js';
import { loadTask } from '../../ml/data/index.js';
import { evaluate } from '../../ml/eval/evaluate.js';
import { finetuneClip, type FinetuneMethod } from '../../ml/finetune/finetuneClip.js';
import { clipFinetuneArgs } from '../../registry/methods/clipFinetune.js';

const { values: v } = parseArgs({ options: { model: { type: 'string' }, tasks: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, 'eval-max': { type: 'string' } } });
if (!v.model) { console.error('usage: methodsTable.js --model DIR [--tasks a,b] [--steps N] [--batch N]'); process.exit(2); }
const info = await initBackend('cpu');
const tasks = (v.tasks ?? 'mnist,synth_shapes,synth_colors').split(',');
const steps = Number(v.steps ?? 100), batch = Number(v.batch ?? 32);
const runs: { label: string; method: FinetuneMethod; lr: number; head?: 'linear'; lora?: { r: number; lora_alpha: number } }[] = [
  { label: 'full', method: 'full', lr: 1e-3 },
  { label: 'lora(r=4)', method: 'lora', lr: 5e-3, lora: { r: 4, lora_alpha: 8 } },
  { label: 'l_lora(r=4)', method: 'l_lora', lr: 5e-3, lora: { r: 4, lora_alpha: 8 } },
  { label: 'bitfit', method: 'bitfit', lr: 1e-2 },
  { label: 'lora(r=4)+linear head', method: 'lora', lr: 5e-3, head: 'linear', lora: { r: 4, lora_alpha: 8 } },
];
console.log(`backend ${info.backend}; ${steps} steps, batch ${batch}, Adam + cosine, seed 42; lr: full 1e-3, lora/l_lora 5e-3, bitfit 1e-2; accuracy on the test split\n`);
console.log(`| task | zero-shot | ${runs.map((r) => r.label).join(' | ')} |`);
console.log(`|---|---|${runs.map(() => '---').join('|')}|`);
const evalOpts = v['eval-max'] ? { maxExamples: Number(v['eval-max']) } : {};
for (const task of tasks) {
  const train = await loadTask(task, 'train');
  const test = await loadTask(task, 'test', evalOpts);
  const base = await loadClip(v.model);
  const head = buildZeroshotHead(base, await tokenizerFor(base), train.name, train.classnames, train.templates);
  const zs = evaluate(base, head, test).accuracy;
  base.dispose();
  const cells: string[] = [];
  for (const r of runs) {
    const m = await loadClip(v.model);
    const res = await finetuneClip(m, head, train, clipFinetuneArgs(r.method, { num_steps: steps, batch_size: batch, learning_rate: r.lr, ...(r.head ? { head: r.head } : {}), ...(r.lora ?? {}) }, 'user'));
    let acc: number;
    if (res.adapters) { m.assign(res.state); res.adapters.dispose(); }
    if (res.linearHead) acc = evaluate(m, res.linearHead, test).accuracy;
    else acc = evaluate(m, head, test).accuracy;
    cells.push(`${(acc * 100).toFixed(1)} (${res.trainableParams.toLocaleString('en')} params, ${res.seconds.toFixed(0)} s)`);
    m.dispose();
  }
  console.log(`| ${task} | ${(zs * 100).toFixed(1)} | ${cells.join(' | ')} |`);
}
