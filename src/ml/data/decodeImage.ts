// PNG and JPEG decoding to 8-bit RGB with the pixels PIL gives for `Image.open(f).convert("RGB")`,
// the first step of Hugging Face's CLIPImageProcessor:
//  - JPEG: libjpeg-turbo through sharp (libvips), the decoder PIL uses, with its defaults (islow
//    IDCT, fancy upsampling): byte-identical for baseline and progressive, 4:4:4 / 4:2:2 / 4:2:0
//    and grayscale (test/ml-data/pil.test.ts). CMYK/YCCK JPEGs are refused with a clear message.
//  - PNG: pngjs for the samples, then PIL's mode rules: alpha dropped (not composited), palette
//    looked up, 1/2/4-bit grey scaled to 0..255, 16-bit colour and grey+alpha keep the high byte,
//    16-bit grey is clipped to 255 (PIL opens it as a 32-bit integer image "I" and convert clips),
//    and a tRNS colour key changes no pixel.
// The header is read first: an image larger than PIL's decompression-bomb limit is refused
// before any pixel is decoded.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { PNG } from 'pngjs';
import { DatasetFormatError } from './errors.js';
import { describeFsError } from '../../util/fsErrors.js';
import type { RgbImage } from './types.js';

/** PIL's Image.MAX_IMAGE_PIXELS (89,478,485 px): PIL warns above it and refuses images over twice it, as fbw does. */
export const MAX_IMAGE_PIXELS = 89_478_485;

/** An image whose header claims more pixels than fbw decodes (a decompression bomb, or a mistake). */
export class DecompressionBombError extends DatasetFormatError {
  constructor(path: string, readonly width: number, readonly height: number) {
    super(path, `image is ${width}×${height} = ${width * height} pixels, over the limit of ${2 * MAX_IMAGE_PIXELS} (twice PIL's MAX_IMAGE_PIXELS); refusing to decode it (a decompression bomb or a wrong file)`);
    this.name = 'DecompressionBombError';
  }
}

/** What the header says, read without decoding pixels. */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  /** PNG: bit depth and colour type; JPEG: number of components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK) */
  readonly bitDepth?: number;
  readonly colorType?: number;
  readonly components?: number;
}

const isPng = (b: Uint8Array): boolean => b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number): number => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/** Format, size and layout from the file header; undefined when it is not a PNG/JPEG or the header is cut. */
export function readImageHeader(b: Uint8Array): ImageHeader | undefined {
  if (isPng(b)) {
    // IHDR is the first chunk: width, height, bit depth, colour type
    return { format: 'png', width: u32(b, 16), height: u32(b, 20), bitDepth: b[24]!, colorType: b[25]! };
  }
  if (isJpeg(b)) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1]!;
      if (marker === 0xff) { i++; continue; } // fill byte
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { i += 2; continue; }
      const len = u16(b, i + 2);
      // SOF0..SOF15 except DHT (c4), JPG (c8), DAC (cc)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'jpeg', height: u16(b, i + 5), width: u16(b, i + 7), components: b[i + 9]! };
      }
      i += 2 + len;
    }
  }
  return undefined;
}

// ---- PNG -------------------------------------------------------------------------------------

// a colour-key tRNS (grey or RGB images) makes pngjs zero the keyed pixels; PIL's convert("RGB")
// keeps them, so the chunk is dropped before decoding (palette tRNS only sets alpha, kept)
function withoutColourKey(b: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  let i = 8, dropped = false;
  while (i + 12 <= b.length) {
    const len = u32(b, i);
    const type = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    const end = i + 12 + len;
    if (type === 'tRNS') dropped = true;
    else parts.push(b.subarray(i, end));
    i = end;
    if (type === 'IEND') break;
  }
  return dropped ? Buffer.concat(parts) : b;
}

function decodePng(bytes: Uint8Array, h: ImageHeader): RgbImage {
  const colorType = h.colorType!, depth = h.bitDepth!;
  const src = colorType === 0 || colorType === 2 ? withoutColourKey(bytes) : bytes;
  const png = PNG.sync.read(Buffer.from(src.buffer, src.byteOffset, src.byteLength), { skipRescale: true });
  const { width, height } = png;
  const d = png.data as unknown as ArrayLike<number>; // RGBA samples at the file's bit depth (palette: 8-bit)
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  let conv: (v: number) => number;
  if (colorType === 3) conv = (v) => v;
  else if (depth === 16) conv = colorType === 0 ? (v) => (v > 255 ? 255 : v) : (v) => v >> 8;
  else if (depth < 8) { const m = 255 / ((1 << depth) - 1); conv = (v) => v * m; }
  else conv = (v) => v;
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = conv(d[i * 4]!);
    rgb[i * 3 + 1] = conv(d[i * 4 + 1]!);
    rgb[i * 3 + 2] = conv(d[i * 4 + 2]!);
  }
  return { width, height, rgb };
}

// ---- JPEG (sharp in a worker thread, waited for synchronously) ---------------------------------

interface JpegAnswer { id: number; width?: number; height?: number; channels?: number; pixels?: Uint8Array; error?: string }
let bridge: { worker: Worker; port: MessageChannel['port2']; flag: Int32Array; next: number } | undefined;

function jpegBridge(): NonNullable<typeof bridge> {
  if (bridge) return bridge;
  try {
    createRequire(import.meta.url).resolve('sharp');
  } catch {
    throw new Error('JPEG decoding needs the npm package sharp (a dependency of fbw): run `npm ci` / `npm install` in the fbw folder');
  }
  const shared = new SharedArrayBuffer(4);
  const flag = new Int32Array(shared);
  // requests and answers travel on a channel whose near end is read with receiveMessageOnPort
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./jpegWorker.js', import.meta.url), { workerData: { flag: shared, port: port1 }, transferList: [port1] });
  worker.unref();
  port2.unref();
  bridge = { worker, port: port2, flag, next: 0 };
  return bridge;
}

function decodeJpeg(bytes: Uint8Array, name: string, h: ImageHeader): RgbImage {
  if (h.components === 4) {
    throw new DatasetFormatError(name, 'is a CMYK (or YCCK) JPEG; fbw reads RGB and greyscale JPEGs only (convert it to RGB first, e.g. PIL Image.convert("RGB").save(...))');
  }
  const b = jpegBridge();
  const id = ++b.next;
  Atomics.store(b.flag, 0, 0);
  b.port.postMessage({ id, bytes });
  // wait for the worker's answer (it sets the flag after posting)
  while (Atomics.wait(b.flag, 0, 0, 60_000) === 'timed-out') { /* a huge image: keep waiting */ }
  let msg: { message: JpegAnswer } | undefined;
  while ((msg = receiveMessageOnPort(b.port) as { message: JpegAnswer } | undefined) && msg.message.id !== id) { /* stale */ }
  const a = msg?.message;
  if (!a) throw new Error('JPEG decoder worker did not answer');
  if (a.error !== undefined) throw new DatasetFormatError(name, `cannot decode image (${a.error})`);
  const { width, height, channels, pixels } = a as Required<JpegAnswer>;
  const n = width * height;
  if (channels === 3) return { width, height, rgb: pixels };
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = pixels[i * channels]!;
    rgb[i * 3] = v; rgb[i * 3 + 1] = channels === 1 ? v : pixels[i * channels + 1]!; rgb[i * 3 + 2] = channels === 1 ? v : pixels[i * channels + 2]!;
  }
  return { width, height, rgb };
}

/** A decoder's own wording (pngjs: "There are some read requests waitng on finished stream") in plain words. */
function decoderReason(format: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/read requests|finished stream|end of (file|input|data)|unexpected end|out of (range|bounds)|marker was not found|premature end/i.test(msg)) {
    return `truncated ${format} image (the file ends before its image data does)`;
  }
  return `corrupt ${format} image (${msg.replace(/\.$/, '')})`;
}

/** Decode PNG or JPEG bytes (detected by their magic number) to RGB as PIL's convert("RGB"); `name` is used in errors. */
export function decodeImage(bytes: Uint8Array, name: string): RgbImage {
  if (bytes.length === 0) throw new DatasetFormatError(name, 'empty file (0 bytes), not an image');
  const h = readImageHeader(bytes);
  if (!h) {
    if (isPng(bytes) || isJpeg(bytes)) throw new DatasetFormatError(name, `truncated ${isPng(bytes) ? 'PNG' : 'JPEG'} image (its header is incomplete or corrupt)`);
    throw new DatasetFormatError(name, 'not a PNG or JPEG image (fbw reads PNG and JPEG; convert other formats first)');
  }
  if (h.width < 1 || h.height < 1) throw new DatasetFormatError(name, `cannot decode image (header says ${h.width}×${h.height})`);
  if (h.width * h.height > 2 * MAX_IMAGE_PIXELS) throw new DecompressionBombError(name, h.width, h.height);
  try {
    return h.format === 'png' ? decodePng(bytes, h) : decodeJpeg(bytes, name, h);
  } catch (e) {
    if (e instanceof DatasetFormatError) throw e;
    throw new DatasetFormatError(name, decoderReason(h.format === 'png' ? 'PNG' : 'JPEG', e));
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
