// Zero-shot evaluation at ViT-B/32, fbw against PyTorch on the same files in the same run
// (issue 15): a CLIP with OpenAI clip-vit-base-patch32's shapes and seeded random weights in a temp
// Hugging Face folder (config.json, model.safetensors, tokenizer files), an ImageFolder test split of
// generated PNG and JPEG images of mixed sizes, ~100 classes with the default prompt template.
// fbw runs as a user's eval does (loadClip, zero-shot head, evaluate: decode, CLIP preprocessing,
// vision tower, head) in its own process; PyTorch (bench/torch_eval_b32.py) does the same with
// PIL and the same token ids. Reports the image loop's images/s, the head's seconds, peak RSS of
// each whole process, and fbw's peak against "1.5 × checkpoint + one batch of activations".
// usage: npm run bench -- eval_b32 [--images 300] [--classes 100] [--batch 128] [--threads 1] [--keep]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { initClip } from '../src/ml/models/clip.js';
import { initBackend } from '../src/ml/backend/initBackend.js';
import { saveClipState } from '../src/ml/models/loadClip.js';
import { ClipTokenizer } from '../src/ml/text/tokenizer.js';
import { DEFAULT_TEMPLATES } from '../src/ml/data/loadTask.js';
import { b32Config, seededRand } from './_b32.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = args.indexOf(`--${name}`); return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def; };
const IMAGES = Number(opt('images', '300')), CLASSES = Number(opt('classes', '100')), BATCH = opt('batch', '128'), THREADS = opt('threads', '1');
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const python = opt('python', '/usr/bin/python3');

/** A smooth seeded picture (two gradients and a blob) of w×h, RGB bytes. */
function picture(w: number, h: number, r: () => number): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  const c0 = [r() * 255, r() * 255, r() * 255], c1 = [r() * 255, r() * 255, r() * 255];
  const bx = r() * w, by = r() * h, br = (0.1 + r() * 0.3) * Math.min(w, h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const t = (x / w + y / h) / 2, inBlob = (x - bx) ** 2 + (y - by) ** 2 < br * br;
    for (let c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = inBlob ? 255 - c0[c]! : Math.round(c0[c]! * (1 - t) + c1[c]! * t + (r() - 0.5) * 20);
  }
  return px;
}

function writeImage(path: string, rgb: Uint8Array, w: number, h: number, asJpeg: boolean): void {
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) { rgba[i * 4] = rgb[i * 3]!; rgba[i * 4 + 1] = rgb[i * 3 + 1]!; rgba[i * 4 + 2] = rgb[i * 3 + 2]!; rgba[i * 4 + 3] = 255; }
  if (asJpeg) writeFileSync(path, jpeg.encode({ data: rgba, width: w, height: h }, 90).data);
  else { const png = new PNG({ width: w, height: h }); rgba.copy(png.data); writeFileSync(path, PNG.sync.write(png)); }
}

interface Out { decode_s?: number; eval_s?: number; images: number; img_s: number; head_s: number; total_s: number; accuracy: number; loss: number; preds: number[]; peak_rss_mb: number }

const dir = mkdtempSync(join(tmpdir(), 'fbw-bench-eval-b32-'));
try {
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const t0 = Date.now();
  await initBackend('cpu');
  const modelDir = join(dir, 'clip-vit-b32-seeded');
  {
    const cfg = b32Config(12, 49408);
    const model = initClip(cfg, seededRand(3));
    await saveClipState(modelDir, cfg, model.stateDict(), join(root, 'models', 'clip-tiny'));
    model.dispose();
  }
  const ckptMb = statSync(join(modelDir, 'model.safetensors')).size / 2 ** 20;
  const dataDir = join(dir, 'data');
  const r = seededRand(11);
  const names = Array.from({ length: CLASSES }, (_, i) => `thing ${String(i).padStart(3, '0')}`);
  for (let i = 0; i < IMAGES; i++) {
    const c = names[i % CLASSES]!;
    mkdirSync(join(dataDir, 'test', c), { recursive: true });
    const w = 96 + Math.floor(r() * 544), h = 96 + Math.floor(r() * 544);
    writeImage(join(dataDir, 'test', c, `${String(i).padStart(4, '0')}.${i % 2 ? 'jpg' : 'png'}`), picture(w, h, r), w, h, i % 2 === 1);
  }
  // the prompts' token ids, for PyTorch (fbw's tokenizer is tested equal to OpenAI's)
  const tok = await ClipTokenizer.fromFiles(join(modelDir, 'vocab.json'), join(modelDir, 'merges.txt'));
  const sorted = [...names].sort();
  const prompts = sorted.flatMap((c) => DEFAULT_TEMPLATES.map((t) => t.split('{}').join(c)));
  const enc = tok.encodeBatch(prompts, 77);
  writeFileSync(join(dir, 'prompts.json'), JSON.stringify({ ids: [...enc.ids], eot: [...enc.eot], templates: DEFAULT_TEMPLATES.length }));
  console.log(`generated a ViT-B/32-shaped CLIP (${ckptMb.toFixed(0)} MB checkpoint, seeded) and ${IMAGES} images (PNG/JPEG, 96–639 px sides) in ${CLASSES} classes, ${prompts.length} prompts, in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  const env = { ...process.env, FBW_THREADS: THREADS, FBW_NATIVE_THREADS: THREADS, OMP_NUM_THREADS: THREADS, OPENBLAS_NUM_THREADS: THREADS };
  const f = spawnSync(process.execPath, [join(here, '_eval_b32.js'), modelDir, dataDir, BATCH], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (f.status !== 0) throw new Error(`fbw eval failed: ${(f.stderr || String(f.error)).trim().split('\n').slice(-3).join(' | ')}`);
  const fo = JSON.parse(f.stdout.trim().split('\n').pop()!) as Out;
  const p = spawnSync(python, [join(root, 'bench', 'torch_eval_b32.py'), modelDir, dataDir, join(dir, 'prompts.json'), '--batch', BATCH, '--threads', THREADS], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const po = p.status === 0 ? JSON.parse(p.stdout.trim().split('\n').pop()!) as Out : undefined;
  // one batch of activations at inference: the largest live tensors of one layer (the MLP
  // pre-activation and output, attention scores), plus the batch's pixels and patches
  const b = Number(BATCH), tokens = 50;
  const batchMb = (b * tokens * (3072 * 2 + 768 * 4) + b * 12 * tokens * tokens * 2 + b * 224 * 224 * 3 * 2) * 4 / 2 ** 20;
  const bound = 1.5 * ckptMb + batchMb;
  const line = (who: string, o: Out) => `${who}: ${o.img_s.toFixed(2)} img/s (image loop: decode, preprocess, vision tower, head), head ${o.head_s.toFixed(1)} s, whole run ${o.total_s.toFixed(1)} s, accuracy ${(o.accuracy * 100).toFixed(1)} %, loss ${o.loss.toFixed(4)}, peak RSS ${Math.round(o.peak_rss_mb)} MB`;
  console.log(`batch ${BATCH}, ${THREADS} thread(s)`);
  console.log(line('fbw    ', fo));
  console.log(`fbw image loop ${fo.eval_s!.toFixed(1)} s, of which decoding + preprocessing ${fo.decode_s!.toFixed(1)} s`);
  console.log(`fbw peak RSS ${Math.round(fo.peak_rss_mb)} MB vs bound 1.5 x checkpoint (${ckptMb.toFixed(0)} MB) + one batch of activations (${batchMb.toFixed(0)} MB) = ${bound.toFixed(0)} MB: ${fo.peak_rss_mb <= bound ? 'within' : 'OVER'}`);
  if (!po) {
    console.log(`pytorch unavailable: ${(p.stderr || String(p.error)).trim().split('\n').pop()} (install python3-torch python3-pil)`);
    console.log(`RESULT name=eval_b32 value=${fo.img_s.toFixed(2)} unit=img/s anchor=pytorch-unavailable ratio=0`);
    process.exitCode = 3;
  } else {
    console.log(line('pytorch', po));
    const agree = fo.preds.filter((x, i) => x === po.preds[i]).length;
    console.log(`same prediction for ${agree} of ${fo.preds.length} images; fbw/pytorch: speed ${(fo.img_s / po.img_s).toFixed(2)}x, whole run ${(po.total_s / fo.total_s).toFixed(2)}x, peak RSS pytorch/fbw ${(po.peak_rss_mb / fo.peak_rss_mb).toFixed(2)}x`);
    console.log(`load average at end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    console.log(`RESULT name=eval_b32 value=${fo.img_s.toFixed(2)} unit=img/s anchor=pytorch ratio=${(fo.img_s / po.img_s).toFixed(3)}`);
  }
} finally {
  if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
