// ResNetConfig as Hugging Face transformers defines it (configuration_resnet.py): the fields
// that decide the tensor names and shapes of ResNetForImageClassification, with HF's defaults.
import type { Json } from '../../util/json.js';

/** The parts of a ResNet config.json that shape the network. */
export interface ResNetConfig {
  readonly num_channels: number;
  readonly embedding_size: number;
  readonly hidden_sizes: readonly number[];
  readonly depths: readonly number[];
  readonly layer_type: 'basic' | 'bottleneck';
  readonly hidden_act: 'relu';
  readonly downsample_in_first_stage: boolean;
  readonly downsample_in_bottleneck: boolean;
  readonly num_labels: number;
  readonly id2label: { readonly [id: string]: string };
  /** the whole config.json as read, written back on save with the fields above updated */
  readonly raw: { readonly [k: string]: Json };
}

/** config.json is not a ResNet config fbw can build: names the file and the field. */
export class ResNetConfigError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ResNetConfigError';
  }
}

/** BatchNorm2d defaults in PyTorch (HF ResNet never changes them). */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;
/** bottleneck width divisor (ResNetBottleNeckLayer's `reduction`) */
export const BOTTLENECK_REDUCTION = 4;

const intList = (v: Json | undefined): number[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0) ? (v as number[]) : undefined;

/** Parse a config.json object; `path` names the file in errors. */
export function parseResNetConfig(raw: { readonly [k: string]: Json }, path: string): ResNetConfig {
  if (raw['model_type'] !== undefined && raw['model_type'] !== 'resnet') {
    throw new ResNetConfigError(path, `model_type is '${String(raw['model_type'])}', expected 'resnet' (the generic classifier fine-tune takes a ResNetForImageClassification folder)`);
  }
  const hidden_sizes = raw['hidden_sizes'] === undefined ? [256, 512, 1024, 2048] : intList(raw['hidden_sizes']);
  const depths = raw['depths'] === undefined ? [3, 4, 6, 3] : intList(raw['depths']);
  if (!hidden_sizes) throw new ResNetConfigError(path, 'hidden_sizes must be a list of positive integers');
  if (!depths) throw new ResNetConfigError(path, 'depths must be a list of positive integers');
  if (hidden_sizes.length !== depths.length) throw new ResNetConfigError(path, `hidden_sizes has ${hidden_sizes.length} stages but depths has ${depths.length}`);
  const layer_type = raw['layer_type'] ?? 'bottleneck';
  if (layer_type !== 'basic' && layer_type !== 'bottleneck') throw new ResNetConfigError(path, `layer_type '${String(layer_type)}' is not 'basic' or 'bottleneck'`);
  const act = raw['hidden_act'] ?? 'relu';
  if (act !== 'relu') throw new ResNetConfigError(path, `hidden_act '${String(act)}' is not supported (only relu)`);
  const id2labelRaw = raw['id2label'];
  const id2label: { [id: string]: string } = {};
  if (id2labelRaw && typeof id2labelRaw === 'object' && !Array.isArray(id2labelRaw)) {
    for (const [k, v] of Object.entries(id2labelRaw)) id2label[k] = String(v);
  }
  const num_labels = typeof raw['num_labels'] === 'number' ? raw['num_labels'] : Object.keys(id2label).length || 2;
  const num = (k: string, d: number): number => (typeof raw[k] === 'number' ? (raw[k] as number) : d);
  const bool = (k: string, d: boolean): boolean => (typeof raw[k] === 'boolean' ? (raw[k] as boolean) : d);
  return {
    num_channels: num('num_channels', 3),
    embedding_size: num('embedding_size', 64),
    hidden_sizes, depths, layer_type, hidden_act: 'relu',
    downsample_in_first_stage: bool('downsample_in_first_stage', false),
    downsample_in_bottleneck: bool('downsample_in_bottleneck', false),
    num_labels, id2label, raw,
  };
}

/** A config for a fresh model (tests, tiny experiments), in config.json form. */
export function makeResNetConfig(o: { embedding_size: number; hidden_sizes: readonly number[]; depths: readonly number[]; layer_type?: 'basic' | 'bottleneck'; labels: readonly string[]; downsample_in_first_stage?: boolean }): ResNetConfig {
  const id2label: { [k: string]: string } = {};
  const label2id: { [k: string]: number } = {};
  o.labels.forEach((l, i) => { id2label[String(i)] = l; label2id[l] = i; });
  const raw: { [k: string]: Json } = {
    architectures: ['ResNetForImageClassification'], model_type: 'resnet',
    num_channels: 3, embedding_size: o.embedding_size, hidden_sizes: [...o.hidden_sizes], depths: [...o.depths],
    layer_type: o.layer_type ?? 'basic', hidden_act: 'relu',
    downsample_in_first_stage: o.downsample_in_first_stage ?? false, downsample_in_bottleneck: false,
    id2label, label2id, num_labels: o.labels.length,
  };
  return parseResNetConfig(raw, '(generated config)');
}

/** Same config with a new label set (a new classification head). */
export function withLabels(c: ResNetConfig, labels: readonly string[]): ResNetConfig {
  const id2label: { [k: string]: string } = {};
  const label2id: { [k: string]: number } = {};
  labels.forEach((l, i) => { id2label[String(i)] = l; label2id[l] = i; });
  return { ...c, num_labels: labels.length, id2label, raw: { ...c.raw, id2label, label2id, num_labels: labels.length } };
}

/** One conv + batch-norm unit (HF ResNetConvLayer / ResNetShortCut). */
export interface ConvUnit {
  /** tensor name prefix, e.g. "resnet.encoder.stages.0.layers.1.layer.0" */
  readonly prefix: string;
  readonly inC: number;
  readonly outC: number;
  readonly kernel: number;
  readonly stride: number;
  readonly relu: boolean;
}

/** One residual layer: its conv units and the optional projection shortcut. */
export interface ResidualLayer {
  readonly units: readonly ConvUnit[];
  readonly shortcut?: ConvUnit;
}

/** The network as a list of units, in HF module order (so state dicts come out in that order). */
export interface ResNetPlan {
  readonly stem: ConvUnit;
  readonly layers: readonly ResidualLayer[];
  readonly features: number;
}

/** Walk the architecture exactly as modeling_resnet.py builds it. */
export function resnetPlan(c: ResNetConfig): ResNetPlan {
  const stem: ConvUnit = { prefix: 'resnet.embedder.embedder', inC: c.num_channels, outC: c.embedding_size, kernel: 7, stride: 2, relu: true };
  const layers: ResidualLayer[] = [];
  let inC = c.embedding_size;
  c.hidden_sizes.forEach((outC, s) => {
    const firstStride = s === 0 ? (c.downsample_in_first_stage ? 2 : 1) : 2;
    for (let l = 0; l < c.depths[s]!; l++) {
      const stride = l === 0 ? firstStride : 1;
      const i = l === 0 ? inC : outC;
      const p = `resnet.encoder.stages.${s}.layers.${l}`;
      const shortcut: ConvUnit | undefined = i !== outC || stride !== 1 ? { prefix: `${p}.shortcut`, inC: i, outC, kernel: 1, stride, relu: false } : undefined;
      let units: ConvUnit[];
      switch (c.layer_type) {
        case 'basic':
          units = [
            { prefix: `${p}.layer.0`, inC: i, outC, kernel: 3, stride, relu: true },
            { prefix: `${p}.layer.1`, inC: outC, outC, kernel: 3, stride: 1, relu: false },
          ];
          break;
        case 'bottleneck': {
          const r = Math.floor(outC / BOTTLENECK_REDUCTION);
          units = [
            { prefix: `${p}.layer.0`, inC: i, outC: r, kernel: 1, stride: c.downsample_in_bottleneck ? stride : 1, relu: true },
            { prefix: `${p}.layer.1`, inC: r, outC: r, kernel: 3, stride: c.downsample_in_bottleneck ? 1 : stride, relu: true },
            { prefix: `${p}.layer.2`, inC: r, outC, kernel: 1, stride: 1, relu: false },
          ];
          break;
        }
      }
      layers.push({ units, ...(shortcut ? { shortcut } : {}) });
    }
    inC = outC;
  });
  return { stem, layers, features: c.hidden_sizes.at(-1)! };
}

/** Every unit in state-dict order (HF registers shortcut before layer). */
export function allUnits(plan: ResNetPlan): ConvUnit[] {
  const out: ConvUnit[] = [plan.stem];
  for (const l of plan.layers) { if (l.shortcut) out.push(l.shortcut); out.push(...l.units); }
  return out;
}

/** Tensor kinds of a state dict: trained parameters, and BatchNorm buffers. */
export type TensorRole = 'param' | 'running' | 'count';

/** name → shape and role, in HF state-dict order (num_batches_tracked is an int64 scalar). */
export function resnetTensorShapes(c: ResNetConfig): Map<string, { shape: number[]; role: TensorRole }> {
  const m = new Map<string, { shape: number[]; role: TensorRole }>();
  for (const u of allUnits(resnetPlan(c))) {
    m.set(`${u.prefix}.convolution.weight`, { shape: [u.outC, u.inC, u.kernel, u.kernel], role: 'param' });
    m.set(`${u.prefix}.normalization.weight`, { shape: [u.outC], role: 'param' });
    m.set(`${u.prefix}.normalization.bias`, { shape: [u.outC], role: 'param' });
    m.set(`${u.prefix}.normalization.running_mean`, { shape: [u.outC], role: 'running' });
    m.set(`${u.prefix}.normalization.running_var`, { shape: [u.outC], role: 'running' });
    m.set(`${u.prefix}.normalization.num_batches_tracked`, { shape: [], role: 'count' });
  }
  m.set('classifier.1.weight', { shape: [c.num_labels, c.hidden_sizes.at(-1)!], role: 'param' });
  m.set('classifier.1.bias', { shape: [c.num_labels], role: 'param' });
  return m;
}
