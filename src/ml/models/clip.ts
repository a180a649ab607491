// CLIP (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language
// Supervision", arXiv 2103.00020) with the tensor names and computation of Hugging Face
// transformers' modeling_clip.py: pre-norm ViT with quick-GELU MLPs, class token, pre/post
// layernorm, visual projection; causal text transformer pooled at the end-of-text token.
// Activations are kept 2-D ([batch*tokens, dim]) so every linear layer is a plain 2-D matMul.
import * as tf from '@tensorflow/tfjs-core';
import type { ClipConfig, TowerConfig } from './clipConfig.js';
import { clipParamShapes } from './clipConfig.js';
import { activation, batchMatMul, gatherRows, l2Normalize, layerNorm, matMulWT, matMulWTFrozen } from './ops.js';
import type { NamedTensor } from '../io/safetensors.js';
import { encoderLayer, type LoraTerm } from './encoderLayer.js';
export type { LoraTerm } from './encoderLayer.js';

/** How a forward pass sees the weights: which are trained, and adapters added to linear outputs. */
export interface ForwardContext {
  /** the tensor to use for parameter `name` (a variable, or a derived tensor) */
  readonly p: (name: string) => tf.Tensor;
  /** whether gradients are wanted for parameter `name` */
  readonly trainable: (name: string) => boolean;
  /** extra output added to linear module `module` (e.g. LoRA's B·A·x), given its 2-D input */
  readonly adapter?: (module: string, x: tf.Tensor2D) => tf.Tensor2D | undefined;
  /**
   * The same adapters described as LoRA terms, so encoder layers can run their hand-written
   * backward pass (encoderLayer.ts); a context with `adapter` but no `lora` takes tfjs autograd.
   */
  readonly lora?: (module: string) => LoraTerm | undefined;
  /** keep only each encoder layer's input and recompute the layer in the backward pass */
  readonly gradientCheckpointing?: boolean;
}

let varCounter = 0;
/** A trainable tf.Variable with a process-unique name (tfjs refuses duplicate variable names). */
export function newVariable(t: tf.Tensor, label: string): tf.Variable {
  const v = tf.variable(t, true, `${label}#${varCounter++}`);
  t.dispose();
  return v;
}

/** A CLIP model: config plus one tf.Variable per HF tensor name. */
export class ClipModel {
  constructor(
    readonly config: ClipConfig,
    readonly params: Map<string, tf.Variable>,
    /** folder it was loaded from (tokenizer files are copied from there on save) */
    readonly source?: string,
    /** tensors shared with another model (loadClip's `shareFrom`): that model owns and disposes them */
    private readonly borrowed: ReadonlySet<string> = new Set(),
  ) {}

  get(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`CLIP model has no tensor '${name}'`);
    return v;
  }

  /** Copy every tensor out as float32 (HF names, file order of clipParamShapes). */
  stateDict(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [k, v] of this.params) out.set(k, { shape: v.shape, data: v.dataSync() as Float32Array });
    return out;
  }

  /** Overwrite tensors from a state dict (shapes must match). */
  assign(sd: ReadonlyMap<string, NamedTensor>): void {
    for (const [k, t] of sd) {
      const v = this.params.get(k);
      if (!v) continue;
      tf.tidy(() => v.assign(tf.tensor(t.data, [...t.shape])));
    }
  }

  /** A plain (no gradient, no adapter) forward context over this model's variables. */
  frozenContext(): ForwardContext {
    return { p: (n) => this.get(n), trainable: () => false };
  }

  /**
   * Frees the text tower and text projection: once the zero-shot heads are built, evaluation reads
   * only the vision side (a ViT-B/32 checkpoint's text half is 250 MB). Text methods fail after this.
   */
  releaseTextTower(): void {
    for (const [k, v] of this.params) {
      if (!isVisionSide(k)) { if (!this.borrowed.has(k)) v.dispose(); this.params.delete(k); }
    }
  }

  dispose(): void {
    for (const [k, v] of this.params) if (!this.borrowed.has(k)) v.dispose();
    this.params.clear();
  }
}

/** True for the tensors image classification reads: the vision tower, its projection, logit_scale. */
export function isVisionSide(name: string): boolean {
  return name.startsWith('vision_model.') || name === 'visual_projection.weight' || name === 'logit_scale';
}

/** Random-initialised CLIP (HF CLIPPreTrainedModel._init_weights scheme, factor 1) from a seeded RNG. */
export function initClip(config: ClipConfig, rand: () => number): ClipModel {
  const shapes = clipParamShapes(config);
  const params = new Map<string, tf.Variable>();
  const normal = (n: number, std: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = Math.max(rand(), 1e-12), v = rand();
      const r = Math.sqrt(-2 * Math.log(u));
      a[i] = r * Math.cos(2 * Math.PI * v) * std;
      if (i + 1 < n) a[i + 1] = r * Math.sin(2 * Math.PI * v) * std;
    }
    return a;
  };
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const tower: TowerConfig = name.startsWith('text') ? config.text_config : config.vision_config;
    const d = tower.hidden_size;
    const layers = tower.num_hidden_layers;
    let data: Float32Array;
    if (name === 'logit_scale') data = Float32Array.of(config.logit_scale_init_value);
    else if (/layer_?norm\d?\.weight$|layrnorm\.weight$/.test(name)) data = new Float32Array(n).fill(1);
    else if (name.endsWith('.bias')) data = new Float32Array(n);
    else if (name.includes('self_attn.out_proj')) data = normal(n, d ** -0.5 * (2 * layers) ** -0.5);
    else if (name.includes('self_attn.')) data = normal(n, d ** -0.5 * (2 * layers) ** -0.5);
    else if (name.includes('mlp.fc1')) data = normal(n, (2 * d) ** -0.5);
    else if (name.includes('mlp.fc2')) data = normal(n, d ** -0.5 * (2 * layers) ** -0.5);
    else if (name.endsWith('class_embedding')) data = normal(n, d ** -0.5);
    else if (name.includes('patch_embedding')) data = normal(n, 0.02);
    else if (name.includes('embedding')) data = normal(n, 0.02);
    else data = normal(n, d ** -0.5); // projections
    params.set(name, newVariable(tf.tensor(data, [...shape]), name));
  }
  return new ClipModel(config, params);
}

/** Images NHWC [n, S, S, C] → patches [n·(S/P)², C·P·P] in conv-weight order (c, kh, kw). */
export function patchify(x: Float32Array, n: number, size: number, patch: number, channels = 3, into?: (length: number) => Float32Array): Float32Array {
  const g = size / patch;
  const k = channels * patch * patch;
  const out = into ? into(n * g * g * k) : new Float32Array(n * g * g * k);
  let o = 0;
  for (let b = 0; b < n; b++) {
    const base = b * size * size * channels;
    for (let gy = 0; gy < g; gy++) for (let gx = 0; gx < g; gx++) {
      for (let c = 0; c < channels; c++) for (let ky = 0; ky < patch; ky++) {
        const row = base + ((gy * patch + ky) * size + gx * patch) * channels + c;
        for (let kx = 0; kx < patch; kx++) out[o++] = x[row + kx * channels]!;
      }
    }
  }
  return out;
}

function linear(ctx: ForwardContext, module: string, x: tf.Tensor2D, bias = true): tf.Tensor2D {
  const wName = `${module}.weight`;
  let y = ctx.trainable(wName) ? matMulWT(x, ctx.p(wName)) : matMulWTFrozen(x, ctx.p(wName));
  if (bias) y = tf.add(y, ctx.p(`${module}.bias`));
  const extra = ctx.adapter?.(module, x);
  return extra ? tf.add(y, extra) : y;
}

function attention(ctx: ForwardContext, prefix: string, x: tf.Tensor2D, b: number, t: number, heads: number, mask?: tf.Tensor): tf.Tensor2D {
  const d = x.shape[1];
  const dh = d / heads;
  const q = tf.mul(linear(ctx, `${prefix}.q_proj`, x), dh ** -0.5);
  const k = linear(ctx, `${prefix}.k_proj`, x);
  const v = linear(ctx, `${prefix}.v_proj`, x);
  const q3 = tf.reshape(tf.transpose(tf.reshape(q, [b, t, heads, dh]), [0, 2, 1, 3]), [b * heads, t, dh]);
  const kT = tf.reshape(tf.transpose(tf.reshape(k, [b, t, heads, dh]), [0, 2, 3, 1]), [b * heads, dh, t]);
  const v3 = tf.reshape(tf.transpose(tf.reshape(v, [b, t, heads, dh]), [0, 2, 1, 3]), [b * heads, t, dh]);
  let s: tf.Tensor = batchMatMul(q3, kT);
  if (mask) s = tf.add(s, mask);
  const a = tf.softmax(s);
  const o = batchMatMul(a, v3);
  const merged = tf.reshape(tf.transpose(tf.reshape(o, [b, heads, t, dh]), [0, 2, 1, 3]), [b * t, d]) as tf.Tensor2D;
  return linear(ctx, `${prefix}.out_proj`, merged);
}

function encoder(ctx: ForwardContext, prefix: string, cfg: TowerConfig, h: tf.Tensor2D, b: number, t: number, mask?: tf.Tensor): tf.Tensor2D {
  // Without a gradient tape (inference) nothing reads a layer's input after the layer has run:
  // free it then, instead of keeping every layer's output until the caller's scope ends.
  const inference = tf.engine().state.gradientDepth === 0;
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const l = `${prefix}.encoder.layers.${i}`;
    if (!ctx.adapter || ctx.lora) {
      const next = encoderLayer(ctx, l, cfg, h, b, t, mask);
      if (inference && i > 0) h.dispose();
      h = next;
      continue;
    }
    // an opaque adapter hook: the layer as plain ops under tfjs autograd
    const n1 = layerNorm(h, ctx.p(`${l}.layer_norm1.weight`), ctx.p(`${l}.layer_norm1.bias`), cfg.layer_norm_eps);
    h = tf.add(h, attention(ctx, `${l}.self_attn`, n1, b, t, cfg.num_attention_heads, mask));
    const n2 = layerNorm(h, ctx.p(`${l}.layer_norm2.weight`), ctx.p(`${l}.layer_norm2.bias`), cfg.layer_norm_eps);
    const f = activation(linear(ctx, `${l}.mlp.fc1`, n2), cfg.hidden_act) as tf.Tensor2D;
    h = tf.add(h, linear(ctx, `${l}.mlp.fc2`, f));
  }
  return h;
}

/** Image features [n, projection_dim] (not normalised) from patches made by `patchify`. */
export function encodeImage(config: ClipConfig, ctx: ForwardContext, patches: tf.Tensor2D, n: number, opts: {
  /** the caller hands `patches` over: freed right after the patch embedding (inference) */
  readonly consumePatches?: boolean;
} = {}): tf.Tensor2D {
  const v = config.vision_config;
  const d = v.hidden_size;
  const g = v.image_size / v.patch_size;
  const np = g * g;
  const t = np + 1;
  const wName = 'vision_model.embeddings.patch_embedding.weight';
  const w2 = tf.reshape(ctx.p(wName), [d, v.num_channels * v.patch_size * v.patch_size]);
  const e = ctx.trainable(wName) ? matMulWT(patches, w2) : matMulWTFrozen(patches, w2);
  if (opts.consumePatches) patches.dispose();
  const cls = tf.add(tf.zeros([n, 1, d]), tf.reshape(ctx.p('vision_model.embeddings.class_embedding'), [1, 1, d]));
  const emb = tf.add(tf.concat([cls, tf.reshape(e, [n, np, d])], 1), ctx.p('vision_model.embeddings.position_embedding.weight'));
  let h = tf.reshape(emb, [n * t, d]) as tf.Tensor2D;
  h = layerNorm(h, ctx.p('vision_model.pre_layrnorm.weight'), ctx.p('vision_model.pre_layrnorm.bias'), v.layer_norm_eps);
  h = encoder(ctx, 'vision_model', v, h, n, t);
  const pooled = tf.reshape(tf.slice(tf.reshape(h, [n, t, d]), [0, 0, 0], [n, 1, d]), [n, d]) as tf.Tensor2D;
  const post = layerNorm(pooled, ctx.p('vision_model.post_layernorm.weight'), ctx.p('vision_model.post_layernorm.bias'), v.layer_norm_eps);
  const pName = 'visual_projection.weight';
  return ctx.trainable(pName) ? matMulWT(post, ctx.p(pName)) : matMulWTFrozen(post, ctx.p(pName));
}

/** Position of the end-of-text token per row: first eos_token_id, else argmax id (as HF CLIP). */
export function eotPositions(ids: Int32Array, n: number, t: number, eosTokenId?: number): Int32Array {
  const out = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    let best = 0;
    for (let j = 0; j < t; j++) {
      const id = ids[b * t + j]!;
      if (eosTokenId !== undefined && id === eosTokenId) { best = j; break; }
      if (id > ids[b * t + best]!) best = j;
    }
    out[b] = best;
  }
  return out;
}

const masks = new Map<number, Float32Array>();
function causalMask(t: number): tf.Tensor {
  let m = masks.get(t);
  if (!m) {
    m = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -1e9;
    masks.set(t, m);
  }
  return tf.tensor2d(m, [t, t]);
}

/** Text features [n, projection_dim] (not normalised) from token ids [n, t] padded after <|endoftext|>. */
export function encodeText(config: ClipConfig, ctx: ForwardContext, ids: Int32Array, n: number, t: number, eotIndex?: Int32Array): tf.Tensor2D {
  const c = config.text_config;
  const d = c.hidden_size;
  if (t > c.max_position_embeddings) throw new Error(`text of ${t} tokens exceeds max_position_embeddings ${c.max_position_embeddings}`);
  const tok = gatherRows(ctx.p('text_model.embeddings.token_embedding.weight'), ids);
  const pos = tf.slice(ctx.p('text_model.embeddings.position_embedding.weight'), [0, 0], [t, d]);
  let h = tf.reshape(tf.add(tf.reshape(tok, [n, t, d]), pos), [n * t, d]) as tf.Tensor2D;
  h = encoder(ctx, 'text_model', c, h, n, t, causalMask(t));
  h = layerNorm(h, ctx.p('text_model.final_layer_norm.weight'), ctx.p('text_model.final_layer_norm.bias'), c.layer_norm_eps);
  const eot = eotIndex ?? eotPositions(ids, n, t, c.eos_token_id !== undefined && c.eos_token_id !== 2 ? c.eos_token_id : undefined);
  const flat = new Int32Array(n);
  for (let b = 0; b < n; b++) flat[b] = b * t + eot[b]!;
  const pooled = gatherRows(h, flat);
  const pName = 'text_projection.weight';
  return ctx.trainable(pName) ? matMulWT(pooled, ctx.p(pName)) : matMulWTFrozen(pooled, ctx.p(pName));
}

/** Zero-shot style logits: exp(logit_scale)·norm(image)·norm(text)ᵀ, text given as [C, P] rows. */
export function clipLogits(imageFeatures: tf.Tensor2D, textRows: tf.Tensor2D, scale: tf.Tensor | number): tf.Tensor2D {
  return tf.mul(tf.matMul(l2Normalize(imageFeatures), tf.transpose(l2Normalize(textRows))), scale) as tf.Tensor2D;
}
