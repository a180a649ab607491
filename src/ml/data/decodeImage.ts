// PNG (pngjs) and JPEG (jpeg-js) decoding to 8-bit RGB. Alpha is dropped and grey is expanded,
// as PIL's Image.convert("RGB") does in Hugging Face's CLIP preprocessing.
import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetFormatError } from './errors.js';
import { isJpeg, isPng, MAX_IMAGE_PIXELS, readImageHeader } from './imageHeader.js';
import { describeFsError } from '../../util/fsErrors.js';
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

/** A decoder's own wording (pngjs, jpeg-js) in plain words: most failures are a file cut short. */
function decoderReason(format: 'PNG' | 'JPEG', e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // pngjs: "There are some read requests waitng on finished stream", "unexpected end of file";
  // jpeg-js: "marker was not found", offsets read past the buffer
  if (/read requests|finished stream|end of (file|input|data)|unexpected end|out of (range|bounds)|marker was not found|cannot read propert/i.test(msg)) {
    return `truncated ${format} image (the file ends before its image data does)`;
  }
  return `corrupt ${format} image (${msg.replace(/\.$/, '').toLowerCase()})`;
}

/** Decode PNG or JPEG bytes (detected by their magic number); `name` is used in errors. */
export function decodeImage(bytes: Uint8Array, name: string): RgbImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) throw new DatasetFormatError(name, 'empty file (0 bytes), not an image');
  const png = isPng(buf), jpg = isJpeg(buf);
  if (!png && !jpg) throw new DatasetFormatError(name, 'not a PNG or JPEG image (fbw reads PNG and JPEG; convert other formats first)');
  const format = png ? 'PNG' : 'JPEG';
  // the size comes from the header: a decompression bomb is refused before any pixel is decoded
  const header = readImageHeader(buf);
  if (!header) throw new DatasetFormatError(name, `truncated ${format} image (its header is incomplete)`);
  if (header.width === 0 || header.height === 0) throw new DatasetFormatError(name, `corrupt ${format} image (size ${header.width}×${header.height})`);
  if (header.width * header.height > MAX_IMAGE_PIXELS) {
    throw new DatasetFormatError(name, `image too large to decode: ${header.width}×${header.height} = ${(header.width * header.height / 1e6).toFixed(0)} Mpx (limit ${(MAX_IMAGE_PIXELS / 1e6).toFixed(1)} Mpx); downscale it first`);
  }
  try {
    if (png) {
      const img = PNG.sync.read(buf);
      return { width: img.width, height: img.height, rgb: rgbaToRgb(img.data, img.width, img.height) };
    }
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, rgb: rgbaToRgb(img.data, img.width, img.height) };
  } catch (e) {
    throw new DatasetFormatError(name, decoderReason(format, e));
  }
}

/** Read and decode one PNG/JPEG file to RGB bytes (for `fbw predict`). */
export async function loadImageFile(path: string): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DatasetFormatError(path, (e as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a folder, not an image file' : `cannot read it: ${describeFsError(e)}`);
  }
  return decodeImage(bytes, path);
}
