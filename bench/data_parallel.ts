// Data-parallel fine-tuning throughput: the bundled tiny CLIP fully fine-tuned on synth_shapes as
// a finetune stage job run by the real worker entry (dist/src/devices/worker.js, standalone
// mode), once with 1 device and once with 2 (2 processes, gradients all-reduced every step).
// Each process gets OPENBLAS_NUM_THREADS=1, the binding the scheduler gives a CPU slot under
// `--devices cpu:2` on this 2-core machine; 1 process with 2 BLAS threads (the `cpu:1` binding)
// is printed too. Images/s are from the train log's step times after warm-up steps (process
// start, model and data loading excluded); configurations interleave over rounds, best kept.
// Usage: npm run bench -- data_parallel [--rounds 2] [--steps 8] [--batch 64]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stage } from '../src/compile/ir.js';
import type { StageJob } from '../src/protocol/stageJob.js';
import { initBackend } from '../src/ml/backend/initBackend.js';
import { loadClip } from '../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../src/ml/heads/zeroshotHead.js';
import { writeHead } from '../src/ml/heads/head.js';
import { taskInfo } from '../src/ml/data/index.js';
import { findMethod, resolveArgs } from '../src/registry/methods/index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const rounds = Number(opt('rounds', '2')), steps = Number(opt('steps', '8')), batch = Number(opt('batch', '64'));
const warm = 2;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const worker = join(root, 'dist', 'src', 'devices', 'worker.js');
const model = join(root, 'models', 'clip-tiny');
const task = 'synth_shapes';
const dir = mkdtempSync(join(tmpdir(), 'fbw-bench-dp-'));

const info = await initBackend('cpu');
const clip = await loadClip(model);
const ti = taskInfo(task);
const headDir = join(dir, 'head');
await writeHead(headDir, buildZeroshotHead(clip, await tokenizerFor(model), ti.name, ti.classnames, ti.templates));
clip.dispose();

interface Config { readonly name: string; readonly device: string; readonly threads: string }
const configs: readonly Config[] = [
  { name: '1 worker, 1 BLAS thread', device: 'cpu', threads: '1' },
  { name: '2 workers, 1 BLAS thread each', device: 'cpu,cpu', threads: '1' },
  { name: '1 worker, 2 BLAS threads', device: 'cpu', threads: '2' },
];

/** Train one stage job in a fresh worker process; images/s over the timed steps. */
function measure(c: Config, round: number): number {
  const tag = `${c.device.replace(',', '_')}-t${c.threads}-r${round}`;
  const stage: Stage = {
    id: `finetune.full.${task}`, kind: 'finetune', method: 'full', task, label: 'bench', output: 'model',
    // every parameter resolved from the catalogue, as the compiler does (a stage carries all of them)
    params: resolveArgs(findMethod('full')!, { num_steps: warm + steps, batch_size: batch, learning_rate: 1e-5, save_interval: 1_000_000, seed: 42 }) as Stage['params'],
    inputs: [{ stage: 'pre', role: 'base' }, { stage: 'head', role: 'head', task }],
    ...(c.device.includes(',') ? { devices: c.device.split(',').length } : {}),
  };
  const job: StageJob = {
    run: 'bench', stage, key: tag, attempt: 1, inputs: { pre: model, head: headDir }, outDir: join(dir, 'out', tag),
    checkpointDir: join(dir, 'ck', tag), device: c.device, logFile: join(dir, 'logs', `${tag}.log`), workflowDir: dir,
  };
  mkdirSync(job.outDir, { recursive: true });
  const jobFile = join(dir, `${tag}.job.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const env = { ...process.env, OPENBLAS_NUM_THREADS: c.threads, OMP_NUM_THREADS: c.threads, FBW_DEVICE: c.device, CUDA_VISIBLE_DEVICES: '' };
  const r = spawnSync(process.execPath, [worker, jobFile, join(dir, `${tag}.events.jsonl`)], { env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${c.name}: worker exited with ${r.status}; see ${job.logFile}`);
  const log = JSON.parse(readFileSync(join(job.outDir, 'train_log.json'), 'utf8')) as { step: number; seconds: number }[];
  const text = readFileSync(job.logFile, 'utf8');
  for (const m of text.matchAll(/(rank \d+)\]? ?[^\n]*?([\d.]+) ms computing \+ ([\d.]+) ms in the all-reduce/g)) split.push(`${m[1]}: ${m[2]} + ${m[3]} ms`);
  return (steps * batch) / (log.at(-1)!.seconds - log[warm - 1]!.seconds);
}
const split: string[] = [];

const best = new Map<string, number>();
for (let r = 0; r < rounds; r++) for (const c of configs) best.set(c.name, Math.max(best.get(c.name) ?? 0, measure(c, r)));
rmSync(dir, { recursive: true, force: true });

console.log(`tiny CLIP full fine-tune on ${task}, backend ${info.backend}, batch ${batch} (global), ${steps} timed steps after ${warm}, best of ${rounds} rounds`);
for (const c of configs) console.log(`${c.name.padEnd(32)} ${best.get(c.name)!.toFixed(1).padStart(8)} img/s`);
const one = best.get(configs[0]!.name)!, two = best.get(configs[1]!.name)!, oneWide = best.get(configs[2]!.name)!;
console.log(`per step, compute + all-reduce wait (2-worker runs): ${split.join('; ')}`);
console.log(`2 workers vs 1 worker (1 thread each): ${(two / one).toFixed(2)}x; vs 1 worker with both cores' BLAS threads: ${(two / oneWide).toFixed(2)}x`);
console.log(`RESULT name=data_parallel value=${two.toFixed(1)} unit=img/s anchor=1_worker(${one.toFixed(1)}img/s) ratio=${(two / one).toFixed(3)}`);
