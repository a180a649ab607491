// LoRA (Hu et al., ICLR 2022, arXiv 2106.09685) on the vision tower's linear modules, with PEFT's
// initialisation (A ~ kaiming-uniform(a=√5) = U(±1/√in), B = 0) and scaling lora_alpha / r;
// and L-LoRA (Tang et al., "Parameter Efficient Multi-task Model Fusion with Partial
// Linearization", ICLR 2024, arXiv 2310.04742): each LoRA module replaced by its first-order
// Taylor expansion around its initial parameters (A₀, B₀):
//   s·B·A·x  ≈  s·(B₀A₀ + (B−B₀)A₀ + B₀(A−A₀))·x  =  s·(B·A₀ + B₀·A − B₀·A₀)·x.
// Adapters save in the PEFT layout and merge into dense weights (merge-and-unload).
import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClipConfig } from '../models/clipConfig.js';
import { matMulWT, matMulWTFrozen } from '../models/ops.js';
import { newVariable, type LoraTerm } from '../models/clip.js';
import type { SeededRng } from '../data/SeededRng.js';
import { writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { writeFileAtomic } from '../../util/writeFileAtomic.js';

export interface LoraConfig {
  readonly r: number;
  readonly lora_alpha: number;
  readonly target_modules: readonly string[];
  readonly lora_dropout: number;
  readonly bias: 'none' | 'all' | 'lora_only';
}


/** A target module name that is not a linear layer of the vision tower. */
export class UnknownLoraTarget extends Error {
  constructor(readonly target: string) {
    super(`LoRA target_modules entry '${target}' is not a linear module of the CLIP vision tower (use q_proj, k_proj, v_proj, out_proj, fc1, fc2)`);
    this.name = 'UnknownLoraTarget';
  }
}

interface LoraModule {
  readonly module: string;
  readonly inDim: number;
  readonly outDim: number;
  readonly a: tf.Variable;
  readonly b: tf.Variable;
  /** initial values, kept for L-LoRA's linearisation */
  readonly a0?: tf.Tensor;
  readonly b0?: tf.Tensor;
}

/** The vision-tower module paths LoRA attaches to, with [in, out] sizes. */
export function loraTargets(config: ClipConfig, targets: readonly string[]): { module: string; inDim: number; outDim: number }[] {
  const v = config.vision_config;
  const out: { module: string; inDim: number; outDim: number }[] = [];
  for (let i = 0; i < v.num_hidden_layers; i++) {
    for (const t of targets) {
      const l = `vision_model.encoder.layers.${i}`;
      switch (t) {
        case 'q_proj': case 'k_proj': case 'v_proj': case 'out_proj': out.push({ module: `${l}.self_attn.${t}`, inDim: v.hidden_size, outDim: v.hidden_size }); break;
        case 'fc1': out.push({ module: `${l}.mlp.fc1`, inDim: v.hidden_size, outDim: v.intermediate_size }); break;
        case 'fc2': out.push({ module: `${l}.mlp.fc2`, inDim: v.intermediate_size, outDim: v.hidden_size }); break;
        default: throw new UnknownLoraTarget(t);
      }
    }
  }
  return out;
}

/** PEFT tensor name of an adapter matrix. */
export function peftName(module: string, which: 'A' | 'B'): string {
  return `base_model.model.${module}.lora_${which}.weight`;
}

/** LoRA / L-LoRA adapters over a CLIP vision tower. */
export class LoraAdapters {
  readonly modules = new Map<string, LoraModule>();
  readonly scale: number;
  private masks = new Map<string, tf.Tensor>();

  constructor(readonly config: ClipConfig, readonly lora: LoraConfig, readonly linearized: boolean, rng: SeededRng) {
    this.scale = lora.lora_alpha / lora.r;
    for (const t of loraTargets(config, lora.target_modules)) {
      const bound = 1 / Math.sqrt(t.inDim);
      const a = new Float32Array(lora.r * t.inDim);
      for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * bound;
      const av = newVariable(tf.tensor2d(a, [lora.r, t.inDim]), peftName(t.module, 'A'));
      const bv = newVariable(tf.zeros([t.outDim, lora.r]), peftName(t.module, 'B'));
      this.modules.set(t.module, {
        ...t, a: av, b: bv,
        ...(linearized ? { a0: tf.keep(tf.clone(av)), b0: tf.keep(tf.clone(bv)) } : {}),
      });
    }
  }

  /** trainable variables, by PEFT name */
  variables(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    for (const x of this.modules.values()) { m.set(peftName(x.module, 'A'), x.a); m.set(peftName(x.module, 'B'), x.b); }
    return m;
  }

  /**
   * Draw this step's dropout masks (inverted dropout, keep prob 1−p) for `rows` input rows.
   * Drawn from the seeded RNG in JS so a resumed run replays the same masks. `keepRows`
   * [from, to) keeps only those rows (a data-parallel rank's shard) while the RNG still advances
   * over all `rows`, so every rank sees the masks one device would use for the whole batch.
   */
  drawDropout(rows: number, rng: SeededRng, keepRows?: readonly [number, number]): void {
    this.clearDropout();
    const p = this.lora.lora_dropout;
    if (p <= 0) return;
    const keep = 1 / (1 - p);
    const threshold = Math.floor(p * 4294967296);
    const [from, to] = keepRows ?? [0, rows];
    for (const x of this.modules.values()) {
      const m = new Float32Array(rows * x.inDim);
      for (let i = 0; i < m.length; i++) m[i] = rng.nextUint32() < threshold ? 0 : keep;
      this.masks.set(x.module, tf.tensor2d(keepRows ? m.slice(from * x.inDim, to * x.inDim) : m, [to - from, x.inDim]));
    }
  }

  clearDropout(): void {
    for (const t of this.masks.values()) t.dispose();
    this.masks.clear();
  }

  /** The forward-context hook: extra output of `module` for its 2-D input x. */
  adapter = (module: string, x: tf.Tensor2D): tf.Tensor2D | undefined => {
    const m = this.modules.get(module);
    if (!m) return undefined;
    const mask = this.masks.get(module);
    const xd = mask ? (tf.mul(x, mask) as tf.Tensor2D) : x;
    if (!this.linearized) return tf.mul(matMulWT(matMulWT(xd, m.a), m.b), this.scale) as tf.Tensor2D;
    // s·(B·A₀ + B₀·A − B₀·A₀)·x, each term a chain of 2-D matMuls
    const t1 = matMulWT(matMulWTFrozen(xd, m.a0!), m.b);
    const t2 = matMulWTFrozen(matMulWT(xd, m.a), m.b0!);
    const t3 = matMulWTFrozen(matMulWTFrozen(xd, m.a0!), m.b0!);
    return tf.mul(tf.sub(tf.add(t1, t2), t3), this.scale) as tf.Tensor2D;
  };

  /** The adapter of `module` as a LoRA term for encoderLayer's hand-written backward pass. */
  term = (module: string): LoraTerm | undefined => {
    const m = this.modules.get(module);
    if (!m) return undefined;
    const mask = this.masks.get(module);
    return { a: m.a, b: m.b, scale: this.scale, ...(this.linearized ? { a0: m.a0!, b0: m.b0! } : {}), ...(mask ? { mask } : {}) };
  };

  /** Dense delta ΔW [out, in] of one module (merge-and-unload). */
  delta(module: string): tf.Tensor2D {
    const m = this.modules.get(module)!;
    return tf.tidy(() => {
      if (!this.linearized) return tf.mul(tf.matMul(m.b, m.a), this.scale) as tf.Tensor2D;
      const d = tf.sub(tf.add(tf.matMul(m.b, m.a0!), tf.matMul(m.b0!, m.a)), tf.matMul(m.b0!, m.a0!));
      return tf.mul(d, this.scale) as tf.Tensor2D;
    });
  }

  /** Merge into a dense state dict (W ← W + ΔW), returning a new map. */
  mergeInto(sd: ReadonlyMap<string, NamedTensor>): Map<string, NamedTensor> {
    const out = new Map(sd);
    for (const module of this.modules.keys()) {
      const name = `${module}.weight`;
      const w = sd.get(name)!;
      const d = this.delta(module);
      const dd = d.dataSync();
      d.dispose();
      const merged = new Float32Array(w.data.length);
      for (let i = 0; i < merged.length; i++) merged[i] = w.data[i]! + dd[i]!;
      out.set(name, { shape: w.shape, data: merged });
    }
    return out;
  }

  /** Save adapter_model.safetensors + adapter_config.json (PEFT layout) into `dir`. */
  async save(dir: string, baseModel: string, extra: ReadonlyMap<string, NamedTensor> = new Map()): Promise<void> {
    await mkdir(dir, { recursive: true });
    const t = new Map<string, NamedTensor>();
    for (const [k, v] of this.variables()) t.set(k, { shape: v.shape, data: v.dataSync() as Float32Array });
    if (this.linearized) for (const m of this.modules.values()) {
      t.set(`base_model.model.${m.module}.lora_A0.weight`, { shape: m.a0!.shape, data: m.a0!.dataSync() as Float32Array });
      t.set(`base_model.model.${m.module}.lora_B0.weight`, { shape: m.b0!.shape, data: m.b0!.dataSync() as Float32Array });
    }
    for (const [k, v] of extra) t.set(`base_model.model.${k}`, v);
    await writeSafetensors(join(dir, 'adapter_model.safetensors'), t, { format: 'pt' });
    const cfg = {
      peft_type: 'LORA', task_type: null, base_model_name_or_path: baseModel, inference_mode: true,
      r: this.lora.r, lora_alpha: this.lora.lora_alpha, lora_dropout: this.lora.lora_dropout, bias: this.lora.bias,
      target_modules: this.lora.target_modules, fan_in_fan_out: false, init_lora_weights: true,
      ...(this.linearized ? { fbw_linearized: true, fbw_note: 'L-LoRA: first-order Taylor expansion around lora_A0/lora_B0 (arXiv 2310.04742)' } : {}),
    };
    await writeFileAtomic(join(dir, 'adapter_config.json'), JSON.stringify(cfg, null, 2) + '\n');
  }

  dispose(): void {
    this.clearDropout();
    for (const m of this.modules.values()) { m.a.dispose(); m.b.dispose(); m.a0?.dispose(); m.b0?.dispose(); }
    this.modules.clear();
  }
}
