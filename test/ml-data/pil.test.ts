// Pixels identical to PIL's. test/ml-data/pil_corpus.py (Debian python3-pil) writes JPEGs
// (baseline and progressive; 4:4:4, 4:2:2, 4:2:0; grey; odd sizes; CMYK) and PNGs (RGB, RGBA, L,
// LA, palette with and without tRNS, 1/2/4/16-bit grey, 16-bit RGB/RGBA/LA, colour-key tRNS), with
// PIL's convert("RGB") bytes and the bytes of CLIPImageProcessor's resize (shortest side, bicubic)
// + center crop done with PIL. fbw's decodeImage and resizeCenterCrop must give the same bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetFormatError, decodeImage, resizeCenterCrop } from '../../src/ml/data/index.js';
import { DecompressionBombError, MAX_IMAGE_PIXELS, readImageHeader } from '../../src/ml/data/decodeImage.js';

const PY = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../test/ml-data/pil_corpus.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fbw-pil-'));

interface Entry { file: string; width?: number; height?: number; rgb?: string; crops?: { [s: string]: string }; refuse?: string; mode?: string }
let manifest: Entry[] = [];

function firstDiff(a: Uint8Array, b: Uint8Array): string {
  let n = 0, max = 0, first = -1;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i]! - b[i]!); if (d) { n++; max = Math.max(max, d); if (first < 0) first = i; } }
  return `${n} of ${a.length} bytes differ (max ${max}, first at byte ${first})`;
}

test.before(() => {
  const r = spawnSync(PY, [SCRIPT, dir], { encoding: 'utf8' });
  assert.is(r.status, 0, `${PY} ${SCRIPT} failed (needs python3-pil and numpy):\n${r.stderr}`);
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Entry[];
});

test('every JPEG and PNG decodes to PIL\'s convert("RGB") bytes', () => {
  const decoded = manifest.filter((e) => !e.refuse);
  assert.ok(decoded.length >= 30, `corpus has ${decoded.length} images`);
  for (const e of decoded) {
    const img = decodeImage(readFileSync(join(dir, e.file)), e.file);
    assert.equal([img.width, img.height], [e.width, e.height], e.file);
    const want = readFileSync(join(dir, e.rgb!));
    assert.ok(Buffer.from(img.rgb).equals(want), `${e.file} (PIL mode ${e.mode}): ${firstDiff(img.rgb, want)}`);
  }
});

test('resize (shortest side, PIL bicubic in fixed point) + center crop equal PIL\'s bytes', () => {
  for (const e of manifest.filter((x) => !x.refuse)) {
    const img = decodeImage(readFileSync(join(dir, e.file)), e.file);
    for (const [s, f] of Object.entries(e.crops!)) {
      const got = resizeCenterCrop(img.rgb, img.width, img.height, Number(s));
      const want = readFileSync(join(dir, f));
      assert.ok(Buffer.from(got).equals(want), `${e.file} at ${s}: ${firstDiff(got, want)}`);
    }
  }
});

test('a CMYK JPEG is refused with one clear line', () => {
  const e = manifest.find((x) => x.refuse === 'CMYK')!;
  assert.throws(() => decodeImage(readFileSync(join(dir, e.file)), e.file), (err: unknown) => err instanceof DatasetFormatError && /CMYK/.test((err as Error).message) && !(err as Error).message.includes('\n'));
});

test('a decompression bomb is refused from its header, before decoding', () => {
  // a real PNG header claiming 20000×20000 (400 M pixels) with almost no data behind it
  const png = readFileSync(join(dir, 'rgb8.png'));
  const bomb = Buffer.from(png);
  bomb.writeUInt32BE(20000, 16);
  bomb.writeUInt32BE(20000, 20);
  assert.equal(readImageHeader(bomb), { format: 'png', width: 20000, height: 20000, bitDepth: 8, colorType: 2 });
  assert.throws(() => decodeImage(bomb, 'bomb.png'), (e: unknown) => e instanceof DecompressionBombError && (e as Error).message.includes(String(2 * MAX_IMAGE_PIXELS)));
  // the same for a JPEG: the SOF marker's size is checked
  const jpg = Buffer.from(readFileSync(join(dir, 'j500x375_420.jpg')));
  const h = readImageHeader(jpg)!;
  assert.equal([h.format, h.width, h.height, h.components], ['jpeg', 500, 375, 3]);
  for (let i = 2; i < jpg.length - 9; i++) {
    if (jpg[i] === 0xff && jpg[i + 1] === 0xc0) { jpg.writeUInt16BE(30000, i + 5); jpg.writeUInt16BE(30000, i + 7); break; }
  }
  assert.throws(() => decodeImage(jpg, 'bomb.jpg'), (e: unknown) => e instanceof DecompressionBombError);
  writeFileSync(join(dir, 'trunc.jpg'), jpg.subarray(0, 4));
  assert.throws(() => decodeImage(readFileSync(join(dir, 'trunc.jpg')), 'trunc.jpg'), (e: unknown) => e instanceof DatasetFormatError);
});

test.run();
