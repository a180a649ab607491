// Lightning's ModelCheckpoint(save_top_k, monitor = test accuracy) for the classifier fine-tune:
// after each evaluation the model is written to top_k/epoch=E-step=S/ when it ranks among the best
// k (best first; ties go to the earlier step), and folders that drop out of the best k are removed.
// The kept list is part of the training checkpoint, so on resume folders written after that
// checkpoint are removed again.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClassifierNet } from './ClassifierNet.js';

/** One save-point evaluation. */
export interface ClassifierEval {
  readonly epoch: number;
  readonly step: number;
  readonly accuracy: number;
  readonly loss: number;
}

/** A kept top-k model: folder (under checkpointDir/top_k) and its test accuracy. */
export interface TopKEntry extends ClassifierEval {
  readonly name: string;
}

/** The best `limit` models in `dir` (limit 0: none, −1: all). */
export class TopK {
  entries: TopKEntry[] = [];

  constructor(readonly dir: string, private readonly limit: number) {}

  async open(): Promise<void> { await mkdir(this.dir, { recursive: true }); }

  /** Go back to the list a checkpoint kept: folders not on it were written after that checkpoint. */
  async restore(entries: readonly TopKEntry[]): Promise<void> {
    this.entries = [...entries];
    if (!existsSync(this.dir)) return;
    const keep = new Set(this.entries.map((e) => e.name));
    for (const f of readdirSync(this.dir)) if (!keep.has(f)) await rm(join(this.dir, f), { recursive: true, force: true });
  }

  /** Offer the model as it is now, evaluated as `e`: saved if it ranks among the best. */
  async offer(net: ClassifierNet, e: ClassifierEval): Promise<void> {
    if (this.limit === 0) return;
    const name = `epoch=${e.epoch}-step=${e.step}`;
    const cand = [...this.entries, { ...e, name }].sort((a, b) => b.accuracy - a.accuracy || a.step - b.step);
    const kept = this.limit < 0 ? cand : cand.slice(0, this.limit);
    if (kept.some((x) => x.name === name)) {
      const tmp = join(this.dir, `.tmp-${name}`);
      await rm(tmp, { recursive: true, force: true });
      await net.save(tmp);
      await rm(join(this.dir, name), { recursive: true, force: true });
      await rename(tmp, join(this.dir, name));
    }
    for (const x of this.entries) if (!kept.some((y) => y.name === x.name)) await rm(join(this.dir, x.name), { recursive: true, force: true });
    this.entries = kept;
  }
}
