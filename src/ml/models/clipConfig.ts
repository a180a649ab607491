// CLIPConfig as Hugging Face writes it (transformers CLIPConfig: text_config / vision_config),
// reduced to the fields the towers use; unknown fields are kept so a saved config round-trips.
import type { Json } from '../../util/json.js';

/** One tower's hyper-parameters (HF CLIPVisionConfig / CLIPTextConfig). */
export interface TowerConfig {
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly hidden_act: 'quick_gelu' | 'gelu';
  readonly layer_norm_eps: number;
}

export interface VisionConfig extends TowerConfig {
  readonly image_size: number;
  readonly patch_size: number;
  readonly num_channels: number;
}

export interface TextConfig extends TowerConfig {
  readonly vocab_size: number;
  readonly max_position_embeddings: number;
  readonly eos_token_id?: number;
}

export interface ClipConfig {
  readonly projection_dim: number;
  readonly logit_scale_init_value: number;
  readonly vision_config: VisionConfig;
  readonly text_config: TextConfig;
  /** the whole config.json as read, written back on save */
  readonly raw: { readonly [k: string]: Json };
}

/** config.json is not a usable CLIPConfig: names the file and the field. */
export class ConfigError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ConfigError';
  }
}

type Obj = { readonly [k: string]: Json };

function num(o: Obj, k: string, def: number | undefined, path: string, where: string): number {
  const v = o[k];
  if (typeof v === 'number') return v;
  if (v === undefined && def !== undefined) return def;
  throw new ConfigError(path, `${where}.${k} must be a number (got ${JSON.stringify(v)})`);
}

function act(o: Obj, path: string, where: string): 'quick_gelu' | 'gelu' {
  const v = o['hidden_act'] ?? 'quick_gelu';
  if (v === 'quick_gelu' || v === 'gelu') return v;
  throw new ConfigError(path, `${where}.hidden_act '${String(v)}' is not supported (quick_gelu or gelu)`);
}

/** Parse a CLIPConfig JSON object (HF defaults for missing tower fields). */
export function parseClipConfig(raw: Obj, path = 'config.json'): ClipConfig {
  const v = raw['vision_config'];
  const t = raw['text_config'];
  if (raw['model_type'] === 'clip_vision_model') throw new ConfigError(path, 'a CLIPVisionModel (the vision tower only, as FusionBench publishes its fine-tunes): it needs the text tower of the CLIP it was fine-tuned from — in a workflow declare it `model ft = "..." from clip` (or in a pool: models ft from clip = {...}); with `fbw merge` give --base');
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(path, 'missing vision_config (is this a CLIPConfig? model_type should be "clip")');
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw new ConfigError(path, 'missing text_config (is this a CLIPConfig? model_type should be "clip")');
  const vo = v as Obj, to = t as Obj;
  const vision: VisionConfig = {
    hidden_size: num(vo, 'hidden_size', 768, path, 'vision_config'),
    intermediate_size: num(vo, 'intermediate_size', 3072, path, 'vision_config'),
    num_hidden_layers: num(vo, 'num_hidden_layers', 12, path, 'vision_config'),
    num_attention_heads: num(vo, 'num_attention_heads', 12, path, 'vision_config'),
    hidden_act: act(vo, path, 'vision_config'),
    layer_norm_eps: num(vo, 'layer_norm_eps', 1e-5, path, 'vision_config'),
    image_size: num(vo, 'image_size', 224, path, 'vision_config'),
    patch_size: num(vo, 'patch_size', 32, path, 'vision_config'),
    num_channels: num(vo, 'num_channels', 3, path, 'vision_config'),
  };
  const eos = to['eos_token_id'];
  const text: TextConfig = {
    hidden_size: num(to, 'hidden_size', 512, path, 'text_config'),
    intermediate_size: num(to, 'intermediate_size', 2048, path, 'text_config'),
    num_hidden_layers: num(to, 'num_hidden_layers', 12, path, 'text_config'),
    num_attention_heads: num(to, 'num_attention_heads', 8, path, 'text_config'),
    hidden_act: act(to, path, 'text_config'),
    layer_norm_eps: num(to, 'layer_norm_eps', 1e-5, path, 'text_config'),
    vocab_size: num(to, 'vocab_size', 49408, path, 'text_config'),
    max_position_embeddings: num(to, 'max_position_embeddings', 77, path, 'text_config'),
    ...(typeof eos === 'number' ? { eos_token_id: eos } : {}),
  };
  if (vision.image_size % vision.patch_size) throw new ConfigError(path, `vision_config.image_size ${vision.image_size} is not a multiple of patch_size ${vision.patch_size}`);
  if (vision.hidden_size % vision.num_attention_heads) throw new ConfigError(path, 'vision_config.hidden_size is not divisible by num_attention_heads');
  if (text.hidden_size % text.num_attention_heads) throw new ConfigError(path, 'text_config.hidden_size is not divisible by num_attention_heads');
  return {
    projection_dim: num(raw, 'projection_dim', 512, path, 'config'),
    logit_scale_init_value: num(raw, 'logit_scale_init_value', 2.6592, path, 'config'),
    vision_config: vision,
    text_config: text,
    raw,
  };
}

/** Build a CLIPConfig from tower sizes (for the tiny CLIP and for tests). */
export function makeClipConfig(a: {
  readonly projection_dim: number;
  readonly vision: Omit<VisionConfig, 'hidden_act' | 'layer_norm_eps' | 'num_channels'>;
  readonly text: Omit<TextConfig, 'hidden_act' | 'layer_norm_eps'>;
}): ClipConfig {
  const raw: Obj = {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: a.projection_dim,
    logit_scale_init_value: 2.6592,
    initializer_factor: 1.0,
    torch_dtype: 'float32',
    vision_config: { model_type: 'clip_vision_model', ...a.vision, num_channels: 3, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5, projection_dim: a.projection_dim },
    text_config: { model_type: 'clip_text_model', ...a.text, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5, projection_dim: a.projection_dim, bos_token_id: a.text.vocab_size - 2, eos_token_id: a.text.vocab_size - 1, pad_token_id: a.text.vocab_size - 1 },
  };
  return parseClipConfig(raw, '(generated)');
}

/** Expected tensor names and shapes of a CLIPModel state dict (HF names, Linear weights [out, in]). */
export function clipParamShapes(c: ClipConfig): Map<string, readonly number[]> {
  const m = new Map<string, readonly number[]>();
  const tower = (prefix: string, t: TowerConfig) => {
    const d = t.hidden_size, f = t.intermediate_size;
    for (let i = 0; i < t.num_hidden_layers; i++) {
      const l = `${prefix}.encoder.layers.${i}`;
      for (const p of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) {
        m.set(`${l}.self_attn.${p}.weight`, [d, d]);
        m.set(`${l}.self_attn.${p}.bias`, [d]);
      }
      m.set(`${l}.layer_norm1.weight`, [d]); m.set(`${l}.layer_norm1.bias`, [d]);
      m.set(`${l}.mlp.fc1.weight`, [f, d]); m.set(`${l}.mlp.fc1.bias`, [f]);
      m.set(`${l}.mlp.fc2.weight`, [d, f]); m.set(`${l}.mlp.fc2.bias`, [d]);
      m.set(`${l}.layer_norm2.weight`, [d]); m.set(`${l}.layer_norm2.bias`, [d]);
    }
  };
  const t = c.text_config, v = c.vision_config;
  m.set('text_model.embeddings.token_embedding.weight', [t.vocab_size, t.hidden_size]);
  m.set('text_model.embeddings.position_embedding.weight', [t.max_position_embeddings, t.hidden_size]);
  tower('text_model', t);
  m.set('text_model.final_layer_norm.weight', [t.hidden_size]);
  m.set('text_model.final_layer_norm.bias', [t.hidden_size]);
  const np = (v.image_size / v.patch_size) ** 2;
  m.set('vision_model.embeddings.class_embedding', [v.hidden_size]);
  m.set('vision_model.embeddings.patch_embedding.weight', [v.hidden_size, v.num_channels, v.patch_size, v.patch_size]);
  m.set('vision_model.embeddings.position_embedding.weight', [np + 1, v.hidden_size]);
  m.set('vision_model.pre_layrnorm.weight', [v.hidden_size]);
  m.set('vision_model.pre_layrnorm.bias', [v.hidden_size]);
  tower('vision_model', v);
  m.set('vision_model.post_layernorm.weight', [v.hidden_size]);
  m.set('vision_model.post_layernorm.bias', [v.hidden_size]);
  m.set('visual_projection.weight', [c.projection_dim, v.hidden_size]);
  m.set('text_projection.weight', [c.projection_dim, t.hidden_size]);
  m.set('logit_scale', []);
  return m;
}
