// ImageFolder trees, torchvision's layout: ROOT/<split>/<class>/<image>.{png,jpg,jpeg}, classes
// are the sorted subfolder names (a classnames.json array beside the splits overrides the
// display names, a templates.json array the prompts). Images decode lazily, on first use.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { decodeImage } from './decodeImage.js';
import { DatasetFormatError, SplitMissing, readStringList } from './errors.js';
import { filesFingerprint } from './fingerprint.js';
import type { ImageSource } from './makeTaskDataset.js';
import type { Split } from './types.js';

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** Split folder names accepted for each split, in preference order. */
export const SPLIT_DIRS: { readonly [S in Split]: readonly string[] } = { train: ['train'], test: ['test', 'val', 'validation'] };

/** Split folder names by split; a declared data set may rename them (train_split, test_split). */
export type SplitDirs = { readonly [S in Split]: readonly string[] };

/** The folder of a split inside an ImageFolder root, or undefined. */
export function imageFolderSplitDir(root: string, split: Split, dirs: SplitDirs = SPLIT_DIRS): string | undefined {
  for (const d of dirs[split]) {
    const p = join(root, d);
    if (existsSync(p) && statSync(p).isDirectory()) return p;
  }
  return undefined;
}

/** Whether `root` looks like an ImageFolder tree (a split folder holding class folders). */
export function isImageFolder(root: string, dirs: SplitDirs = SPLIT_DIRS): boolean {
  for (const s of ['train', 'test'] as const) {
    const d = imageFolderSplitDir(root, s, dirs);
    if (d && readdirSync(d, { withFileTypes: true }).some((e) => e.isDirectory())) return true;
  }
  return false;
}

function readJsonArray(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  return readStringList(path);
}

/** Optional classnames.json / templates.json beside a data set's splits. */
export function sidecarPrompts(root: string): { classnames?: string[]; templates?: string[] } {
  const out: { classnames?: string[]; templates?: string[] } = {};
  const c = readJsonArray(join(root, 'classnames.json'));
  const t = readJsonArray(join(root, 'templates.json'));
  if (c) out.classnames = c;
  if (t) out.templates = t;
  return out;
}

/** Label of a class folder for a task with known class names: by name, by number, else by sorted position. */
export function folderLabelMapper(classnames: readonly string[], folders: readonly string[]): (folder: string, sortedIndex: number) => number {
  const norm = (s: string): string => s.toLowerCase().replace(/[_\s]+/g, ' ').trim();
  const byName = new Map(classnames.map((c, i) => [norm(c), i]));
  if (folders.every((f) => byName.has(norm(f)))) return (f) => byName.get(norm(f))!;
  if (folders.every((f) => /^\d+$/.test(f) && Number(f) < classnames.length)) return (f) => Number(f);
  return (_f, i) => i;
}

/** Class folder names of an ImageFolder tree (union over its splits, sorted). */
export function imageFolderClasses(root: string, dirs: SplitDirs = SPLIT_DIRS): string[] {
  const classSet = new Set<string>();
  for (const s of ['train', 'test'] as const) {
    const d = imageFolderSplitDir(root, s, dirs);
    if (d) for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) classSet.add(e.name);
  }
  return [...classSet].sort();
}

/** One split of an ImageFolder tree: file list, labels, lazy decoding, fingerprint of all files. */
export async function loadImageFolderSplit(
  root: string,
  split: Split,
  labelOf: (folder: string, sortedIndex: number) => number = (_f, i) => i,
  dirs: SplitDirs = SPLIT_DIRS,
): Promise<{ source: ImageSource; fingerprint: string; folderClasses: string[] }> {
  const dir = imageFolderSplitDir(root, split, dirs);
  if (!dir) throw new SplitMissing(root, split, `no ${dirs[split].join('/')} folder (ImageFolder layout: ROOT/${dirs[split][0]}/<class>/<image>.png)`);
  // classes from the union of train and test folders, so labels agree across splits
  const classes = imageFolderClasses(root, dirs);
  if (classes.length === 0) throw new DatasetFormatError(dir, 'has no class folders');
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((c, sortedIndex) => {
    const label = labelOf(c, sortedIndex);
    const cdir = join(dir, c);
    if (!existsSync(cdir)) return;
    for (const f of readdirSync(cdir).sort()) {
      if (!IMAGE_EXT.test(f)) continue;
      files.push(join(cdir, f));
      labels.push(label);
    }
  });
  if (files.length === 0) throw new DatasetFormatError(dir, 'has no .png/.jpg/.jpeg images in its class folders');
  // labels are part of the content: the same files under another class mapping are other data
  const fingerprint = await filesFingerprint(`imagefolder:${split}:${classes.map((c, i) => `${c}=${labelOf(c, i)}`).join(',')}`, files, (p) => relative(root, p));
  const labelArr = Int32Array.from(labels);
  return {
    folderClasses: classes,
    fingerprint,
    source: {
      size: files.length,
      label: (i) => labelArr[i]!,
      image: (i) => decodeImage(readFileSync(files[i]!), files[i]!),
    },
  };
}
