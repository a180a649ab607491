// Fashion-MNIST from its idx files (Xiao et al. 2017, https://github.com/zalandoresearch/fashion-mnist;
// idx format as on Yann LeCun's MNIST page: big-endian magic 0x00000803 for images [n, rows, cols],
// 0x00000801 for labels). Debian's dataset-fashion-mnist installs them gzipped under
// /usr/share/datasets/fashion-mnist; plain (gunzipped) files are accepted too.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetFormatError } from './errors.js';
import { filesFingerprint } from './fingerprint.js';
import { denseSource, type ImageSource } from './makeTaskDataset.js';
import type { Split } from './types.js';

/** Where Debian's dataset-fashion-mnist puts the idx files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const FILES: { readonly [S in Split]: { readonly images: string; readonly labels: string } } = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

function findFile(dir: string, base: string): string | undefined {
  for (const f of [`${base}.gz`, base]) if (existsSync(join(dir, f))) return join(dir, f);
  return undefined;
}

/** The idx file pair of a split in `dir`, or undefined if either file is missing. */
export function findIdxFiles(dir: string, split: Split): { images: string; labels: string } | undefined {
  const images = findFile(dir, FILES[split].images);
  const labels = findFile(dir, FILES[split].labels);
  return images && labels ? { images, labels } : undefined;
}

function readIdx(path: string, magic: number): { dims: number[]; data: Uint8Array } {
  let buf = readFileSync(path);
  if (path.endsWith('.gz')) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DatasetFormatError(path, `not a valid gzip file (${(e as Error).message}); reinstall it`);
    }
  }
  if (buf.length < 8 || buf.readUInt32BE(0) !== magic) {
    throw new DatasetFormatError(path, `not an idx file (expected magic 0x${magic.toString(16).padStart(8, '0')})`);
  }
  const nd = magic & 0xff;
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const off = 4 + 4 * nd;
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length < off + count) throw new DatasetFormatError(path, `truncated: header says ${count} bytes of data, file has ${buf.length - off}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + off, count) };
}

const memo = new Map<string, { source: ImageSource; fingerprint: string }>();

/** One split of Fashion-MNIST from idx files in `dir`. */
export async function loadIdxSplit(dir: string, split: Split): Promise<{ source: ImageSource; fingerprint: string }> {
  const files = findIdxFiles(dir, split);
  if (!files) throw new DatasetFormatError(dir, `missing ${FILES[split].images}(.gz) or ${FILES[split].labels}(.gz)`);
  const fingerprint = await filesFingerprint(`idx:${split}`, [files.images, files.labels], (p) => p.slice(p.lastIndexOf('/') + 1));
  const hit = memo.get(fingerprint);
  if (hit) return hit;
  const images = readIdx(files.images, 0x00000803);
  const labels = readIdx(files.labels, 0x00000801);
  const [n, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) throw new DatasetFormatError(files.labels, `has ${labels.dims[0]} labels but ${files.images} has ${n} images`);
  const out = { source: denseSource(images.data, labels.data, cols, rows, 1), fingerprint };
  memo.set(fingerprint, out);
  return out;
}
