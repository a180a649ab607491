// Merging throughput: GB of weights read per second for simple average, task arithmetic and
// TIES on a ViT-B/32-vision-shaped state dict (base + 4 fine-tuned models, ~350 MB each,
// seeded random values in a temp dir), against the same merges in PyTorch (Debian's
// python3-torch, bench/merge_torch.py, FusionBench's arithmetic) on the same files in the same
// run, and against this machine's memory-copy bandwidth. Also checks both give the same weights.
// usage: npm run bench -- merge [--layers N] [--models N] [--cli-only]
// (--cli-only: only the peak RSS of the `fbw merge average` command over the N models)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SafetensorsWriter, SafetensorsReader } from '../src/ml/io/safetensors.js';
import { mergeCheckpoints } from '../src/registry/index.js';
import { requirePythonModule } from './_anchor.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : dflt; };
const LAYERS = opt('layers', 12);
const MODELS = opt('models', 4);
const here = dirname(fileURLToPath(import.meta.url));
const pyScript = join(here, '..', '..', 'bench', 'merge_torch.py');
requirePythonModule('merge', '/usr/bin/python3', 'torch', 'python3-torch');

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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-bench-merge-'));
  try {
    const specs = vitB32(LAYERS);
    const t0 = Date.now();
    const { base, models } = await generate(dir, specs);
    const fileGB = statSync(base).size / 1e9;
    console.log(`generated base + ${MODELS} models, ${(fileGB * 1e3).toFixed(0)} MB each (${specs.length} tensors, ViT-B/32 vision tower, ${LAYERS} layers) in ${((Date.now() - t0) / 1e3).toFixed(1)} s`);
    const methods: { name: string; params: { readonly [k: string]: number | string }; inputs: number }[] = [
      { name: 'simple_average', params: {}, inputs: MODELS },
      { name: 'task_arithmetic', params: { scaling_factor: 0.3 }, inputs: MODELS + 1 },
      { name: 'ties_merging', params: { scaling_factor: 0.3, threshold: 20, merge_func: 'sum' }, inputs: MODELS + 1 },
    ];
    const fbwRates: number[] = [], torchRates: number[] = [];
    const cliOnly = args.includes('--cli-only');
    for (const m of cliOnly ? [] : methods) {
      const gb = m.inputs * fileGB;
      const outF = join(dir, `fbw-${m.name}.safetensors`);
      const ts = process.hrtime.bigint();
      const r = await mergeCheckpoints(m.name, m.params, { ...(m.name === 'simple_average' ? {} : { base }), models, out: outF });
      const fs = Number(process.hrtime.bigint() - ts) / 1e9;
      const outT = join(dir, `torch-${m.name}.safetensors`);
      const py = spawnSync('/usr/bin/python3', [pyScript, m.name, outT, base, ...models], { encoding: 'utf8' });
      if (py.status !== 0) throw new Error(`pytorch ${m.name} failed: ${py.stderr}`);
      const pr = JSON.parse(py.stdout.trim().split('\n').pop()!) as { seconds: number; threads: number; torch: string; maxRssMB: number };
      const cmp = await compare(outF, outT);
      const fr = gb / fs, tr = gb / pr.seconds;
      fbwRates.push(fr); torchRates.push(tr);
      console.log(`${m.name.padEnd(16)} fbw ${fs.toFixed(2)} s = ${fr.toFixed(2)} GB/s (${(r.bytesRead / 1e9).toFixed(2)} GB physically read) | pytorch ${pr.torch} (${pr.threads} thread) ${pr.seconds.toFixed(2)} s = ${tr.toFixed(2)} GB/s, peak RSS ${pr.maxRssMB.toFixed(0)} MB | fbw/pytorch ${(fr / tr).toFixed(2)} | same weights: ${cmp.differing === 0 ? 'bit-identical' : `${cmp.differing} of ${cmp.total} differ, max |Δ| ${cmp.maxAbs.toExponential(2)}`}`);
      rmSync(outF); rmSync(outT);
    }
    console.log(`fbw peak RSS over generation + all merges + checks: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    // the command a user runs, in its own process, so its peak RSS is the merge's alone
    {
      const outC = join(dir, 'cli-average.safetensors');
      const fbwBin = join(here, '..', '..', 'bin', 'fbw.js');
      const c = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, fbwBin, 'merge', 'average', '--quiet', '--models', ...models, '-o', outC], { encoding: 'utf8' });
      const m = /(\d+) ([\d.]+)\s*$/.exec(c.stderr ?? '');
      if (c.status === 0 && m) {
        const peak = Number(m[1]) * 1024 / 1e6; // KiB -> MB, as the file sizes
        console.log(`fbw merge average of ${MODELS} checkpoints (${(MODELS * fileGB * 1e3).toFixed(0)} MB in, CLI process): peak RSS ${peak.toFixed(0)} MB = ${(peak / (fileGB * 1e3)).toFixed(2)}x one checkpoint, ${m[2]} s`);
        if (cliOnly) { console.log(`RESULT name=merge value=${peak.toFixed(0)} unit=MB-peak-RSS anchor=one-checkpoint-MB ratio=${((fileGB * 1e3) / peak).toFixed(3)}`); return; }
      } else console.log(`fbw merge CLI: could not measure (${c.status !== 0 ? (c.stderr || String(c.error)).trim().split('\n').pop() : '/usr/bin/time gave no figure'})`);
      rmSync(outC, { force: true });
    }
    const mem = memcpyBandwidth();
    console.log(`memory copy (Buffer.copy, 256 MB): ${mem.toFixed(2)} GB/s; fbw/memcpy: ${methods.map((m, i) => `${m.name} ${(fbwRates[i]! / mem).toFixed(3)}`).join(', ')}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const value = mean(fbwRates), anchor = mean(torchRates);
    console.log(`mean of the three: fbw ${value.toFixed(2)} GB/s, pytorch ${anchor.toFixed(2)} GB/s, memcpy ${mem.toFixed(2)} GB/s`);
    console.log(`RESULT name=merge value=${value.toFixed(3)} unit=GB/s anchor=pytorch ratio=${(value / anchor).toFixed(3)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
