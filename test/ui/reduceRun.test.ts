import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countStages, etaSeconds, initialRunState, reduceRun, replayRun } from '../../src/ui/reduceRun.js';
import { loadEvents } from './fixtures.js';

test('run event registers every stage in graph order, pending', () => {
  const [run] = loadEvents('running');
  const s = reduceRun(initialRunState, run!);
  assert.is(s.order.length, 9);
  assert.is(s.order[0], 'model.clip-tiny');
  assert.is(s.stages['finetune.full.mnist']!.task, 'mnist');
  assert.is(s.stages['report']!.status, 'pending');
  assert.equal(s.devices, ['cpu:0', 'cpu:1']);
});

test('running fixture: cached, running with progress, queued', () => {
  const s = replayRun(loadEvents('running'));
  const c = countStages(s);
  assert.equal([c.done, c.cached, c.running, c.queued, c.failed], [0, 3, 2, 4, 0]);
  const ft = s.stages['finetune.full.mnist']!;
  assert.is(ft.status, 'running');
  assert.is(ft.device, 'cpu:0');
  assert.is(ft.step, 120);
  assert.is(ft.total, 200);
  assert.is(ft.checkpointStep, 100);
  assert.ok(ft.losses.length === 6 && ft.losses[0]! > ft.losses[5]!, 'losses kept oldest first');
  assert.equal(s.finishedOrder, ['model.clip-tiny', 'head.clip-tiny.mnist', 'head.clip-tiny.synth_shapes']);
});

test('ETA comes from the rate since the first progress of the attempt', () => {
  const s = replayRun(loadEvents('running'));
  // 20 steps every 2 s -> 80 steps left = 8 s
  assert.is(etaSeconds(s.stages['finetune.full.mnist']!), 8);
  assert.is(etaSeconds(s.stages['merge.average']!), undefined);
});

test('resumed stage remembers the step it resumed from and restarts the rate', () => {
  const s = replayRun(loadEvents('resumed'));
  const ft = s.stages['finetune.full.mnist']!;
  assert.is(ft.resumedFrom, 100);
  assert.is(ft.step, 160);
  assert.is(ft.rateFrom!.step, 120);
});

test('failed: error, log tail and replay kept; dependents skipped; finished counts', () => {
  const s = replayRun(loadEvents('failed'));
  const f = s.stages['finetune.full.synth_shapes']!;
  assert.is(f.status, 'failed');
  assert.match(f.replay!, /^fbw replay \S+ --stage finetune.full.synth_shapes$/);
  assert.is(f.logTail!.length, 5);
  assert.is(s.stages['merge.average']!.status, 'skipped');
  assert.is(s.finished!.status, 'failed');
  const c = countStages(s);
  assert.equal([c.done, c.cached, c.failed, c.skipped], [1, 3, 1, 4]);
});

test('finished: every stage terminal, in the order they finished', () => {
  const s = replayRun(loadEvents('finished'));
  assert.is(s.finishedOrder.length, 9);
  assert.is(s.finishedOrder[8], 'report');
  assert.is(s.stages['finetune.full.mnist']!.metrics!['accuracy'], 0.931);
  assert.is(s.stages['eval.average.mnist']!.seconds, 3.2);
});

test('events for unknown stages create them instead of throwing; reducer is pure', () => {
  const before = initialRunState;
  const s = reduceRun(before, { t: 1, run: 'r', event: 'started', stage: 'x.y', key: 'k', device: 'cpu', attempt: 1, log: 'l' });
  assert.is(s.stages['x.y']!.status, 'running');
  assert.is(s.stages['x.y']!.kind, 'x');
  assert.equal(before.order, []);
});

test('retried then started again', () => {
  let s = reduceRun(initialRunState, { t: 1, run: 'r', event: 'started', stage: 'a', key: 'k', device: 'cpu', attempt: 1, log: 'l' });
  s = reduceRun(s, { t: 2, run: 'r', event: 'retried', stage: 'a', attempt: 2, reason: 'worker exited with code 137', delayMs: 1000 });
  assert.is(s.stages['a']!.status, 'retrying');
  assert.is(countStages(s).queued, 1);
  s = reduceRun(s, { t: 3, run: 'r', event: 'started', stage: 'a', key: 'k', device: 'cpu', attempt: 2, log: 'l' });
  assert.is(s.stages['a']!.status, 'running');
  assert.is(s.stages['a']!.attempt, 2);
});

test.run();
