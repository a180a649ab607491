// Merging eight ViT-B/32 checkpoints: time and peak RSS of `fbw merge average | task_arithmetic |
// ties` (the command a user runs, each in its own process) on a ViT-B/32-vision-shaped state dict
// (CLIPVisionModel tensors, as FusionBench publishes its TA8 fine-tunes: base + 8 fine-tuned
// models, ~350 MB each, seeded values in a temp dir), against the same merges in PyTorch (Debian's
// python3-torch, bench/merge_torch.py, FusionBench's state-dict arithmetic) on the same files in the
// same run, each in its own process too. Both are timed and their peak RSS read by /usr/bin/time
// (whole process, start-up included). fbw streams tensor by tensor, so its peak RSS should be a
// small multiple of one chunk per input, not of the checkpoints; the bench prints it against one
// checkpoint, one encoder layer and the largest tensor. Also checks both give the same weights.
// usage: npm run bench -- merge [--layers N] [--models N] [--methods average,task_arithmetic,ties]
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SafetensorsWriter, SafetensorsReader } from '../src/ml/io/safetensors.js';
import { requireCommand, requirePythonModule } from './_anchor.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : dflt; };
const LAYERS = opt('layers', 12);
const MODELS = opt('models', 8);
const here = dirname(fileURLToPath(import.meta.url));
const pyScript = join(here, '..', '..', 'bench', 'merge_torch.py');
requirePythonModule('merge', '/usr/bin/python3', 'torch', 'python3-torch');
requireCommand('merge', '/usr/bin/time', 'time');

/** CLIPVisionModel ViT-B/32 tensor names and shapes (Hugging Face layout) */
function vitB32(layers: number): { name: string; shape: number[] }[] {
  const h = 768, f = 3072;
  const t: { name: string; shape: number[] }[] = [
    { name: 'vision_model.embeddings.class_embedding', shape: [h] },
    { name: 'vision_model.embeddings.patch_embedding.weight', shape: [h, 3, 32, 32] },
    { name: 'vision_model.embeddings.position_embedding.weight', shape: [50, h] },
    { name: 'vision_model.pre_layrnorm.weight', shape: [h] },
    { name: 'vision_model.pre_layrnorm.bias', shape: [h] },
  ];
  for (let l = 0; l < layers; l++) {
    const p = `vision_model.encoder.layers.${l}.`;
    for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) t.push({ name: `${p}self_attn.${proj}.weight`, shape: [h, h] }, { name: `${p}self_attn.${proj}.bias`, shape: [h] });
    t.push({ name: `${p}layer_norm1.weight`, shape: [h] }, { name: `${p}layer_norm1.bias`, shape: [h] });
    t.push({ name: `${p}mlp.fc1.weight`, shape: [f, h] }, { name: `${p}mlp.fc1.bias`, shape: [f] });
    t.push({ name: `${p}mlp.fc2.weight`, shape: [h, f] }, { name: `${p}mlp.fc2.bias`, shape: [h] });
    t.push({ name: `${p}layer_norm2.weight`, shape: [h] }, { name: `${p}layer_norm2.bias`, shape: [h] });
  }
  t.push({ name: 'vision_model.post_layernorm.weight', shape: [h] }, { name: 'vision_model.post_layernorm.bias', shape: [h] });
  return t;
}

/** mulberry32: small seeded PRNG, so every run merges the same weights */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate(dir: string, specs: { name: string; shape: number[] }[]): Promise<{ base: string; models: string[] }> {
  const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const chunk = 1 << 20;
  const write = async (path: string, fill: (name: string, start: number, out: Float32Array) => void) => {
    const w = await SafetensorsWriter.create(path, specs);
    const buf = new Float32Array(chunk);
    for (const s of specs) {
      const n = numel(s.shape);
      for (let st = 0; st < n; st += chunk) {
        const part = buf.subarray(0, Math.min(chunk, n - st));
        fill(s.name, st, part);
        await w.writePart(s.name, part);
      }
    }
    await w.close();
    return path;
  };
  // base ~ U(-0.05, 0.05); model i = base + τ_i with τ_i ~ U(-1, 1)·1e-3·(per-tensor scale)
  const base = await write(join(dir, 'base.safetensors'), (name, start, out) => {
    const r = rng(0x5eed ^ start ^ name.length * 7919);
    for (let i = 0; i < out.length; i++) out[i] = (r() - 0.5) * 0.1;
  });
  const models: string[] = [];
  for (let m = 0; m < MODELS; m++) {
    models.push(await write(join(dir, `model${m}.safetensors`), (name, start, out) => {
      const rb = rng(0x5eed ^ start ^ name.length * 7919);
      const r = rng((m + 1) * 0x9e3779b1 ^ start ^ name.length * 104729);
      const scale = 1e-3 * (0.5 + r());
      for (let i = 0; i < out.length; i++) out[i] = (rb() - 0.5) * 0.1 + (r() * 2 - 1) * scale;
    }));
  }
  return { base, models };
}

function memcpyBandwidth(): number {
  const n = 256 << 20;
  const a = Buffer.alloc(n, 1), b = Buffer.alloc(n);
  a.copy(b); // warm up / fault in pages
  const reps = 4;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) a.copy(b);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return (n * reps) / s / 1e9;
}

/** compare two safetensors files tensor by tensor: max |a − b| and count of differing values */
async function compare(a: string, b: string): Promise<{ maxAbs: number; differing: number; total: number }> {
  const ra = await SafetensorsReader.open(a), rb = await SafetensorsReader.open(b);
  let maxAbs = 0, differing = 0, total = 0;
  try {
    for (const t of ra.tensors()) {
      const x = (await ra.read(t.name)).data, y = (await rb.read(t.name)).data;
      for (let i = 0; i < x.length; i++) {
        const d = Math.abs(x[i]! - y[i]!);
        if (d !== 0 || Object.is(x[i], -0) !== Object.is(y[i], -0)) differing++;
        if (d > maxAbs) maxAbs = d;
      }
      total += x.length;
    }
  } finally { await ra.close(); await rb.close(); }
  return { maxAbs, differing, total };
}

/** Runs a command under /usr/bin/time: wall seconds and peak RSS (MB, as the file sizes), or why it failed. */
function timed(cmd: string, argv: readonly string[], env?: NodeJS.ProcessEnv): { ok: true; seconds: number; peakMB: number; stdout: string } | { ok: false; why: string } {
  const r = spawnSync('/usr/bin/time', ['-f', 'FBWTIME %M %e', cmd, ...argv], { encoding: 'utf8', env: env ?? process.env, maxBuffer: 1 << 26 });
  const m = /FBWTIME (\d+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) return { ok: false, why: (r.stderr || String(r.error ?? `exit ${r.status}`)).trim().split('\n').filter((l) => !l.startsWith('FBWTIME') && !l.startsWith('Command exited')).pop() ?? `exit ${r.status}` };
  return { ok: true, seconds: Number(m[2]), peakMB: Number(m[1]) * 1024 / 1e6, stdout: r.stdout };
}

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
/** MemAvailable in MB (PyTorch's TIES holds every task vector flattened: it is capped below this) */
function memAvailableMB(): number {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : 8192;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-bench-merge-'));
  try {
    console.log(`load average at start: ${load()}`);
    const specs = vitB32(LAYERS);
    const t0 = Date.now();
    const { base, models } = await generate(dir, specs);
    const fileMB = statSync(base).size / 1e6;
    const largestMB = Math.max(...specs.map((s) => s.shape.reduce((a, b) => a * b, 1))) * 4 / 1e6;
    const layerMB = specs.filter((s) => s.name.includes('.layers.0.')).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0) * 4 / 1e6;
    console.log(`generated base + ${MODELS} models, ${fileMB.toFixed(0)} MB each (${specs.length} tensors, ViT-B/32 vision tower, ${LAYERS} layers; one encoder layer ${layerMB.toFixed(1)} MB, largest tensor ${largestMB.toFixed(1)} MB) in ${((Date.now() - t0) / 1e3).toFixed(1)} s`);
    const fbwBin = join(here, '..', '..', 'bin', 'fbw.js');
    // the Node process that runs fbw, doing nothing: what a merge adds to it is the merge's memory
    const idle = timed(process.execPath, [fbwBin, 'merge', '--help']);
    const idleMB = idle.ok ? idle.peakMB : 0;
    if (idle.ok) console.log(`fbw process baseline (\`fbw merge --help\`): peak RSS ${idleMB.toFixed(0)} MB`);
    const all = [
      { cli: 'average', torch: 'simple_average', params: [] as string[], inputs: MODELS },
      { cli: 'task_arithmetic', torch: 'task_arithmetic', params: ['--scaling_factor', '0.3'], inputs: MODELS + 1 },
      { cli: 'ties', torch: 'ties_merging', params: ['--scaling_factor', '0.3', '--threshold', '20'], inputs: MODELS + 1 },
    ];
    const mi = args.indexOf('--methods');
    const methods = mi >= 0 ? all.filter((m) => args[mi + 1]!.split(',').includes(m.cli)) : all;
    const fbwRates: number[] = [], torchRates: number[] = [], timeRatios: number[] = [];
    for (const m of methods) {
      const gb = m.inputs * fileMB / 1e3;
      const outF = join(dir, `fbw-${m.cli}.safetensors`);
      const f = timed(process.execPath, [fbwBin, 'merge', m.cli, ...m.params, '--quiet', ...(m.cli === 'average' ? [] : ['--base', base]), '--models', ...models, '-o', outF]);
      if (!f.ok) throw new Error(`fbw merge ${m.cli} failed: ${f.why}`);
      const outT = join(dir, `torch-${m.cli}.safetensors`);
      // capped so that FusionBench's flattened TIES cannot take the shared machine's memory
      const capMB = Math.max(2048, Math.floor(memAvailableMB() - 3072));
      const t = timed('/usr/bin/python3', [pyScript, m.torch, outT, base, ...models], { ...process.env, FBW_BENCH_MEM_LIMIT_MB: String(capMB) });
      const line = `${m.cli.padEnd(16)} fbw ${f.seconds.toFixed(1)} s = ${(gb / f.seconds).toFixed(2)} GB/s, peak RSS ${f.peakMB.toFixed(0)} MB ` +
        `(${(f.peakMB / fileMB).toFixed(2)}× one checkpoint, ${(f.peakMB / layerMB).toFixed(1)}× one layer; above the idle process ${(f.peakMB - idleMB).toFixed(0)} MB = ${((f.peakMB - idleMB) / largestMB).toFixed(1)}× the largest tensor)`;
      if (!t.ok) {
        console.log(`${line} | pytorch: failed (${t.why}; memory capped at ${capMB} MB)`);
        rmSync(outF, { force: true });
        continue;
      }
      const pr = JSON.parse(t.stdout.trim().split('\n').pop()!) as { seconds: number; threads: number; torch: string };
      const cmp = await compare(outF, outT);
      const fr = gb / f.seconds, tr = gb / t.seconds;
      fbwRates.push(fr); torchRates.push(tr); timeRatios.push(t.seconds / f.seconds);
      console.log(`${line} | pytorch ${pr.torch} (${pr.threads} threads) ${t.seconds.toFixed(1)} s (merge alone ${pr.seconds.toFixed(1)} s) = ${tr.toFixed(2)} GB/s, peak RSS ${t.peakMB.toFixed(0)} MB | ` +
        `time ${(t.seconds / f.seconds).toFixed(2)}×, memory ${(t.peakMB / f.peakMB).toFixed(1)}× less | same weights: ${cmp.differing === 0 ? 'bit-identical' : `${cmp.differing} of ${cmp.total} differ, max |Δ| ${cmp.maxAbs.toExponential(2)}`} | load ${load()}`);
      rmSync(outF); rmSync(outT);
    }
    if (!timeRatios.length) { console.error('bench merge: no PyTorch anchor finished'); process.exit(1); }
    const mem = memcpyBandwidth();
    console.log(`memory copy (Buffer.copy, 256 MB): ${mem.toFixed(2)} GB/s; load average at end: ${load()}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const value = mean(fbwRates), anchor = mean(torchRates);
    console.log(`mean over the methods with an anchor: fbw ${value.toFixed(2)} GB/s, pytorch ${anchor.toFixed(2)} GB/s, memcpy ${mem.toFixed(2)} GB/s`);
    console.log(`RESULT name=merge value=${value.toFixed(3)} unit=GB/s anchor=pytorch ratio=${(value / anchor).toFixed(3)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
