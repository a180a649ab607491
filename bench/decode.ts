// Image decoding + CLIP preprocessing throughput: fbw's decodeImage (JPEG via sharp/libjpeg-turbo,
// PNG via pngjs) + resizeCenterCrop (PIL's fixed-point bicubic) + normalisation, against Hugging
// Face's pipeline done the way CLIPImageProcessor does it — PIL decode/convert/resize, numpy crop
// and normalisation, torch tensor (bench/decode_pil.py, Debian python3-pil/numpy/torch) — on the
// same files in the same run, both single-threaded. The corpus is written by PIL: photo-like
// 500×375 JPEGs (4:2:0 baseline and progressive, 4:4:4, greyscale) and PNGs (RGB, palette, 16-bit),
// the kinds TA8's test sets hold. Also checks both give the same cropped bytes.
// usage: npm run bench -- decode [--images N] [--size S] [--reps R] [--python PATH]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { requirePythonModule } from './_anchor.js';
import { decodeImage, normalizeInto, resizeCenterCrop } from '../src/ml/data/index.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : dflt; };
const N = opt('images', 120), S = opt('size', 224), REPS = opt('reps', 3);
const pi = args.indexOf('--python');
const PY = pi >= 0 ? args[pi + 1]! : '/usr/bin/python3';
// the anchor (and the generator of the test images) is PIL + numpy + torch: say what to install when missing
requirePythonModule('decode', PY, 'PIL', 'python3-pil');
requirePythonModule('decode', PY, 'numpy', 'python3-numpy');
requirePythonModule('decode', PY, 'torch', 'python3-torch');
const here = dirname(fileURLToPath(import.meta.url));
const pyScript = join(here, '..', '..', 'bench', 'decode_pil.py');
const dir = mkdtempSync(join(tmpdir(), 'fbw-bench-decode-'));

const gen = `
import sys, numpy as np
from PIL import Image
out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
kinds = ['420', '420p', '444', 'grey', '420', '420', 'png', 'png_p', 'png16', '420']
for i in range(n):
    w, h = (500, 375) if i % 3 else (375, 500)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([(x * 0.5 + y * 0.3 + i) % 256, 128 + 100 * np.sin(x / (7 + i % 5)) * np.cos(y / 11), (y * 0.7 + rng.normal(0, 15, (h, w)))], -1).clip(0, 255).astype(np.uint8)
    im, k = Image.fromarray(a), kinds[i % len(kinds)]
    p = f'{out}/{i:04d}'
    if k == '420': im.save(p + '.jpg', quality=90, subsampling=2)
    elif k == '420p': im.save(p + '.jpg', quality=90, subsampling=2, progressive=True)
    elif k == '444': im.save(p + '.jpg', quality=90, subsampling=0)
    elif k == 'grey': im.convert('L').save(p + '.jpg', quality=90)
    elif k == 'png': im.save(p + '.png')
    elif k == 'png_p': im.convert('P', palette=Image.ADAPTIVE, colors=64).save(p + '.png')
    else: Image.fromarray((a[..., 0].astype(np.uint16) * 257)).save(p + '.png')
`;
const g = spawnSync(PY, ['-c', gen, dir, String(N)], { encoding: 'utf8' });
if (g.status !== 0) { console.error(g.stderr); process.exit(1); }
const files = Array.from({ length: N }, (_, i) => String(i).padStart(4, '0')).map((s) => {
  const jpg = join(dir, `${s}.jpg`), png = join(dir, `${s}.png`);
  try { readFileSync(jpg, { flag: 'r' }); return jpg; } catch { return png; }
});
const bytes = files.map((f) => readFileSync(f));

// fbw: bytes in memory (as a parquet column holds them) → normalised floats
const out = new Float32Array(S * S * 3);
let crc = 0;
for (const b of bytes) { const img = decodeImage(b, 'x'); crc = crc32(resizeCenterCrop(img.rgb, img.width, img.height, S), crc); }
let fbw = 0;
for (let r = 0; r < REPS; r++) {
  const t0 = performance.now();
  for (const b of bytes) {
    const img = decodeImage(b, 'x');
    normalizeInto(resizeCenterCrop(img.rgb, img.width, img.height, S), out, 0);
  }
  fbw = Math.max(fbw, N / ((performance.now() - t0) / 1000));
}

const py = spawnSync(PY, [pyScript, files.join('\n'), String(S), String(REPS)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
if (py.status !== 0) { console.error(py.stderr); process.exit(1); }
const pil = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { images_per_s: number; crc: number };
rmSync(dir, { recursive: true, force: true });
writeFileSync(1, `${N} images (JPEG 4:2:0/progressive/4:4:4/grey, PNG RGB/palette/16-bit), ${S}px, best of ${REPS}\n`);
console.log(`fbw  decode+preprocess: ${fbw.toFixed(1)} img/s`);
console.log(`PIL+numpy+torch (HF CLIPImageProcessor steps): ${pil.images_per_s.toFixed(1)} img/s`);
console.log(`same cropped bytes as PIL: ${crc === pil.crc ? 'yes' : `NO (crc ${crc} vs ${pil.crc})`}`);
if (crc !== pil.crc) process.exitCode = 1;
console.log(`RESULT name=decode value=${fbw.toFixed(1)} unit=img/s anchor=PIL_numpy_torch(${pil.images_per_s.toFixed(1)}img/s) ratio=${(fbw / pil.images_per_s).toFixed(3)}`);
