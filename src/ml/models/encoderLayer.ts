// One CLIP encoder layer (pre-norm attention + MLP, HF modeling_clip.CLIPEncoderLayer) as a single
// tape node with a hand-written backward pass. tfjs's autograd keeps every op's saved tensors and
// every intermediate gradient until the whole backward pass ends (6 GB for a ViT-B/32 step at
// batch 16); here a layer keeps only what its backward needs (normalised inputs, q/k/v, attention
// weights, the MLP pre-activation), its backward frees them as soon as it has run, and gradients
// are computed only for what trains (frozen weights get no dW — LoRA's frozen base costs nothing).
// With `gradientCheckpointing` (HF's name) the layer keeps only its input and recomputes its
// forward in the backward pass: the same ops on the same inputs, so gradients are identical.
import * as tf from '@tensorflow/tfjs-core';
import type { TowerConfig } from './clipConfig.js';
import { activation } from './ops.js';

/** A LoRA (or L-LoRA, with a0/b0) adapter on one linear module, as the layer needs it. */
export interface LoraTerm {
  /** [r, in], trained */
  readonly a: tf.Tensor;
  /** [out, r], trained */
  readonly b: tf.Tensor;
  /** L-LoRA's frozen initial values: the term becomes s·(B·A₀ + B₀·A − B₀·A₀)·x */
  readonly a0?: tf.Tensor;
  readonly b0?: tf.Tensor;
  readonly scale: number;
  /** inverted-dropout mask on the module's input rows [N, in] (this step's) */
  readonly mask?: tf.Tensor;
}

/** What the layer reads from the forward context (a subset of clip.ts's ForwardContext). */
export interface LayerContext {
  readonly p: (name: string) => tf.Tensor;
  readonly trainable: (name: string) => boolean;
  readonly lora?: (module: string) => LoraTerm | undefined;
  readonly gradientCheckpointing?: boolean;
}

const LINEARS = ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2'] as const;
type Linear = typeof LINEARS[number];
const modulePath = (layer: string, m: Linear): string => (m === 'fc1' || m === 'fc2' ? `${layer}.mlp.${m}` : `${layer}.self_attn.${m}`);

type T = tf.Tensor;
type T2 = tf.Tensor2D;

interface Cache {
  xhat1: T; rstd1: T; q3: T; k3: T; v3: T; att: T; merged: T; xhat2: T; rstd2: T; u: T;
}

/** One encoder layer on h [b·t, d]; `mask` is added to the attention scores (causal text mask). */
export function encoderLayer(ctx: LayerContext, layer: string, cfg: TowerConfig, h: T2, b: number, t: number, mask?: T): T2 {
  const d = cfg.hidden_size, heads = cfg.num_attention_heads, dh = d / heads, eps = cfg.layer_norm_eps;
  const qScale = dh ** -0.5;
  const name = (m: Linear, w: 'weight' | 'bias') => `${modulePath(layer, m)}.${w}`;
  // the layer's weights as the forward saw them; the backward reads the copies the tape node saved,
  // because a weight may be a computed tensor (AdaMerging's θ₀ + Σλτ) that is gone by then
  let param = (n: string): T => ctx.p(n);
  const W = (m: Linear) => param(name(m, 'weight'));
  const B = (m: Linear) => param(name(m, 'bias'));
  const ln = (i: 1 | 2, w: 'weight' | 'bias') => `${layer}.layer_norm${i}.${w}`;
  const lora = new Map<Linear, LoraTerm>();
  for (const m of LINEARS) { const x = ctx.lora?.(modulePath(layer, m)); if (x) lora.set(m, x); }

  // the trained tensors of this layer become the tape node's inputs (after h); frozen ones are constants
  const trained: { key: string; tensor: T }[] = [];
  for (const m of LINEARS) for (const w of ['weight', 'bias'] as const) if (ctx.trainable(name(m, w))) trained.push({ key: name(m, w), tensor: ctx.p(name(m, w)) });
  for (const i of [1, 2] as const) for (const w of ['weight', 'bias'] as const) if (ctx.trainable(ln(i, w))) trained.push({ key: ln(i, w), tensor: ctx.p(ln(i, w)) });
  for (const [m, x] of lora) trained.push({ key: `lora.A/${m}`, tensor: x.a }, { key: `lora.B/${m}`, tensor: x.b });
  const trainedKeys = new Set(trained.map((x) => x.key));

  const loraOut = (m: Linear, xin: T): T | undefined => {
    const x = lora.get(m);
    if (!x) return undefined;
    const xd = x.mask ? tf.mul(xin, x.mask) : xin;
    if (!x.a0) return tf.mul(tf.matMul(tf.matMul(xd as T2, x.a as T2, false, true), x.b as T2, false, true), x.scale);
    const p0 = tf.matMul(xd as T2, x.a0 as T2, false, true);
    const t1 = tf.matMul(p0, x.b as T2, false, true);
    const t2 = tf.matMul(tf.matMul(xd as T2, x.a as T2, false, true), x.b0 as T2, false, true);
    const t3 = tf.matMul(p0, x.b0 as T2, false, true);
    return tf.mul(tf.sub(tf.add(t1, t2), t3), x.scale);
  };
  const linear = (m: Linear, xin: T): T => {
    const y = tf.fused.matMul({ a: xin as T2, b: W(m) as T2, transposeB: true, bias: B(m) });
    const extra = loraOut(m, xin);
    return extra ? tf.add(y, extra) : y;
  };
  const lnForward = (x: T, i: 1 | 2): { xhat: T; rstd: T; y: T } => {
    const { mean, variance } = tf.moments(x, -1, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(x, mean), rstd);
    return { xhat, rstd, y: tf.add(tf.mul(xhat, param(ln(i, 'weight'))), param(ln(i, 'bias'))) };
  };
  const toHeads = (x: T): T => tf.reshape(tf.transpose(tf.reshape(x, [b, t, heads, dh]), [0, 2, 1, 3]), [b * heads, t, dh]);
  const fromHeads = (x: T): T => tf.reshape(tf.transpose(tf.reshape(x, [b, heads, t, dh]), [0, 2, 1, 3]), [b * t, d]);

  // each half in its own scope, so a half's temporaries (and, when nothing will run this layer's
  // backward from them, everything but its output) are released before the next half allocates
  const forward = (x: T, keepCache: boolean): { y: T; c?: Cache } => {
    if (!keepCache) return { y: lean(x) };
    const a = tf.tidy(() => {
      const l1 = lnForward(x, 1);
      const q3 = toHeads(tf.mul(linear('q_proj', l1.y), qScale));
      const k3 = toHeads(linear('k_proj', l1.y));
      const v3 = toHeads(linear('v_proj', l1.y));
      let s = tf.matMul(q3 as tf.Tensor3D, k3 as tf.Tensor3D, false, true) as T;
      if (mask) s = tf.add(s, mask);
      const att = tf.softmax(s);
      const merged = fromHeads(tf.matMul(att as tf.Tensor3D, v3 as tf.Tensor3D));
      return { x2: tf.add(x, linear('out_proj', merged)), xhat1: l1.xhat, rstd1: l1.rstd, q3, k3, v3, att, merged };
    });
    const m = tf.tidy(() => {
      const l2 = lnForward(a.x2, 2);
      const u = linear('fc1', l2.y);
      return { y: tf.add(a.x2, linear('fc2', activation(u, cfg.hidden_act))), xhat2: l2.xhat, rstd2: l2.rstd, u };
    });
    a.x2.dispose();
    return { y: m.y, c: { xhat1: a.xhat1, rstd1: a.rstd1, q3: a.q3, k3: a.k3, v3: a.v3, att: a.att, merged: a.merged, xhat2: m.xhat2, rstd2: m.rstd2, u: m.u } };
  };

  /**
   * The same forward when no backward will read its intermediates (inference, or the forward pass
   * of gradient checkpointing): every step in its own scope, so at most a few [tokens, 4·width]
   * buffers are alive at once and the layer's peak is about a third of the cached forward's.
   */
  const lean = (x: T): T => {
    const step = <R extends T>(f: () => R): R => tf.tidy(f);
    const n1 = step(() => lnForward(x, 1).y);
    const q3 = step(() => toHeads(tf.mul(linear('q_proj', n1), qScale)));
    const k3 = step(() => toHeads(linear('k_proj', n1)));
    const v3 = step(() => toHeads(linear('v_proj', n1)));
    n1.dispose();
    const att = step(() => {
      let s = tf.matMul(q3 as tf.Tensor3D, k3 as tf.Tensor3D, false, true) as T;
      if (mask) s = tf.add(s, mask);
      return tf.softmax(s);
    });
    q3.dispose(); k3.dispose();
    const merged = step(() => fromHeads(tf.matMul(att as tf.Tensor3D, v3 as tf.Tensor3D)));
    att.dispose(); v3.dispose();
    const x2 = step(() => tf.add(x, linear('out_proj', merged)));
    merged.dispose();
    const n2 = step(() => lnForward(x2, 2).y);
    const u = step(() => linear('fc1', n2));
    n2.dispose();
    const f = step(() => activation(u, cfg.hidden_act));
    u.dispose();
    const y = step(() => tf.add(x2, linear('fc2', f)));
    f.dispose(); x2.dispose();
    return y;
  };

  /** d activation(u)/du */
  const actGrad = (u: T): T => {
    if (cfg.hidden_act === 'quick_gelu') {
      const sg = tf.sigmoid(tf.mul(u, 1.702));
      return tf.add(sg, tf.mul(tf.mul(u, 1.702), tf.mul(sg, tf.sub(1, sg))));
    }
    // tanh-approximated gelu: 0.5(1+th) + 0.5·u·(1−th²)·c·(1 + 3·0.044715·u²)
    const c = Math.sqrt(2 / Math.PI);
    const th = tf.tanh(tf.mul(c, tf.add(u, tf.mul(0.044715, tf.pow(u, 3)))));
    const inner = tf.mul(c, tf.add(1, tf.mul(3 * 0.044715, tf.square(u))));
    return tf.add(tf.mul(0.5, tf.add(1, th)), tf.mul(tf.mul(tf.mul(0.5, u), tf.sub(1, tf.square(th))), inner));
  };

  const backward = (dy: T, c: Cache): Map<string, T> & { dx?: T } => {
    const g = new Map<string, T>() as Map<string, T> & { dx?: T };
    const want = (k: string) => trainedKeys.has(k);
    /** gradients of one linear module (W, b, LoRA A/B as they train) and the gradient of its input */
    const linB = (m: Linear, xin: T, dout: T): T => {
      if (want(name(m, 'weight'))) g.set(name(m, 'weight'), tf.matMul(dout as T2, xin as T2, true, false));
      if (want(name(m, 'bias'))) g.set(name(m, 'bias'), tf.sum(dout, 0));
      let dx: T = tf.matMul(dout as T2, W(m) as T2);
      const x = lora.get(m);
      if (x) {
        const xd = x.mask ? tf.mul(xin, x.mask) : xin;
        let dxd: T;
        if (!x.a0) {
          const p = tf.matMul(xd as T2, x.a as T2, false, true);
          g.set(`lora.B/${m}`, tf.mul(tf.matMul(dout as T2, p, true, false), x.scale));
          const g1 = tf.mul(tf.matMul(dout as T2, x.b as T2), x.scale);
          g.set(`lora.A/${m}`, tf.matMul(g1 as T2, xd as T2, true, false));
          dxd = tf.matMul(g1 as T2, x.a as T2);
        } else {
          const p0 = tf.matMul(xd as T2, x.a0 as T2, false, true);
          g.set(`lora.B/${m}`, tf.mul(tf.matMul(dout as T2, p0, true, false), x.scale));
          const g0 = tf.mul(tf.matMul(dout as T2, x.b0 as T2), x.scale);
          g.set(`lora.A/${m}`, tf.matMul(g0 as T2, xd as T2, true, false));
          const g1 = tf.mul(tf.matMul(dout as T2, x.b as T2), x.scale);
          dxd = tf.sub(tf.add(tf.matMul(g1 as T2, x.a0 as T2), tf.matMul(g0 as T2, x.a as T2)), tf.matMul(g0 as T2, x.a0 as T2));
        }
        dx = tf.add(dx, x.mask ? tf.mul(dxd, x.mask) : dxd);
      }
      return dx;
    };
    /** LayerNorm: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = dy·γ */
    const lnB = (i: 1 | 2, dyn: T, xhat: T, rstd: T): T => {
      if (want(ln(i, 'weight'))) g.set(ln(i, 'weight'), tf.sum(tf.mul(dyn, xhat), 0));
      if (want(ln(i, 'bias'))) g.set(ln(i, 'bias'), tf.sum(dyn, 0));
      const dxh = tf.mul(dyn, param(ln(i, 'weight')));
      return tf.mul(rstd, tf.sub(tf.sub(dxh, tf.mean(dxh, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dxh, xhat), -1, true))));
    };
    const n1 = tf.add(tf.mul(c.xhat1, param(ln(1, 'weight'))), param(ln(1, 'bias')));
    const n2 = tf.add(tf.mul(c.xhat2, param(ln(2, 'weight'))), param(ln(2, 'bias')));
    // MLP
    const du = tf.mul(linB('fc2', activation(c.u, cfg.hidden_act), dy), actGrad(c.u));
    const dx2 = tf.add(dy, lnB(2, linB('fc1', n2, du), c.xhat2, c.rstd2));
    // attention
    const dO = toHeads(linB('out_proj', c.merged, dx2));
    const dAtt = tf.matMul(dO as tf.Tensor3D, c.v3 as tf.Tensor3D, false, true);
    const dv3 = tf.matMul(c.att as tf.Tensor3D, dO as tf.Tensor3D, true, false);
    const ds = tf.mul(c.att, tf.sub(dAtt, tf.sum(tf.mul(dAtt, c.att), -1, true)));
    const dq3 = tf.matMul(ds as tf.Tensor3D, c.k3 as tf.Tensor3D);
    const dk3 = tf.matMul(ds as tf.Tensor3D, c.q3 as tf.Tensor3D, true, false);
    const dn1 = tf.add(tf.add(linB('q_proj', n1, tf.mul(fromHeads(dq3), qScale)), linB('k_proj', n1, fromHeads(dk3))), linB('v_proj', n1, fromHeads(dv3)));
    g.dx = tf.add(dx2, lnB(1, dn1, c.xhat1, c.rstd1));
    return g;
  };

  const cacheList = (c: Cache): T[] => [c.xhat1, c.rstd1, c.q3, c.k3, c.v3, c.att, c.merged, c.xhat2, c.rstd2, c.u];
  const cacheOf = (s: T[]): Cache => {
    const [xhat1, rstd1, q3, k3, v3, att, merged, xhat2, rstd2, u] = s as [T, T, T, T, T, T, T, T, T, T];
    return { xhat1, rstd1, q3, k3, v3, att, merged, xhat2, rstd2, u };
  };
  const checkpointing = ctx.gradientCheckpointing === true;
  const weightNames = [...LINEARS.flatMap((m) => [name(m, 'weight'), name(m, 'bias')]), ln(1, 'weight'), ln(1, 'bias'), ln(2, 'weight'), ln(2, 'bias')];
  const node = tf.customGrad(((...args: unknown[]) => {
    const x = args[0] as T;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    // the backward reads the cache unless it recomputes it (checkpointing) or will not run at all
    // (no gradient tape: inference)
    const taping = tf.engine().state.gradientDepth > 0;
    const { y, c } = forward(x, taping && !checkpointing);
    // saved tensors are kept clones (shared storage): the weights cost no memory here
    if (taping) save([...weightNames.map((n) => ctx.p(n)), ...(checkpointing ? [x] : cacheList(c!))]);
    return {
      value: y,
      gradFunc: (dy: T, savedAll: T[]) => {
        const savedWeights = new Map(weightNames.map((n, i) => [n, savedAll[i]!]));
        param = (n) => savedWeights.get(n) ?? ctx.p(n);
        const saved = savedAll.slice(weightNames.length);
        const grads = tf.tidy(() => {
          const gm = backward(dy, checkpointing ? forward(saved[0]!, true).c! : cacheOf(saved));
          return [gm.dx!, ...trained.map((x) => gm.get(x.key) ?? tf.zerosLike(x.tensor))];
        });
        // this layer's activations are not needed any more: free them now, not at the end of the
        // whole backward pass (the engine's own dispose of them later is a no-op)
        for (const s of savedAll) s.dispose();
        return grads;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return node(h, ...trained.map((x) => x.tensor)) as T2;
}
