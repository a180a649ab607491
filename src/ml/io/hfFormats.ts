// The Hugging Face files fbw reads but does not own (config.json, model.safetensors.index.json,
// preprocessor_config.json, the safetensors header). Each schema states only the fields fbw uses,
// with their types, and lets every other field through: a foreign or damaged file is one
// PersistedFileInvalid naming the file, never a cast that fails later as a TypeError.
import { jsonFormat } from '../../util/jsonFormat.js';
import type { Json } from '../../util/json.js';

/** A model's config.json: model_type and vision_config are what fbw reads before choosing a loader. */
export type HfConfig = { readonly [k: string]: Json } & {
  readonly model_type?: string;
  readonly vision_config?: { readonly [k: string]: Json };
};

export const hfConfigFormat = jsonFormat<HfConfig>('Hugging Face config.json', {
  type: 'object',
  properties: { model_type: { type: 'string' }, vision_config: { type: 'object' } },
});

/** model.safetensors.index.json of a sharded checkpoint: tensor name -> shard file. */
export interface ShardIndex { readonly weight_map: { readonly [tensor: string]: string } }

export const shardIndexFormat = jsonFormat<ShardIndex>('safetensors shard index', {
  type: 'object',
  required: ['weight_map'],
  properties: { weight_map: { type: 'object', additionalProperties: { type: 'string' } } },
});

/** preprocessor_config.json: the input size, a number or {height | shortest_edge}. */
const imageSize = {
  anyOf: [
    { type: 'number' },
    { type: 'object', properties: { height: { type: 'number' }, shortest_edge: { type: 'number' } } },
  ],
};
export interface PreprocessorConfig {
  readonly crop_size?: number | { readonly height?: number; readonly shortest_edge?: number };
  readonly size?: number | { readonly height?: number; readonly shortest_edge?: number };
}

export const preprocessorConfigFormat = jsonFormat<PreprocessorConfig>('Hugging Face preprocessor_config.json', {
  type: 'object',
  properties: { crop_size: imageSize, size: imageSize },
});

/** One tensor's entry in a safetensors header. */
export interface SafetensorsHeaderEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data_offsets: readonly [number, number];
}

/** The JSON header of a .safetensors file: "__metadata__" (a string map) and one entry per tensor. */
export interface SafetensorsHeader {
  readonly metadata: { readonly [k: string]: string };
  /** in the header's order */
  readonly tensors: readonly (readonly [name: string, entry: SafetensorsHeaderEntry])[];
}

type RawHeader = { readonly [name: string]: SafetensorsHeaderEntry | { readonly [k: string]: string } };

const rawHeaderFormat = jsonFormat<RawHeader>('safetensors header', {
  type: 'object',
  properties: { __metadata__: { type: 'object', additionalProperties: { type: 'string' } } },
  additionalProperties: {
    type: 'object',
    required: ['dtype', 'shape', 'data_offsets'],
    properties: {
      dtype: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
      data_offsets: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 },
    },
  },
});

/** A safetensors header's JSON text, checked against the schema (PersistedFileInvalid naming `path`). */
export function parseSafetensorsHeader(text: string, path: string): SafetensorsHeader {
  const raw = rawHeaderFormat.parse(text, path);
  const tensors: (readonly [string, SafetensorsHeaderEntry])[] = [];
  for (const [name, v] of Object.entries(raw)) if (name !== '__metadata__') tensors.push([name, v as SafetensorsHeaderEntry]);
  // the schema has checked __metadata__ as a string map and every other key as a tensor entry
  return { metadata: (raw['__metadata__'] ?? {}) as { readonly [k: string]: string }, tensors };
}
