// Hugging Face parquet data sets, the layout of FusionBench's `tanganke/*` sets: files named
// `<split>-NNNNN-of-NNNNN.parquet` (or under a `<split>/` folder), an image column that is a
// struct {bytes, path} of PNG/JPEG bytes and an integer label column. Read with hyparquet.
// Compressed image bytes are held in memory and decoded on first use.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import * as zlib from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { decodeImage } from './decodeImage.js';
import { DatasetFormatError, SplitMissing, readStringList } from './errors.js';
import { combineFingerprints, filesFingerprint } from './fingerprint.js';
import type { ImageSource } from './makeTaskDataset.js';
import { hashString32, seededShuffle } from './SeededRng.js';
import type { Split } from './types.js';

// Page decompressors beyond hyparquet's built-in snappy, from node:zlib (zstd where this Node has it).
const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
const COMPRESSORS: { [codec: string]: (input: Uint8Array, outputLength: number) => Uint8Array } = {
  GZIP: (b) => zlib.gunzipSync(b),
  BROTLI: (b) => zlib.brotliDecompressSync(b),
  ...(zstd ? { ZSTD: (b: Uint8Array) => zstd(b) } : {}),
};

const SPLIT_WORDS: { readonly [S in Split]: readonly string[] } = { train: ['train'], test: ['test', 'validation', 'val'] };
const IMAGE_COLUMNS = ['image', 'img', 'images', 'pixel_values'];
const LABEL_COLUMNS = ['label', 'labels', 'fine_label', 'class', 'target'];

/** Every .parquet file under `root` (recursively), sorted. */
export function listParquetFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      // HF snapshot entries are symlinks into blobs/: follow them
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          isDir = statSync(p).isDirectory();
        } catch {
          continue; // dangling link (an interrupted download): not data
        }
      }
      if (isDir) walk(p);
      else if (e.name.endsWith('.parquet')) out.push(p);
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

function splitOf(root: string, file: string): string | undefined {
  const parts = relative(root, file).split(/[\\/]/);
  const name = parts.pop()!;
  for (const w of ['train', 'test', 'validation', 'val']) {
    if (parts.includes(w) || new RegExp(`^${w}([-_.]|$)`).test(name)) return w;
  }
  return undefined;
}

/** The parquet files of one split under `root` (test falls back to validation/val). */
export function parquetSplitFiles(root: string, split: Split): string[] {
  const files = listParquetFiles(root);
  for (const w of SPLIT_WORDS[split]) {
    const hit = files.filter((f) => splitOf(root, f) === w);
    if (hit.length > 0) return hit;
  }
  return [];
}

/**
 * Class names from a Hugging Face dataset card (README.md front matter:
 * dataset_info.features[].dtype.class_label.names, a map '0': name), or undefined.
 */
export function classnamesFromDatasetCard(readme: string): string[] | undefined {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readme);
  if (!m) return undefined;
  const lines = m[1]!.split(/\r?\n/);
  const at = lines.findIndex((l) => /^\s*names:\s*$/.test(l));
  if (at < 0) return undefined;
  const names: string[] = [];
  let indent = -1;
  for (let i = at + 1; i < lines.length; i++) {
    const l = lines[i]!;
    const mm = /^(\s*)(?:'(\d+)'|"(\d+)"|(\d+)):\s*(.*)$/.exec(l);
    if (!mm) break;
    if (indent < 0) indent = mm[1]!.length;
    else if (mm[1]!.length !== indent) break;
    const idx = Number(mm[2] ?? mm[3] ?? mm[4]);
    let v = mm[5]!.trim();
    if ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"'))) {
      v = v.startsWith("'") ? v.slice(1, -1).replaceAll("''", "'") : unquoteDouble(v);
    }
    names[idx] = v;
  }
  return names.length > 0 && names.every((n) => typeof n === 'string') ? names : undefined;
}

/** A YAML double-quoted scalar's text (its escapes are JSON's); one with a bad escape stays as written. */
function unquoteDouble(v: string): string {
  try { const s: unknown = JSON.parse(v); return typeof s === 'string' ? s : v; } catch { return v; }
}

/** Class names for a parquet folder: classnames.json or a dataset card README.md at or above it (up to `stop`). */
export function parquetFolderClassnames(root: string, stop: string = root): string[] | undefined {
  for (let d = root; ; d = dirname(d)) {
    const cj = join(d, 'classnames.json');
    if (existsSync(cj)) {
      return readStringList(cj);
    }
    const rd = join(d, 'README.md');
    if (existsSync(rd)) {
      const names = classnamesFromDatasetCard(readFileSync(rd, 'utf8'));
      if (names) return names;
    }
    if (d === stop || dirname(d) === d || !d.startsWith(stop)) return undefined;
  }
}

// The bytes of an image cell: raw bytes, or the `datasets` Image struct {bytes, path} (bytes
// null when the image was stored by path, relative to the parquet file's folder).
function imageBytes(v: unknown, where: string, dir: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v && typeof v === 'object') {
    const cell = v as { bytes?: unknown; path?: unknown };
    if (cell.bytes instanceof Uint8Array) return cell.bytes;
    if (typeof cell.path === 'string' && cell.path.length > 0) {
      const p = cell.path.startsWith('/') ? cell.path : join(dir, cell.path);
      if (existsSync(p)) return readFileSync(p);
      throw new DatasetFormatError(where, `image is stored by path '${cell.path}', which does not exist (looked at ${p})`);
    }
  }
  throw new DatasetFormatError(where, 'image cell is not PNG/JPEG bytes nor a {bytes, path} struct');
}

/**
 * One split of a parquet folder. With maxExamples, a seeded subset of rows is kept (the same
 * rule as makeTaskDataset uses) and only their image bytes stay in memory.
 */
export async function loadParquetSplit(
  root: string,
  split: Split,
  maxExamples?: number,
  columns: { readonly image?: string; readonly label?: string } = {},
): Promise<{ source: ImageSource; fingerprint: string; numClasses: number }> {
  const files = parquetSplitFiles(root, split);
  if (files.length === 0) throw new SplitMissing(root, split, `no parquet files for split '${split}' (expected names like ${split}-00000-of-00001.parquet)`);
  const fingerprint = await filesFingerprint(`parquet:${split}`, files, (p) => relative(root, p));
  const labels: number[] = [];
  const images: Uint8Array[] = [];
  const where: string[] = [];
  for (const f of files) {
    const file = await asyncBufferFromFile(f);
    let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
    try {
      metadata = await parquetMetadataAsync(file);
    } catch (e) {
      throw new DatasetFormatError(f, `not a readable parquet file (${(e as Error).message})`);
    }
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    // declared columns are the only candidates; otherwise the usual names, in order
    const imgCands = columns.image ? [columns.image] : IMAGE_COLUMNS;
    const lblCands = columns.label ? [columns.label] : LABEL_COLUMNS;
    const imgCol = imgCands.find((c) => names.includes(c));
    const lblCol = lblCands.find((c) => names.includes(c));
    if (!imgCol || !lblCol) {
      throw new DatasetFormatError(f, `needs an image column (${imgCands.join('/')}) and a label column (${lblCands.join('/')}); has ${names.join(', ')}`);
    }
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, columns: [imgCol, lblCol], utf8: false, compressors: COMPRESSORS });
    } catch (e) {
      throw new DatasetFormatError(f, `cannot read parquet data (${(e as Error).message}); fbw reads uncompressed, snappy, gzip and brotli parquet files${zstd ? ' and zstd' : ''}; rewrite it with one of those`);
    }
    rows.forEach((r, i) => {
      const l = Number(r[lblCol]);
      if (!Number.isInteger(l) || l < 0) throw new DatasetFormatError(f, `row ${i}: label ${String(r[lblCol])} is not a class index`);
      labels.push(l);
      images.push(imageBytes(r[imgCol], `${f} row ${i}`, dirname(f)));
      where.push(`${f} row ${i}`); // the full path: a corrupt image is found by file and row
    });
  }
  let keep: ArrayLike<number> | undefined;
  if (maxExamples !== undefined && maxExamples < labels.length) {
    keep = seededShuffle(labels.length, hashString32(`parquet:${root}:${split}`)).subarray(0, maxExamples).slice().sort();
  }
  const idx = keep ? Array.from(keep) : labels.map((_, i) => i);
  const lbl = Int32Array.from(idx, (i) => labels[i]!);
  const bytes = idx.map((i) => images[i]!);
  const names = idx.map((i) => where[i]!);
  return {
    fingerprint: keep ? combineFingerprints([fingerprint, `maxExamples=${maxExamples}`]) : fingerprint,
    numClasses: labels.reduce((a, b) => Math.max(a, b + 1), 0),
    source: { size: idx.length, label: (i) => lbl[i]!, image: (i) => decodeImage(bytes[i]!, names[i]!) },
  };
}
