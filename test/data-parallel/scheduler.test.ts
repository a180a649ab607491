// A `devices=2` fine-tune through the real scheduler with `--devices cpu:2`: it takes both CPU
// slots (a second stage waits), trains in 2 worker processes, commits the weights of one process
// with the whole batch; interrupted after a checkpoint it resumes to bit-identical weights; a
// rank that dies fails the stage with a clear, retryable error instead of hanging.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph, Stage } from '../../src/compile/ir.js';
import type { RunEvent } from '../../src/protocol/events.js';
import { runGraph } from '../../src/scheduler/runGraph.js';
import { readSafetensors } from '../../src/ml/io/safetensors.js';
import { tempDir, tinyClipDir } from '../ml-model/helpers.js';
import { eventsOf } from '../scheduler/helpers.js';
import { TASK, finetuneStage, makeHead, maxAbsDiff, referenceRun, runJob } from './helpers.js';
import { clipFinetuneArgs } from '../../src/registry/methods/clipFinetune.js';

const dir = tempDir('fbw-dp-sched-');
const params = { num_steps: 4, batch_size: 8, learning_rate: 1e-4, save_interval: 2, seed: 11 };

/** pretrained tiny CLIP → zero-shot head → full fine-tune on 2 devices (+ optional extra stages). */
function workflow(name: string, extra: Stage[] = []): Graph {
  const ft = finetuneStage('full', params, 2);
  return {
    file: join(dir, `${name}.fbw`),
    stages: [
      { id: 'pre', kind: 'pretrained', method: 'local', params: { path: tinyClipDir() }, inputs: [], output: 'model', label: 'tiny' },
      { id: 'head', kind: 'zeroshot_head', method: 'zeroshot', task: TASK, params: {}, inputs: [{ stage: 'pre', role: 'model' }], output: 'head', label: 'head' },
      ft,
      ...extra,
    ],
  };
}

const modelFile = (store: string, key: string) => join(store, 'objects', key, 'model.safetensors');
const ftId = finetuneStage('full', params, 2).id;

test('devices=2 on --devices cpu:2: both slots, two processes, the whole-batch weights', async () => {
  const seen: RunEvent[] = [];
  // a second trainer that wants a slot too: with 2 slots it never runs beside the 2-device stage
  const other = { ...finetuneStage('bitfit', { num_steps: 1, batch_size: 4, save_interval: 100 }), id: 'finetune.bitfit.other' };
  const r = await runGraph(workflow('a', [other]), { devices: 'cpu:2', store: join(dir, 'store-a'), subscribers: [(e) => seen.push(e)] });
  assert.is(r.status, 'ok');
  const started = eventsOf(r.journal, 'started').find((e) => e.stage === ftId)!;
  assert.is(started.device, 'cpu,cpu');
  const log = readFileSync(started.log, 'utf8');
  assert.match(log, /data-parallel: rank 1\/2 on cpu pid \d+/);
  assert.match(log, /\[rank 1\] rank 1\/2 pid \d+ on cpu OPENBLAS_NUM_THREADS=1/);
  const i = (ev: string, stage: string) => seen.findIndex((e) => e.event === ev && 'stage' in e && e.stage === stage);
  const disjoint = i('started', other.id) > i('committed', ftId) || i('started', ftId) > i('committed', other.id);
  assert.ok(disjoint, 'the 2-device stage and the other trainer never held slots at the same time');
  assert.equal(eventsOf(r.journal, 'checkpointed').filter((e) => e.stage === ftId).map((e) => e.step), [2]);
  const key = eventsOf(r.journal, 'committed').find((e) => e.stage === ftId)!.key;
  const headKey = eventsOf(r.journal, 'committed').find((e) => e.stage === 'head')!.key;
  const ref = await referenceRun(join(r.store, 'objects', headKey), clipFinetuneArgs('full', params, 'user'));
  const d = await maxAbsDiff(modelFile(r.store, key), ref.state);
  assert.ok(d.changed > 0 && d.max < 1e-5, `max |Δw| = ${d.max}`);
  assert.ok(d.maxNoiseOnly <= 2 * params.learning_rate * params.num_steps, `key biases (zero true gradient) differ by ${d.maxNoiseOnly}`);
});

test('interrupted after its checkpoint, a 2-device stage resumes to the same weights', async () => {
  const store = join(dir, 'store-b');
  const ac = new AbortController();
  const first = await runGraph(workflow('b'), {
    devices: 'cpu:2', store, signal: ac.signal,
    subscribers: [(e) => { if (e.event === 'checkpointed' && e.stage === ftId) ac.abort(); }],
  });
  assert.is(first.status, 'interrupted');
  const second = await runGraph(workflow('b'), { devices: 'cpu:2', store });
  assert.is(second.status, 'ok');
  const resumed = eventsOf(second.journal, 'resumed');
  assert.equal(resumed.map((e) => e.stage), [ftId]);
  assert.ok(resumed[0]!.fromStep >= 2 && resumed[0]!.fromStep < 4, `resumed from step ${resumed[0]!.fromStep}`);
  const key = eventsOf(second.journal, 'committed').find((e) => e.stage === ftId)!.key;
  const uninterrupted = await readSafetensors(modelFile(join(dir, 'store-a'), key));
  const d = await maxAbsDiff(modelFile(store, key), uninterrupted);
  assert.is(d.max + d.maxNoiseOnly, 0, `resumed vs uninterrupted: max |Δw| = ${Math.max(d.max, d.maxNoiseOnly)}`);
  const trainLog = JSON.parse(readFileSync(join(store, 'objects', key, 'train_log.json'), 'utf8')) as { step: number }[];
  assert.equal(trainLog.map((e) => e.step), [1, 2, 3, 4]);
});

test('a rank that dies mid-run fails the stage (transient), naming the rank', async () => {
  const head = await makeHead(join(dir, 'head-c'));
  let killed = false;
  const r = await runJob(dir, finetuneStage('full', { num_steps: 200, batch_size: 4, save_interval: 1000 }, 2), head, 'cpu,cpu', undefined, (m, job) => {
    if (killed || m.type !== 'progress') return;
    const pid = /data-parallel: rank 1\/2 on cpu pid (\d+)/.exec(readFileSync(job.logFile, 'utf8'))?.[1];
    if (pid) { killed = true; process.kill(Number(pid), 'SIGKILL'); }
  });
  assert.ok(killed);
  const last = r.messages.at(-1)!;
  assert.is(last.type, 'error');
  if (last.type === 'error') {
    assert.is(last.error.name, 'DataParallelRankFailed');
    assert.match(last.error.message, /rank 1 exited \(killed by SIGKILL\)/);
    assert.ok(last.error.transient);
  }
});

test('kill -9 of rank 0 leaves no rank behind', async () => {
  let rank1 = 0;
  const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  const long = { ...finetuneStage('full', { num_steps: 500, batch_size: 4, save_interval: 1000 }, 2), id: 'finetune.long' };
  const g = workflow('d');
  const r = await runGraph({ ...g, stages: [...g.stages.slice(0, 2), long] }, {
    devices: 'cpu:2', store: join(dir, 'store-d'), retries: 0,
    subscribers: [(e) => {
      if (rank1 || e.event !== 'progress' || e.stage !== long.id) return;
      const started = eventsOf(r0(), 'started').find((x) => x.stage === long.id)!;
      rank1 = Number(/data-parallel: rank 1\/2 on cpu pid (\d+)/.exec(readFileSync(started.log, 'utf8'))![1]);
      process.kill(started.pid!, 'SIGKILL');
    }],
  });
  function r0(): string { const runs = join(dir, 'store-d', 'runs'); return join(runs, readdirSync(runs).sort().at(-1)!, 'journal.jsonl'); }
  assert.is(r.status, 'failed');
  assert.ok(rank1 > 0);
  for (let i = 0; i < 50 && alive(rank1); i++) await new Promise((res) => setTimeout(res, 100));
  assert.not.ok(alive(rank1), `rank 1 (pid ${rank1}) still runs after rank 0 was killed`);
});

test.run();
