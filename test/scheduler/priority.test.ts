// The ready queue serves the critical path first (review minor 33): a fine-tune that feeds a
// merge, its evals and the report gets a free slot before a leaf eval that was waiting longer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as Effect from 'effect/Effect';
import * as Deferred from 'effect/Deferred';
import * as Fiber from 'effect/Fiber';
import { PriorityGate, criticalPathLengths } from '../../src/scheduler/priorityGate.js';
import { stage } from './helpers.js';

test('criticalPathLengths: longest chain of dependents, the stage itself included', () => {
  const g = [
    stage('head.t', 'zeroshot_head', 'zeroshot', {}),
    stage('finetune.t', 'finetune', 'lora', {}, [{ stage: 'head.t', role: 'head' }]),
    stage('eval.zs.t', 'eval', 'accuracy', {}, [{ stage: 'head.t', role: 'head' }]),
    stage('merge.avg', 'merge', 'average', {}, [{ stage: 'finetune.t', role: 'model' }]),
    stage('eval.avg.t', 'eval', 'accuracy', {}, [{ stage: 'merge.avg', role: 'model' }]),
    stage('report', 'report', 'report', {}, [{ stage: 'eval.zs.t', role: 'metrics' }, { stage: 'eval.avg.t', role: 'metrics' }]),
  ];
  const n = criticalPathLengths(g);
  assert.equal(Object.fromEntries(n), { 'head.t': 5, 'finetune.t': 4, 'eval.zs.t': 2, 'merge.avg': 3, 'eval.avg.t': 2, report: 1 });
});

test('PriorityGate: when the slot frees, the highest-priority waiter runs first, equal priorities in arrival order', async () => {
  const gate = new PriorityGate(1);
  const order: string[] = [];
  const program = Effect.gen(function* () {
    const hold = yield* Deferred.make<void>();
    const holder = yield* Effect.forkChild(gate.withPermits(1, 0, Effect.flatMap(Deferred.await(hold), () => Effect.sync(() => order.push('holder')))));
    yield* Effect.yieldNow;
    // queued while the only slot is busy: a leaf first, then two critical-path stages
    const fibers = [];
    for (const [name, prio] of [['leaf', 1], ['ft-a', 4], ['ft-b', 4], ['merge', 3]] as const) {
      fibers.push(yield* Effect.forkChild(gate.withPermits(1, prio, Effect.sync(() => order.push(name)))));
      yield* Effect.yieldNow;
    }
    yield* Deferred.succeed(hold, undefined);
    for (const f of [holder, ...fibers]) yield* Fiber.await(f);
  });
  await Effect.runPromise(program);
  assert.equal(order, ['holder', 'ft-a', 'ft-b', 'merge', 'leaf']);
});

test.run();
