// Public API of fbw's data layer: loaders, preprocessing, seeded order, task metadata.
export { dataRefOf } from './types.js';
export type { DataRef, DeclaredDataset, DatasetSource, ImageBatch, LoadTaskOptions, RgbImage, Split, TaskDataset, TaskInfo } from './types.js';
export { loadTask, locateBuiltin, taskInfo, taskAvailability, type TaskAvailability, isPathLike, taskFingerprint, fingerprintOf, DEFAULT_TEMPLATES } from './loadTask.js';
export { loadImageFile, decodeImage } from './decodeImage.js';
export { preprocess, resizeCenterCrop, normalizeInto, resizedSize, greyToRgb, CLIP_MEAN, CLIP_STD, ImageShapeError } from './preprocess.js';
export { SeededRng, seededShuffle, hashString32 } from './SeededRng.js';
export { taskNames, canonicalTaskName, findBuiltinTask, BUILTIN_TASKS, TASK_POOLS, type BuiltinTask } from './registry.js';
export { DatasetNotFound, UnknownTask, DatasetFormatError, SplitMissing } from './errors.js';
export { IndexOutOfRange, makeTaskDataset, type ImageSource, type TaskMeta } from './makeTaskDataset.js';
export { fileFingerprint, combineFingerprints } from './fingerprint.js';
export { defaultDataRoot, hubCacheDir, locateDataset } from './locate.js';
export { SYNTHETIC_TASKS, type SyntheticTask } from './synthetic/tasks.js';
export { SYNTHETIC_SPLIT_SIZE, SYNTHETIC_VERSION, SYNTHETIC_IMAGE_SIZE } from './synthetic/generateSynthetic.js';
export { MNIST_TRAIN_SIZE } from './mnist.js';
