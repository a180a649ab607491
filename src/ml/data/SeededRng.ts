// Deterministic randomness for data order, augmentation and synthetic data. Mulberry32
// (Tommy Ettinger, public domain, https://gist.github.com/tommyettinger/46a874533244883189143505d203312c):
// one 32-bit word of state, so a checkpoint stores the data order exactly as a single number.

/** A small seeded PRNG whose whole state is one uint32 (getState/setState for checkpoints). */
export class SeededRng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** the full state, to store in a checkpoint */
  getState(): number {
    return this.state;
  }

  /** restore a state returned by getState */
  setState(state: number): void {
    this.state = state >>> 0;
  }

  /** next uniformly distributed uint32 */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** uniform float in [0, 1) */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** uniform float in [lo, hi) */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** uniform integer in [lo, hi] (inclusive) */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** standard normal sample (Box–Muller) */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** one element of a non-empty list */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }

  /** Fisher–Yates shuffle of `xs` in place */
  shuffleInPlace(xs: { [i: number]: number; readonly length: number }): void {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = xs[i] as number;
      xs[i] = xs[j] as number;
      xs[j] = t;
    }
  }
}

/** Deterministic permutation of 0..n-1 for a seed: the data order of a training run. */
export function seededShuffle(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  new SeededRng(seed).shuffleInPlace(p);
  return p;
}

/** Stable 32-bit hash of a string (FNV-1a), to derive seeds from names. */
export function hashString32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
