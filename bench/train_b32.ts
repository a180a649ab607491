// ViT-B/32 training and inference on the CPU, fbw against PyTorch in the same run (issue 14):
// fbw's own CLIP vision tower at ViT-B/32 shape + projection + linear head, batch 16, Adam, full
// fine-tuning and LoRA r=16 (q/v, alpha 32, dropout 0.1), through the product's fine-tune loop
// (bench/_b32.ts), against the same model in Debian's python3-torch (bench/torch_b32.py); with 1
// and 2 threads each; inference at batch 64; fbw with gradient_checkpointing too. Every
// measurement is its own process, so "peak RSS" is that process's VmHWM (weights, gradients, Adam
// moments, activations, runtime). Ratios are wall clock (> 1 = fbw better; for RSS, PyTorch / fbw)
// against PyTorch at its best thread count, plus per CPU-second (less disturbed by a busy machine).
// usage: npm run bench -- train_b32 [--steps 2] [--warmup 1] [--threads 1,2] [--modes full,lora,infer] [--no-gc]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = args.indexOf(`--${name}`); return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def; };
const steps = opt('steps', '2'), warmup = opt('warmup', '1');
const threadList = opt('threads', '1,2').split(',').map(Number);
const withGc = !args.includes('--no-gc');
const modes = opt('modes', 'full,lora,infer').split(',');
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const python = opt('python', '/usr/bin/python3');

interface M { img_s: number; img_cpu_s: number; peak_rss_mb: number; loss: number; trained: number }

function fbw(mode: string, threads: number, gc = false): M {
  const a = [join(here, '_b32.js'), '--mode', mode, '--steps', mode === 'infer' ? '2' : steps, '--warmup', warmup, ...(gc ? ['--gc'] : [])];
  const r = spawnSync(process.execPath, a, { encoding: 'utf8', env: { ...process.env, FBW_THREADS: String(threads), FBW_NATIVE_THREADS: String(threads) }, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`fbw ${mode} failed: ${(r.stderr || String(r.error)).trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as M;
}

function torch(mode: string, threads: number): M | undefined {
  const t = String(threads);
  const r = spawnSync(python, [join(root, 'bench', 'torch_b32.py'), '--mode', mode, '--threads', t, '--steps', mode === 'infer' ? '2' : steps, '--warmup', warmup, ...(mode === 'infer' ? ['--batch', '64'] : [])], {
    encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
  });
  if (r.status !== 0) {
    console.log(`pytorch ${mode} (${threads} thread): unavailable: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as M;
}

const f1 = (x: number) => x.toFixed(2);
const mb = (x: number) => `${Math.round(x)} MB`;
console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
console.log(`ViT-B/32 vision tower + projection + linear head (10 classes), batch 16 (training) / 64 (inference), ${steps} measured steps after ${warmup} warm-up; threads ${threadList.join(', ')}`);

type Row = { fbw: M; torch: M | undefined };
const results = new Map<string, Row>();
for (const mode of modes) {
  for (const th of threadList) {
    const f = fbw(mode, th);
    console.log(`  fbw ${mode} ${th}t: ${JSON.stringify(f)}`);
    const t = torch(mode, th);
    results.set(`${mode}/${th}`, { fbw: f, torch: t });
    console.log(`${mode.padEnd(5)} ${th} thread(s): fbw ${f1(f.img_s)} img/s (${f1(f.img_cpu_s)} per CPU-s), peak RSS ${mb(f.peak_rss_mb)}, ${f.trained} trained | ` +
      (t ? `pytorch ${f1(t.img_s)} img/s (${f1(t.img_cpu_s)} per CPU-s), peak RSS ${mb(t.peak_rss_mb)}, ${t.trained} trained` : 'pytorch unavailable'));
  }
}
if (withGc) {
  for (const mode of ['full', 'lora'].filter((m) => modes.includes(m))) {
    const th = threadList[threadList.length - 1]!;
    const g = fbw(mode, th, true);
    const plain = results.get(`${mode}/${th}`)!.fbw;
    console.log(`${mode.padEnd(5)} ${th} thread(s), gradient_checkpointing=true: fbw ${f1(g.img_s)} img/s, peak RSS ${mb(g.peak_rss_mb)} (without: ${f1(plain.img_s)} img/s, ${mb(plain.peak_rss_mb)}; loss ${g.loss.toFixed(6)} vs ${plain.loss.toFixed(6)})`);
  }
}
const best = (mode: string, key: 'img_s' | 'img_cpu_s'): number => Math.max(...threadList.map((th) => results.get(`${mode}/${th}`)!.torch?.[key] ?? 0));
const bestF = (mode: string, key: 'img_s' | 'img_cpu_s'): number => Math.max(...threadList.map((th) => results.get(`${mode}/${th}`)!.fbw[key]));
const minRss = (mode: string, who: 'fbw' | 'torch'): number => Math.min(...threadList.map((th) => results.get(`${mode}/${th}`)![who]?.peak_rss_mb ?? Infinity));
const main = modes[0]!;
const anchor = best(main, 'img_s') > 0;
for (const mode of modes) {
  if (!anchor) break;
  console.log(`${mode}: fbw/pytorch (best thread count each) speed ${f1(bestF(mode, 'img_s') / best(mode, 'img_s'))}x wall, ${f1(bestF(mode, 'img_cpu_s') / best(mode, 'img_cpu_s'))}x per CPU-second; peak RSS pytorch/fbw ${f1(minRss(mode, 'torch') / minRss(mode, 'fbw'))}x (${mb(minRss(mode, 'fbw'))} vs ${mb(minRss(mode, 'torch'))})`);
}
console.log(`load average at end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
if (!anchor) {
  console.log('pytorch unavailable: no anchor (install python3-torch: apt-get install python3-torch)');
  console.log(`RESULT name=train_b32 value=${f1(bestF(main, 'img_s'))} unit=img/s anchor=pytorch-unavailable ratio=0`);
  process.exit(3);
}
console.log(`RESULT name=train_b32 value=${f1(bestF(main, 'img_s'))} unit=img/s anchor=pytorch-best-thread-${main === 'full' ? 'full-finetune' : main} ratio=${(bestF(main, 'img_s') / best(main, 'img_s')).toFixed(3)}`);
