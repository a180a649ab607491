// `fbw predict MODEL IMAGE...`: zero-shot classification from the command line, one JSON line per
// image with labels sorted by softmax score; labels from --labels (with --template) or a data set.
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from '../command.js';
import { initBackend } from '../../ml/backend/initBackend.js';
import { loadClip } from '../../ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../ml/heads/zeroshotHead.js';
import { classify } from '../../ml/eval/evaluate.js';
import { loadImageFile, preprocess, taskInfo } from '../../ml/data/index.js';

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

/** Zero-shot predictions for image files. */
export const predict: Command = {
  name: 'predict',
  summary: 'zero-shot classify image files with a CLIP model (JSON lines)',
  help: `Usage: fbw predict MODEL IMAGE... (--labels a,b,c [--template T] | --dataset NAME) [--top K]

MODEL is a model folder (Hugging Face layout), a hub cache folder or a .safetensors file,
or 'clip-tiny' for the bundled tiny CLIP. For each IMAGE (PNG or JPEG) prints one line:
  {"image": "...", "labels": [...], "scores": [...]}
labels sorted by softmax score, highest first.

Options:
  --labels a,b,c   class names to choose from
  --template T     prompt template with {} for the label (default "a photo of a {}.")
  --dataset NAME   use a built-in task's class names and templates (e.g. mnist, synth_shapes)
  --top K          print only the K best labels

Examples:
  fbw predict clip-tiny digit.png --dataset mnist
  fbw predict ~/models/clip-vit-base-patch32 cat.jpg --labels cat,dog,car`,
  flags: ['labels', 'template', 'dataset', 'top'],
  async run(args, io) {
    const valued = new Set(['--labels', '--template', '--dataset', '--top']);
    const positional = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
    const [modelArg, ...images] = positional;
    const labelsArg = option(args, 'labels'), dataset = option(args, 'dataset');
    if (!modelArg || !images.length || (!labelsArg && !dataset)) {
      io.stderr.write('fbw predict: need MODEL, at least one IMAGE, and --labels or --dataset\n' + 'Usage: fbw predict MODEL IMAGE... (--labels a,b,c [--template T] | --dataset NAME)\n');
      return 2;
    }
    await initBackend('cpu');
    let modelPath = resolve(io.cwd, modelArg);
    if (modelArg === 'clip-tiny') {
      const { projectRoot } = await import('../../util/projectRoot.js');
      modelPath = resolve(projectRoot(), 'models', 'clip-tiny');
    }
    const model = await loadClip(modelPath);
    try {
      let classnames: readonly string[], templates: readonly string[];
      if (dataset) { const t = taskInfo(dataset); classnames = t.classnames; templates = t.templates; }
      else { classnames = labelsArg!.split(',').map((s) => s.trim()).filter(Boolean); templates = [option(args, 'template') ?? 'a photo of a {}.']; }
      const head = buildZeroshotHead(model, await tokenizerFor(model), dataset ?? 'labels', classnames, templates);
      const size = model.config.vision_config.image_size;
      const top = Number(option(args, 'top') ?? classnames.length);
      for (const img of images) {
        const rgb = await loadImageFile(resolve(io.cwd, img));
        const x = preprocess(rgb.rgb, rgb.width, rgb.height, size);
        const probs = tf.tidy(() => tf.softmax(classify(model, head, x, 1)));
        const p = [...probs.dataSync()];
        probs.dispose();
        const order = p.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]).slice(0, top);
        io.stdout.write(JSON.stringify({ image: img, labels: order.map(([, i]) => classnames[i]), scores: order.map(([s]) => Math.round(s * 1e6) / 1e6) }) + '\n');
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};
