// PNG (pngjs) and JPEG (jpeg-js) decoding to 8-bit RGB. Alpha is dropped and grey is expanded,
// as PIL's Image.convert("RGB") does in Hugging Face's CLIP preprocessing.
import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetFormatError } from './errors.js';
import type { RgbImage } from './types.js';

function rgbaToRgb(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = rgba[i * 4]!;
    out[i * 3 + 1] = rgba[i * 4 + 1]!;
    out[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return out;
}

/** Decode PNG or JPEG bytes (detected by their magic number); `name` is used in errors. */
export function decodeImage(bytes: Uint8Array, name: string): RgbImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgb: rgbaToRgb(png.data, png.width, png.height) };
    }
    if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, rgb: rgbaToRgb(img.data, img.width, img.height) };
    }
  } catch (e) {
    throw new DatasetFormatError(name, `cannot decode image (${(e as Error).message})`);
  }
  throw new DatasetFormatError(name, 'not a PNG or JPEG image (fbw reads PNG and JPEG; convert other formats first)');
}

/** Read and decode one PNG/JPEG file to RGB bytes (for `fbw predict`). */
export async function loadImageFile(path: string): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DatasetFormatError(path, `cannot read image file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeImage(bytes, path);
}
