// The benchmark's tiny ViT (32×32×3 images, patch 4, width 64, depth 4, 4 heads, MLP 256,
// quick-GELU, pre-norm, CLS token, 10 classes: 208,138 parameters) with a hand-written backward
// pass, so one training step dispatches exactly the kernels a ViT needs and nothing else.
// Architecture: Dosovitskiy et al., "An Image is Worth 16x16 Words" (2021), with CLIP's pre-LN
// and quick-GELU (Radford et al., 2021). bench/torch_vit.py builds the identical model in PyTorch.
import * as tf from '@tensorflow/tfjs-core';

export interface TinyVitConfig {
  readonly image: number;
  readonly patch: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlp: number;
  readonly classes: number;
}

export const TINY_VIT: TinyVitConfig = { image: 32, patch: 4, dim: 64, depth: 4, heads: 4, mlp: 256, classes: 10 };

type P = Record<string, tf.Variable>;
const EPS = 1e-5;

/** Parameters (Linear weights [out, in], like PyTorch and HF), initialised N(0, 0.02). */
export function initTinyVit(c: TinyVitConfig, seed = 0): P {
  const n = (c.image / c.patch) ** 2;
  const pd = c.patch * c.patch * 3;
  const p: P = {};
  let s = seed;
  const w = (name: string, shape: number[]): void => { p[name] = tf.variable(tf.randomNormal(shape, 0, 0.02, 'float32', ++s), true, name); };
  const z = (name: string, shape: number[]): void => { p[name] = tf.variable(tf.zeros(shape), true, name); };
  const o = (name: string, shape: number[]): void => { p[name] = tf.variable(tf.ones(shape), true, name); };
  w('patch.w', [c.dim, pd]);
  w('cls', [c.dim]);
  w('pos', [n + 1, c.dim]);
  o('pre.g', [c.dim]); z('pre.b', [c.dim]);
  for (let l = 0; l < c.depth; l++) {
    o(`${l}.ln1.g`, [c.dim]); z(`${l}.ln1.b`, [c.dim]);
    w(`${l}.qkv.w`, [3 * c.dim, c.dim]); z(`${l}.qkv.b`, [3 * c.dim]);
    w(`${l}.o.w`, [c.dim, c.dim]); z(`${l}.o.b`, [c.dim]);
    o(`${l}.ln2.g`, [c.dim]); z(`${l}.ln2.b`, [c.dim]);
    w(`${l}.fc1.w`, [c.mlp, c.dim]); z(`${l}.fc1.b`, [c.mlp]);
    w(`${l}.fc2.w`, [c.dim, c.mlp]); z(`${l}.fc2.b`, [c.dim]);
  }
  o('post.g', [c.dim]); z('post.b', [c.dim]);
  w('head.w', [c.classes, c.dim]); z('head.b', [c.classes]);
  return p;
}

export function countParams(p: P): number {
  return Object.values(p).reduce((a, v) => a + v.size, 0);
}

const linear = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D =>
  tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, transposeB: true, bias: b }) as tf.Tensor2D;

interface LnCache { xhat: tf.Tensor; rstd: tf.Tensor; g: tf.Tensor }
function lnF(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): [tf.Tensor, LnCache] {
  const xc = tf.sub(x, tf.mean(x, -1, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), EPS));
  const xhat = tf.mul(xc, rstd);
  return [tf.add(tf.mul(xhat, g), b), { xhat, rstd, g }];
}
/** LayerNorm backward: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)). */
function lnB(dy: tf.Tensor, c: LnCache): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const dg = tf.sum(tf.mul(dy, c.xhat), 0);
  const db = tf.sum(dy, 0);
  const dxh = tf.mul(dy, c.g);
  const dx = tf.mul(c.rstd, tf.sub(tf.sub(dxh, tf.mean(dxh, -1, true)), tf.mul(c.xhat, tf.mean(tf.mul(dxh, c.xhat), -1, true))));
  return [dx, dg, db];
}

function patchify(x: tf.Tensor, c: TinyVitConfig): tf.Tensor2D {
  const g = c.image / c.patch, b = x.shape[0]!;
  return tf.reshape(tf.transpose(tf.reshape(x, [b, g, c.patch, g, c.patch, 3]), [0, 1, 3, 2, 4, 5]), [b * g * g, c.patch * c.patch * 3]);
}

/** Logits [B, classes] (inference). */
export function forwardTinyVit(p: P, c: TinyVitConfig, x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => run(p, c, x, false).logits);
}

interface Block { a: LnCache; ain: tf.Tensor; q: tf.Tensor; k: tf.Tensor; v: tf.Tensor; P: tf.Tensor; o: tf.Tensor; c: LnCache; cin: tf.Tensor; u: tf.Tensor; s: tf.Tensor; gl: tf.Tensor }

function run(p: P, c: TinyVitConfig, x: tf.Tensor, keep: boolean) {
  const B = x.shape[0]!, n = (c.image / c.patch) ** 2, T = n + 1, D = c.dim, H = c.heads, hd = D / H;
  const patches = patchify(x, c);
  const e = tf.matMul(patches, p['patch.w']!, false, true);
  const cls = tf.broadcastTo(tf.reshape(p['cls']!, [1, 1, D]), [B, 1, D]);
  const h0 = tf.reshape(tf.add(tf.concat([cls, tf.reshape(e, [B, n, D])], 1), p['pos']!), [B * T, D]);
  let [h, pre] = lnF(h0, p['pre.g']!, p['pre.b']!);
  const blocks: Block[] = [];
  const scale = 1 / Math.sqrt(hd);
  for (let l = 0; l < c.depth; l++) {
    const [ain, a] = lnF(h, p[`${l}.ln1.g`]!, p[`${l}.ln1.b`]!);
    const qkv = tf.transpose(tf.reshape(linear(ain, p[`${l}.qkv.w`]!, p[`${l}.qkv.b`]!), [B, T, 3, H, hd]), [2, 0, 3, 1, 4]);
    const [q, k, v] = tf.split(tf.reshape(qkv, [3, B * H, T, hd]), 3, 0).map((t) => tf.reshape(t, [B * H, T, hd]));
    const P = tf.softmax(tf.mul(tf.matMul(q!, k!, false, true), scale));
    const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(P, v!), [B, H, T, hd]), [0, 2, 1, 3]), [B * T, D]);
    h = tf.add(h, linear(o, p[`${l}.o.w`]!, p[`${l}.o.b`]!));
    const [cin, cc] = lnF(h, p[`${l}.ln2.g`]!, p[`${l}.ln2.b`]!);
    const u = linear(cin, p[`${l}.fc1.w`]!, p[`${l}.fc1.b`]!);
    const s = tf.sigmoid(tf.mul(u, 1.702));
    const gl = tf.mul(u, s);
    h = tf.add(h, linear(gl, p[`${l}.fc2.w`]!, p[`${l}.fc2.b`]!));
    if (keep) blocks.push({ a, ain, q: q!, k: k!, v: v!, P, o, c: cc, cin, u, s, gl });
  }
  const clsOut = tf.reshape(tf.slice(tf.reshape(h, [B, T, D]), [0, 0, 0], [B, 1, D]), [B, D]);
  const [f, post] = lnF(clsOut, p['post.g']!, p['post.b']!);
  const logits = linear(f, p['head.w']!, p['head.b']!);
  return { logits, patches, pre, blocks, f, post, B, T, D, H, hd, n, scale };
}

/** One training step's loss and gradients (mean cross-entropy against integer labels). */
export function lossAndGrads(p: P, c: TinyVitConfig, x: tf.Tensor, labels: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const r = run(p, c, x, true);
  const { B, T, D, H, hd, n, scale } = r;
  const g: Record<string, tf.Tensor> = {};
  const onehot = tf.oneHot(labels, c.classes);
  const logp = tf.logSoftmax(r.logits);
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), -1))) as tf.Scalar;
  const dlogits = tf.div(tf.sub(tf.exp(logp), onehot), B);
  g['head.w'] = tf.matMul(dlogits, r.f, true, false);
  g['head.b'] = tf.sum(dlogits, 0);
  const df = tf.matMul(dlogits, p['head.w']!);
  const [dcls, dpg, dpb] = lnB(df, r.post);
  g['post.g'] = dpg; g['post.b'] = dpb;
  let dh: tf.Tensor = tf.reshape(tf.concat([tf.reshape(dcls, [B, 1, D]), tf.zeros([B, T - 1, D])], 1), [B * T, D]);
  for (let l = c.depth - 1; l >= 0; l--) {
    const b = r.blocks[l]!;
    // MLP
    g[`${l}.fc2.w`] = tf.matMul(dh, b.gl, true, false);
    g[`${l}.fc2.b`] = tf.sum(dh, 0);
    const dgl = tf.matMul(dh, p[`${l}.fc2.w`]!);
    // d/du u·σ(1.702u) = σ + 1.702·u·σ·(1−σ)
    const du = tf.mul(dgl, tf.add(b.s, tf.mul(tf.mul(b.u, 1.702), tf.mul(b.s, tf.sub(1, b.s)))));
    g[`${l}.fc1.w`] = tf.matMul(du, b.cin, true, false);
    g[`${l}.fc1.b`] = tf.sum(du, 0);
    const [dc, d2g, d2b] = lnB(tf.matMul(du, p[`${l}.fc1.w`]!), b.c);
    g[`${l}.ln2.g`] = d2g; g[`${l}.ln2.b`] = d2b;
    dh = tf.add(dh, dc);
    // attention
    g[`${l}.o.w`] = tf.matMul(dh, b.o, true, false);
    g[`${l}.o.b`] = tf.sum(dh, 0);
    const dO = tf.reshape(tf.transpose(tf.reshape(tf.matMul(dh, p[`${l}.o.w`]!), [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]);
    const dP = tf.matMul(dO, b.v, false, true);
    const dv = tf.matMul(b.P, dO, true, false);
    const ds = tf.mul(tf.mul(b.P, tf.sub(dP, tf.sum(tf.mul(dP, b.P), -1, true))), scale);
    const dq = tf.matMul(ds, b.k);
    const dk = tf.matMul(ds, b.q, true, false);
    const dqkv = tf.reshape(tf.transpose(tf.reshape(tf.stack([dq, dk, dv]), [3, B, H, T, hd]), [1, 3, 0, 2, 4]), [B * T, 3 * D]);
    g[`${l}.qkv.w`] = tf.matMul(dqkv, b.ain, true, false);
    g[`${l}.qkv.b`] = tf.sum(dqkv, 0);
    const [da, d1g, d1b] = lnB(tf.matMul(dqkv, p[`${l}.qkv.w`]!), b.a);
    g[`${l}.ln1.g`] = d1g; g[`${l}.ln1.b`] = d1b;
    dh = tf.add(dh, da);
  }
  const [dh0, dprg, dprb] = lnB(dh, r.pre);
  g['pre.g'] = dprg; g['pre.b'] = dprb;
  const dh3 = tf.reshape(dh0, [B, T, D]);
  g['pos'] = tf.sum(dh3, 0);
  g['cls'] = tf.reshape(tf.sum(tf.slice(dh3, [0, 0, 0], [B, 1, D]), 0), [D]);
  const de = tf.reshape(tf.slice(dh3, [0, 1, 0], [B, n, D]), [B * n, D]);
  g['patch.w'] = tf.matMul(de, r.patches, true, false);
  return { loss, grads: g };
}
