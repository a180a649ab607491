// The one entry point stages use to get data: a task name (built-in, alias, or a local folder
// path) and a split in, a TaskDataset out. Built-in names resolve to files already on this
// machine; nothing is ever downloaded, and a missing data set says where fbw looked.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DatasetFormatError, DatasetNotFound, UnknownTask } from './errors.js';
import { DEBIAN_FASHION_MNIST_DIR, findIdxFiles, loadIdxSplit } from './fashionMnist.js';
import { combineFingerprints } from './fingerprint.js';
import { loadImageFolderSplit, sidecarPrompts } from './imageFolder.js';
import { classifyFolder, defaultDataRoot, locateDataset, type Located } from './locate.js';
import { makeTaskDataset, type ImageSource } from './makeTaskDataset.js';
import { loadMnist } from './mnist.js';
import { loadParquetSplit, parquetFolderClassnames } from './parquet.js';
import { findBuiltinTask, taskNames, type BuiltinTask } from './registry.js';
import { SYNTHETIC_SPLIT_SIZE, generateSynthetic, syntheticTask } from './synthetic/generateSynthetic.js';
import { didYouMean } from '../../util/suggest.js';
import type { LoadTaskOptions, Split, TaskDataset } from './types.js';

/** Prompt templates for a local folder without templates.json. */
export const DEFAULT_TEMPLATES: readonly string[] = ['a photo of a {}.'];

/** Whether a task name is a filesystem path rather than a built-in name. */
export function isPathLike(name: string): boolean {
  return name.includes('/') || name.includes('\\') || name.startsWith('.') || name.startsWith('~');
}

function checkLabels(name: string, where: string, src: ImageSource, numClasses: number): void {
  for (let i = 0; i < src.size; i++) {
    const l = src.label(i);
    if (l >= numClasses) {
      throw new DatasetFormatError(where, `label ${l} of example ${i} is out of range for ${name}'s ${numClasses} classes (wrong data set in this folder, or class names missing)`);
    }
  }
}

async function loadLocated(task: BuiltinTask | undefined, name: string, at: Located, split: Split, opts: LoadTaskOptions): Promise<TaskDataset> {
  const side = sidecarPrompts(at.root);
  if (at.kind === 'imagefolder') {
    const { source, fingerprint, folderClasses } = await loadImageFolderSplit(at.root, split);
    const classnames = task?.classnames ?? side.classnames ?? folderClasses;
    if (classnames.length < folderClasses.length) {
      throw new DatasetFormatError(at.root, `has ${folderClasses.length} class folders but ${name} has ${classnames.length} class names`);
    }
    const templates = task?.templates ?? side.templates ?? DEFAULT_TEMPLATES;
    return makeTaskDataset({ name, split, classnames, templates, fingerprint }, source, opts.maxExamples);
  }
  const { source, fingerprint, numClasses } = await loadParquetSplit(at.root, split, opts.maxExamples);
  const classnames = task?.classnames ?? parquetFolderClassnames(at.root, at.stop) ?? Array.from({ length: numClasses }, (_, i) => String(i));
  checkLabels(name, at.root, source, classnames.length);
  const templates = task?.templates ?? side.templates ?? DEFAULT_TEMPLATES;
  return makeTaskDataset({ name, split, classnames, templates, fingerprint }, source);
}

function hubHint(task: BuiltinTask, dataRoot: string): string {
  const id = task.hubIds[0];
  return (
    'Provide it in one of these ways:\n' +
    (id ? `  - on a machine with network access: \`huggingface-cli download --repo-type dataset ${id}\`, then copy the cache (HF_HOME) here;\n` : '') +
    `  - put an ImageFolder tree (train/<class>/*.png, test/<class>/*.png) or the parquet files in ${join(dataRoot, task.name)} (or set FBW_DATA);\n` +
    '  - or name a local folder instead of the built-in name in the workflow.'
  );
}

/** Load one split of a task: built-in name or alias, or a path to an ImageFolder/parquet folder. */
export async function loadTask(name: string, split: Split, opts: LoadTaskOptions = {}): Promise<TaskDataset> {
  if (isPathLike(name)) {
    const dir = resolve(name.startsWith('~') ? name.replace('~', process.env.HOME ?? '') : name);
    const at = classifyFolder(dir);
    if (!at) {
      throw new DatasetNotFound(name, [dir], existsSync(dir)
        ? 'The folder exists but is neither an ImageFolder tree (train/<class>/*.png, test/<class>/*.png) nor a folder of parquet files.'
        : 'No such folder: check the path (relative paths are relative to the current directory).');
    }
    return loadLocated(undefined, basename(dir), at, split, opts);
  }
  const task = findBuiltinTask(name);
  if (!task) throw new UnknownTask(name, didYouMean(name, taskNames()));
  const dataRoot = opts.dataRoot ?? defaultDataRoot();
  const meta = { name: task.name, split, classnames: task.classnames, templates: task.templates };
  switch (task.source) {
    case 'npm': {
      const { source, fingerprint } = await loadMnist(split);
      return makeTaskDataset({ ...meta, fingerprint }, source, opts.maxExamples);
    }
    case 'synthetic': {
      const gen = syntheticTask(task.name)!;
      const n = opts.maxExamples;
      const { source, fingerprint } = n === undefined ? generateSynthetic(gen, split) : generateSynthetic(gen, split, Math.min(n, SYNTHETIC_SPLIT_SIZE[split]));
      return makeTaskDataset({ ...meta, fingerprint }, source);
    }
    case 'debian': {
      const idxDirs = [DEBIAN_FASHION_MNIST_DIR, join(dataRoot, task.name)];
      for (const d of idxDirs) {
        if (findIdxFiles(d, split)) {
          const { source, fingerprint } = await loadIdxSplit(d, split);
          return makeTaskDataset({ ...meta, fingerprint }, source, opts.maxExamples);
        }
      }
      const { found, looked } = locateDataset([task.name, ...task.aliases], task.hubIds, opts);
      if (found) return loadLocated(task, task.name, found, split, opts);
      throw new DatasetNotFound(
        task.name,
        [...idxDirs.map((d) => `${d}/{train-images-idx3-ubyte,train-labels-idx1-ubyte,t10k-*}[.gz]  (idx files)`), ...looked],
        'Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the idx files or a parquet/ImageFolder copy in ' +
          `${join(dataRoot, task.name)} (or set FBW_DATA).`,
      );
    }
    case 'hf-parquet':
    case 'imagefolder': {
      const { found, looked } = locateDataset([task.name, ...task.aliases], task.hubIds, opts);
      if (!found) throw new DatasetNotFound(task.name, looked, hubHint(task, dataRoot));
      return loadLocated(task, task.name, found, split, opts);
    }
    default: {
      const never: never = task.source;
      throw new Error(`unhandled data source ${String(never)}`);
    }
  }
}

/** Fingerprint of a task split without keeping its data (loads it once; cheap on repeat). */
export async function taskFingerprint(name: string, split: Split, opts: LoadTaskOptions = {}): Promise<string> {
  return (await loadTask(name, split, opts)).fingerprint;
}

/** A combined fingerprint over several splits or tasks, for stages that use more than one. */
export function fingerprintOf(datasets: readonly TaskDataset[]): string {
  return combineFingerprints(datasets.flatMap((d) => [d.name, d.split, d.fingerprint]));
}
