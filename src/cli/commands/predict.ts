// `fbw predict MODEL IMAGE...`: zero-shot classification from the command line, one JSON line per
// image with labels sorted by softmax score; labels from --labels (with --template) or a data set.
// Every argument is checked before the model loads; a bad image is one line on stderr and the
// rest of the batch is still classified (exit 1 at the end).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from '../command.js';
import { describeFsError } from '../../util/fsErrors.js';
import { didYouMean } from '../../util/suggest.js';
import { BUILTIN_MODEL_TABLE, findBuiltinModel, modelNames } from '../../registry/models.js';
import { DEFAULT_TEMPLATES, findBuiltinTask, taskNames, taskInfo, isPathLike, decodeImage, preprocess } from '../../ml/data/index.js';

const USAGE = 'Usage: fbw predict MODEL IMAGE... (--labels a,b,c [--template T] | --dataset NAME) [--top K]';

/** Errors of loading a model or an image that are the user's files, not a bug: printed as one line. */
const USER_FILE_ERRORS = new Set([
  'ModelLoadError', 'ModelNotFound', 'ModelFilesInvalid', 'SafetensorsError', 'ConfigError', 'TokenizerMissing',
  'TokenizerFileError', 'DatasetFormatError', 'DecompressionBombError', 'ImageShapeError', 'HeadMismatch', 'PersistedFileInvalid',
]);

class PredictUsage extends Error {}
class ModelMissing extends Error {}

interface PredictArgs {
  readonly model: string;
  readonly images: readonly string[];
  readonly classnames: readonly string[];
  readonly templates: readonly string[];
  readonly top: number;
}

/** Check every argument before anything loads; throws PredictUsage with the one line to print. */
export function parsePredictArgs(args: readonly string[], cwd: string = process.cwd()): PredictArgs {
  let v;
  try {
    v = parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { labels: { type: 'string' }, template: { type: 'string' }, dataset: { type: 'string' }, top: { type: 'string' } } });
  } catch (e) {
    throw new PredictUsage((e as Error).message.replace(/\. To specify.*$/s, ''));
  }
  const [model, ...images] = v.positionals;
  if (!model || images.length === 0) throw new PredictUsage('need MODEL and at least one IMAGE');
  const { labels, template, dataset, top } = v.values;
  if (labels !== undefined && dataset !== undefined) throw new PredictUsage('--labels and --dataset are alternatives: give one of them');
  if (labels === undefined && dataset === undefined) throw new PredictUsage('need the class names: --labels a,b,c or --dataset NAME');
  if (template !== undefined && dataset !== undefined) throw new PredictUsage("--template goes with --labels; a --dataset brings its own templates");
  let classnames: readonly string[], templates: readonly string[];
  if (dataset !== undefined) {
    const task = findBuiltinTask(dataset);
    const folder = resolve(cwd, dataset);
    if (task && task.classnames.length > 0) {
      classnames = task.classnames;
      templates = task.templates;
    } else if (task || existsSync(folder) || isPathLike(dataset)) {
      // a data set folder (ImageFolder or parquet, relative to the current folder), or a built-in
      // set that takes its class names from its files: read them from the files on this machine
      try {
        const info = taskInfo(task ? dataset : folder);
        classnames = info.classnames;
        templates = info.templates;
      } catch (e) {
        throw new PredictUsage(`--dataset ${dataset}: ${oneLine(e as Error)}`);
      }
    } else {
      const hint = didYouMean(dataset, taskNames());
      throw new PredictUsage(`unknown dataset '${dataset}'${hint ? ` — did you mean '${hint}'?` : ''} (a built-in data set name or a data set folder; for your own classes use --labels)`);
    }
  } else {
    const parts = labels!.split(',').map((s) => s.trim());
    if (parts.some((p) => p === '')) throw new PredictUsage(`--labels '${labels}' has an empty label; separate names with single commas`);
    if (parts.length < 2) throw new PredictUsage('--labels needs at least two class names to choose from');
    const dup = parts.find((p, i) => parts.indexOf(p) !== i);
    if (dup !== undefined) throw new PredictUsage(`--labels names '${dup}' twice; each class once`);
    classnames = parts;
    if (template !== undefined && !template.includes('{}')) throw new PredictUsage(`--template '${template}' has no {} where the label goes (e.g. "a photo of a {}.")`);
    templates = template !== undefined ? [template] : DEFAULT_TEMPLATES;
  }
  let k = classnames.length;
  if (top !== undefined) {
    if (!/^\d+$/.test(top) || Number(top) < 1) throw new PredictUsage(`--top expects a whole number of labels, 1 or more; got '${top}'`);
    k = Math.min(Number(top), classnames.length);
  }
  return { model, images, classnames, templates, top: k };
}

/** The folder or file to load for MODEL: a built-in name (clip-tiny, clip, ...) or a path. */
async function modelLocation(model: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (!isPathLike(model) && findBuiltinModel(model)) {
    const { resolveModel } = await import('../../ml/models/locateModel.js');
    const files = resolveModel({ id: 'predict', method: 'builtin', params: { model } }, BUILTIN_MODEL_TABLE, env, cwd).files;
    return dirname(files.find((f) => f.name === 'config.json')!.path);
  }
  const path = resolve(cwd, model);
  const { existsSync } = await import('node:fs');
  if (!existsSync(path)) {
    const hint = isPathLike(model) ? undefined : didYouMean(model, modelNames());
    throw new ModelMissing(`${model}: no such model folder or file${hint ? `, nor a built-in model name — did you mean '${hint}'?` : ''}`);
  }
  return path;
}

/** A user-file error as one line: the first line of its message, which names the file. */
function oneLine(e: Error): string {
  return e.message.split('\n').filter(Boolean).join(' ').replace(/\s+/g, ' ');
}

/** Zero-shot predictions for image files. */
export const predict: Command = {
  name: 'predict',
  summary: 'zero-shot classify image files with a CLIP model (JSON lines)',
  help: `${USAGE}

MODEL is a built-in model name (clip-tiny for the bundled tiny CLIP; clip, clip-b16,
clip-l14 when downloaded), a model folder (Hugging Face layout), a hub cache folder or a
.safetensors file (write ./NAME for a folder named like a built-in model). For each IMAGE
(PNG or JPEG) prints one line:
  {"image": "...", "labels": [...], "scores": [...]}
labels sorted by softmax score, highest first. An image that cannot be read is one line on
stderr; the other images are still classified.

Options:
  --labels a,b,c   class names to choose from (at least two, each once)
  --template T     prompt template with {} for the label (default "${DEFAULT_TEMPLATES[0]}")
  --dataset NAME   a data set's class names and templates: a built-in name (mnist, tanganke/sun397) or a data set folder
  --top K          print only the K best labels (K ≥ 1)

Exit codes: 0 every image classified, 1 an image or the model could not be read,
2 usage error (bad option, unknown data set or model name).

Examples:
  fbw predict clip-tiny digit.png --dataset mnist
  fbw predict ~/models/clip-vit-base-patch32 cat.jpg --labels cat,dog,car --top 1`,
  flags: ['labels', 'template', 'dataset', 'top'],
  async run(args, io) {
    let a: PredictArgs, modelPath: string;
    try {
      a = parsePredictArgs(args, io.cwd);
      modelPath = await modelLocation(a.model, io.cwd, io.env);
    } catch (e) {
      if (e instanceof PredictUsage) { io.stderr.write(`fbw predict: ${e.message}\n${USAGE}\n`); return 2; }
      if (e instanceof ModelMissing) { io.stderr.write(`fbw predict: ${e.message}\n`); return 1; }
      if (e instanceof Error && USER_FILE_ERRORS.has(e.name)) { io.stderr.write(`fbw predict: ${oneLine(e)}\n`); return 1; }
      throw e;
    }
    const { initBackend } = await import('../../ml/backend/initBackend.js');
    const { loadClip } = await import('../../ml/models/loadClip.js');
    const { buildZeroshotHead, tokenizerFor } = await import('../../ml/heads/zeroshotHead.js');
    const { classify } = await import('../../ml/eval/evaluate.js');
    await initBackend('cpu');
    let model: Awaited<ReturnType<typeof loadClip>>;
    let head: ReturnType<typeof buildZeroshotHead>;
    try {
      model = await loadClip(modelPath);
    } catch (e) {
      if (e instanceof Error && USER_FILE_ERRORS.has(e.name)) { io.stderr.write(`fbw predict: ${oneLine(e).split(modelPath).join(a.model)}\n`); return 1; }
      throw e;
    }
    try {
      try {
        head = buildZeroshotHead(model, await tokenizerFor(model), 'labels', a.classnames, a.templates);
      } catch (e) {
        if (e instanceof Error && USER_FILE_ERRORS.has(e.name)) { io.stderr.write(`fbw predict: ${oneLine(e).split(modelPath).join(a.model)}\n`); return 1; }
        throw e;
      }
      model.releaseTextTower(); // the head is built: images need only the vision side
      const size = model.config.vision_config.image_size;
      let failed = 0;
      for (const img of a.images) {
        let x: Float32Array;
        try {
          let bytes: Buffer;
          try { bytes = await readFile(resolve(io.cwd, img)); } catch (e) {
            throw Object.assign(new Error(`${img}: ${(e as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a folder, not an image file' : describeFsError(e)}`), { name: 'DatasetFormatError' });
          }
          const rgb = decodeImage(bytes, img);
          x = preprocess(rgb.rgb, rgb.width, rgb.height, size);
        } catch (e) {
          if (e instanceof Error && USER_FILE_ERRORS.has(e.name)) {
            io.stderr.write(`fbw predict: ${e.name === 'ImageShapeError' ? `${img}: ` : ''}${oneLine(e)}\n`);
            failed++;
            continue;
          }
          throw e;
        }
        const probs = tf.tidy(() => tf.softmax(classify(model, head, x, 1)));
        const p = [...probs.dataSync()];
        probs.dispose();
        const order = p.map((s, i) => [s, i] as const).sort((q, r) => r[0] - q[0]).slice(0, a.top);
        io.stdout.write(JSON.stringify({ image: img, labels: order.map(([, i]) => a.classnames[i]), scores: order.map(([s]) => Math.round(s * 1e6) / 1e6) }) + '\n');
      }
      if (failed > 0 && a.images.length > 1) io.stderr.write(`fbw predict: ${failed} of ${a.images.length} images could not be read\n`);
      return failed > 0 ? 1 : 0;
    } finally {
      model.dispose();
    }
  },
};
