// Continual fine-tuning: seeded task order, each task raised over zero-shot right after training on
// it, the accuracy matrix and backward transfer, and exact resume after an interruption mid-sequence.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { backwardTransfer, continualFinetune, continualOrder, type ContinualArgs } from '../../src/ml/finetune/continual.js';
import { Interrupted } from '../../src/util/interrupted.js';
import { sameState, setup, tempDir } from './helpers.js';
import { clipFinetuneArgs } from '../../src/registry/methods/clipFinetune.js';

const dir = tempDir('fbw-continual-');

test('task order: seeded shuffle is stable, shuffle_order=false keeps the given order; BWT formula', () => {
  const tasks = ['a', 'b', 'c', 'd', 'e'];
  assert.equal(continualOrder(tasks, true, 42), continualOrder(tasks, true, 42));
  assert.equal([...continualOrder(tasks, true, 42)].sort(), tasks);
  assert.ok([1, 2, 3, 4].some((s) => continualOrder(tasks, true, s).join() !== tasks.join()), 'shuffling changes the order for some seed');
  assert.equal(continualOrder(tasks, false, 42), tasks);
  assert.is(backwardTransfer([[0.5]]), null);
  assert.ok(Math.abs(backwardTransfer([[0.8], [0.6, 0.9], [0.7, 0.5, 0.9]])! - ((0.7 - 0.8) + (0.5 - 0.9)) / 2) < 1e-12);
});

test('continual full: each task beats zero-shot after its turn; matrix, BWT, continuous log; kill mid-sequence resumes exactly', async () => {
  const { load, tasks } = await setup(dir);
  const args: ContinualArgs = { ...clipFinetuneArgs('full', { num_steps: 30, batch_size: 32, learning_rate: 2e-3, save_interval: 10 }, 'user'), shuffle_order: false, max_eval_examples: 200 };
  const a = await load();
  const ra = await continualFinetune(a, tasks, { ...args, checkpointDir: join(dir, 'ck-a') });
  assert.equal(ra.order, ['mnist', 'synth_colors']);
  assert.is(ra.accuracy.length, 2);
  assert.is(ra.accuracy[1]!.length, 2);
  for (let i = 0; i < 2; i++) assert.ok(ra.accuracy[i]![i]! > ra.zeroshot[i]! + 0.05, `${ra.order[i]}: zero-shot ${ra.zeroshot[i]} → ${ra.accuracy[i]![i]} after its turn`);
  assert.is(ra.backwardTransfer, ra.accuracy[1]![0]! - ra.accuracy[0]![0]!);
  assert.equal(ra.log.map((e) => e.step), Array.from({ length: 60 }, (_, i) => i + 1));
  assert.equal(ra.log.map((e) => e.task), [...Array(30).fill('mnist'), ...Array(30).fill('synth_colors')]);

  // interrupted during the second task, after its step-10 checkpoint
  const b = await load();
  const ctl = new AbortController();
  let threw: unknown;
  try { await continualFinetune(b, tasks, { ...args, checkpointDir: join(dir, 'ck-b'), signal: ctl.signal, onProgress: (p) => { if (p.step === 44) ctl.abort(); } }); } catch (e) { threw = e; }
  assert.instance(threw, Interrupted);
  b.dispose();
  const c = await load();
  const rc = await continualFinetune(c, tasks, { ...args, checkpointDir: join(dir, 'ck-b') });
  assert.is(rc.resumedAtTask, 1);
  assert.is(sameState(ra.state, rc.state), undefined, 'final weights bit-identical');
  assert.equal(rc.accuracy, ra.accuracy);
  assert.equal(rc.log.map((e) => e.loss), ra.log.map((e) => e.loss));
  a.dispose(); c.dispose();
});

test.run();
