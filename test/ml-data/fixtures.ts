// Small real data-set fixtures, generated deterministically from the synthetic shapes task:
// an ImageFolder tree of PNG and JPEG files and a Hugging Face cache folder holding a parquet
// data set in the tanganke/* layout. `node dist/test/ml-data/fixtures.js` rewrites the copies
// committed under test/fixtures/data/; tests regenerate into temp folders and compare.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { generateSynthetic, syntheticTask } from '../../src/ml/data/synthetic/generateSynthetic.js';
import { writeImageParquet } from './parquetWriter.js';

/** Class folders of the fixtures (first three synth_shapes classes). */
export const FIXTURE_CLASSES = ['circle', 'square', 'triangle'] as const;

// nearest-neighbour upscale of a 32×32 RGB image to w×h, so fixtures are not all 32×32
function scaled(rgb: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const s = (Math.floor((y * 32) / h) * 32 + Math.floor((x * 32) / w)) * 3;
    out.set(rgb.subarray(s, s + 3), (y * w + x) * 3);
  }
  return out;
}

function encodePng(rgb: Uint8Array, w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    png.data[i * 4] = rgb[i * 3]!;
    png.data[i * 4 + 1] = rgb[i * 3 + 1]!;
    png.data[i * 4 + 2] = rgb[i * 3 + 2]!;
    png.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

function encodeJpeg(rgb: Uint8Array, w: number, h: number): Buffer {
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    rgba[i * 4] = rgb[i * 3]!;
    rgba[i * 4 + 1] = rgb[i * 3 + 1]!;
    rgba[i * 4 + 2] = rgb[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: w, height: h }, 90).data;
}

/** Fixture examples: per split, per class, a few encoded images (PNG and JPEG, varied sizes). */
export function fixtureImages(split: 'train' | 'test'): { cls: number; name: string; bytes: Buffer }[] {
  const { source } = generateSynthetic(syntheticTask('synth_shapes')!, split, 64);
  const perClass = split === 'train' ? 4 : 2;
  const out: { cls: number; name: string; bytes: Buffer }[] = [];
  for (let c = 0; c < FIXTURE_CLASSES.length; c++) {
    for (let k = 0; k < perClass; k++) {
      const i = c + 8 * k; // synth_shapes labels cycle through 8 classes
      const img = source.image(i);
      const [w, h] = k % 2 === 0 ? [32, 32] : [40, 48];
      const rgb = w === 32 && h === 32 ? img.rgb : scaled(img.rgb, w, h);
      const jpg = k === perClass - 1;
      out.push({ cls: c, name: `${FIXTURE_CLASSES[c]}_${k}.${jpg ? 'jpg' : 'png'}`, bytes: jpg ? encodeJpeg(rgb, w, h) : encodePng(rgb, w, h) });
    }
  }
  return out;
}

/** Write the ImageFolder fixture: root/{train,test}/<class>/*.{png,jpg}. */
export function writeImageFolderFixture(root: string): void {
  for (const split of ['train', 'test'] as const) {
    for (const ex of fixtureImages(split)) {
      const p = join(root, split, FIXTURE_CLASSES[ex.cls]!, ex.name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, ex.bytes);
    }
  }
}

/** A fixed fake snapshot hash for the parquet fixture's HF cache layout. */
export const FIXTURE_SNAPSHOT = '0123456789abcdef0123456789abcdef01234567';

/** Write a Hugging Face cache (HF_HOME) holding datasets--tanganke--REPO with parquet splits and a dataset card. */
export function writeParquetFixture(hfHome: string, repo = 'fbw_tiny_shapes'): string {
  const snap = join(hfHome, 'hub', `datasets--tanganke--${repo}`, 'snapshots', FIXTURE_SNAPSHOT);
  mkdirSync(join(snap, 'data'), { recursive: true });
  for (const split of ['train', 'test'] as const) {
    const rows = fixtureImages(split).map((ex) => ({ bytes: ex.bytes, path: ex.name, label: ex.cls }));
    writeFileSync(join(snap, 'data', `${split}-00000-of-00001.parquet`), writeImageParquet(rows));
  }
  const card = [
    '---',
    'dataset_info:',
    '  features:',
    '  - name: image',
    '    dtype: image',
    '  - name: label',
    '    dtype:',
    '      class_label:',
    '        names:',
    ...FIXTURE_CLASSES.map((c, i) => `          '${i}': ${c}`),
    '  splits:',
    '  - name: train',
    '    num_examples: 12',
    '---',
    '# fbw tiny shapes (test fixture)',
    '',
  ].join('\n');
  writeFileSync(join(snap, 'README.md'), card);
  return snap;
}

/** Where the committed copies live. */
export const COMMITTED_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'data');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeImageFolderFixture(join(COMMITTED_FIXTURES, 'imagefolder_shapes'));
  writeParquetFixture(join(COMMITTED_FIXTURES, 'hf_home'));
  console.log(`wrote fixtures under ${COMMITTED_FIXTURES}`);
}
