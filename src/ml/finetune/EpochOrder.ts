// The order examples are drawn in: a seeded shuffle of the training indices, drawn batch by batch,
// reshuffled (from the same stream) when an epoch runs out. Its three numbers (order, position,
// epoch count) and the stream's state are what a checkpoint keeps to continue bit-identically.
import type { SeededRng } from '../data/SeededRng.js';

/** Where an EpochOrder is, as a checkpoint stores it. */
export interface EpochOrderState {
  readonly epoch: number;
  readonly cursor: number;
  readonly order: readonly number[];
}

/** A per-epoch shuffled order over `indices`, drawn from `rng` (which the caller checkpoints). */
export class EpochOrder {
  epoch = 0;
  cursor = 0;
  order: number[] = [];

  constructor(private readonly indices: readonly number[], private readonly rng: SeededRng) {}

  /** Indices 0 … n−1. */
  static range(n: number, rng: SeededRng): EpochOrder {
    return new EpochOrder(Array.from({ length: n }, (_, i) => i), rng);
  }

  /** A fresh shuffle at position 0 (the epoch count is the caller's: a first epoch is not a new one). */
  reshuffle(): void {
    this.order = [...this.indices];
    this.rng.shuffleInPlace(this.order);
    this.cursor = 0;
  }

  /** The next batch of exactly `n` (a new epoch when fewer than `n` remain: the remainder is dropped). */
  nextFull(n: number): number[] {
    if (this.cursor + n > this.order.length) { this.epoch++; this.reshuffle(); }
    const idx = this.order.slice(this.cursor, this.cursor + n);
    this.cursor += n;
    return idx;
  }

  /** The next batch of up to `n` (the epoch's last batch may be smaller; a new epoch once it is used up). */
  next(n: number): number[] {
    if (this.exhausted) { this.epoch++; this.reshuffle(); }
    const idx = this.order.slice(this.cursor, this.cursor + n);
    this.cursor += idx.length;
    return idx;
  }

  /** Every example of this epoch has been drawn. */
  get exhausted(): boolean { return this.cursor >= this.order.length; }

  state(): EpochOrderState { return { epoch: this.epoch, cursor: this.cursor, order: this.order }; }

  restore(s: EpochOrderState): void { this.epoch = s.epoch; this.cursor = s.cursor; this.order = [...s.order]; }
}
