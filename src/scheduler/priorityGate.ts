// Device permits handed out by priority instead of arrival order: when a slot frees, the
// waiting stage with the longest chain of dependents goes first, so the critical path
// (fine-tune → merge → eval → report) is not held up behind a leaf eval that happened to
// become ready a moment earlier.
import * as Deferred from 'effect/Deferred';
import * as Effect from 'effect/Effect';
import type { Stage } from '../compile/ir.js';

interface Waiter {
  readonly count: number;
  readonly priority: number;
  /** arrival number: equal priorities keep first-come order */
  readonly seq: number;
  readonly ready: Deferred.Deferred<void>;
}

/** A counting semaphore whose waiters are served highest priority first. */
export class PriorityGate {
  private free: number;
  private seq = 0;
  private readonly waiting: Waiter[] = [];

  constructor(permits: number) {
    this.free = permits;
  }

  /** Run `use` holding `count` permits; among waiters, higher `priority` is served first. */
  withPermits<A, E, R>(count: number, priority: number, use: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    const acquire = Effect.suspend(() => {
      if (this.waiting.length === 0 && this.free >= count) {
        this.free -= count;
        return Effect.void;
      }
      const ready = Deferred.makeUnsafe<void>();
      this.waiting.push({ count, priority, seq: this.seq++, ready });
      this.waiting.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      return Deferred.await(ready);
    });
    const release = Effect.sync(() => {
      this.free += count;
      this.wake();
    });
    return Effect.flatMap(acquire, () => Effect.ensuring(use, release));
  }

  private wake(): void {
    // strict priority order: a big request at the head is not starved by small ones behind it
    while (this.waiting.length > 0 && this.free >= this.waiting[0]!.count) {
      const w = this.waiting.shift()!;
      this.free -= w.count;
      Deferred.doneUnsafe(w.ready, Effect.void);
    }
  }
}

/**
 * Length (in stages) of the longest chain from each stage to the end of the graph, itself
 * included: a leaf is 1, a fine-tune feeding a merge, its evals and the report is 4.
 */
export function criticalPathLengths(stages: readonly Stage[]): Map<string, number> {
  const consumers = new Map<string, string[]>();
  for (const s of stages) for (const i of s.inputs) {
    const list = consumers.get(i.stage);
    if (list) list.push(s.id); else consumers.set(i.stage, [s.id]);
  }
  const length = new Map<string, number>();
  // stages are in topological order, so consumers come later: walk backwards
  for (let k = stages.length - 1; k >= 0; k--) {
    const id = stages[k]!.id;
    const after = (consumers.get(id) ?? []).reduce((m, c) => Math.max(m, length.get(c) ?? 0), 0);
    length.set(id, after + 1);
  }
  return length;
}
