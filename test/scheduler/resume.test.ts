// The done-when tests that need real training: two fine-tunes overlap on --devices cpu:2,
// kill -9 of the whole `fbw run` mid-training then the same command again resumes from the
// checkpoint and ends with the same report and weights as an uninterrupted run; a stale lock
// left by the killed run is taken over; a third run executes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import type { Stage } from '../../src/compile/ir.js';
import { Store } from '../../src/store/Store.js';
import { readLock } from '../../src/store/lock.js';
import { summarizeRun } from '../../src/store/runSummary.js';
import type { RunEvent } from '../../src/protocol/events.js';
import { tempDir, stage, pretrained } from './helpers.js';
import { makeTinyClip } from './tinyClip.js';
import { compiledParams } from '../shared/compiledParams.js';
import { FBW_BIN } from '../shared/helpers.js';

const TASK = 'mnist';

/** pretrained -> head -> (fine-tune -> eval) alongside a zero-shot eval -> report */
function trainGraph(model: string): Stage[] {
  const t = TASK;
  return [
    pretrained('model.tiny', model),
    stage(`head.${t}`, 'zeroshot_head', 'zeroshot', {}, [{ stage: 'model.tiny', role: 'model' }], { task: t, output: 'head' }),
    stage(`finetune.full.${t}`, 'finetune', 'full', compiledParams(['full'], { learning_rate: 1e-3, weight_decay: 0, num_steps: 20, batch_size: 16, save_interval: 5, seed: 42, head: 'zeroshot' }),
      [{ stage: 'model.tiny', role: 'base' }, { stage: `head.${t}`, role: 'head', task: t }], { task: t }),
    stage(`eval.zeroshot.${t}`, 'eval', 'accuracy', { row: 'pretrained (zero-shot)', max_examples: 100, batch_size: 100 },
      [{ stage: 'model.tiny', role: 'model' }, { stage: `head.${t}`, role: 'head', task: t }], { task: t, output: 'metrics' }),
    stage(`eval.full.${t}`, 'eval', 'accuracy', { row: 'fine-tuned (individual)', max_examples: 100, batch_size: 100 },
      [{ stage: `finetune.full.${t}`, role: 'model' }, { stage: `head.${t}`, role: 'head', task: t }], { task: t, output: 'metrics' }),
    stage('report', 'report', 'table', {}, [
      { stage: `eval.zeroshot.${t}`, role: 'metrics', task: t }, { stage: `eval.full.${t}`, role: 'metrics', task: t },
      { stage: `finetune.full.${t}`, role: 'train_log', task: t },
    ], { tasks: [t], output: 'report' }),
  ];
}

function workflowDir(root: string, name: string, model: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'g.json'), JSON.stringify({ stages: trainGraph(model) }));
  return d;
}

function fbw(cwd: string, ...args: string[]): { code: number; events: RunEvent[]; stderr: string } {
  const r = spawnSync(process.execPath, [FBW_BIN, ...args], { cwd, encoding: 'utf8' });
  const events = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunEvent);
  return { code: r.status ?? -1, events, stderr: r.stderr };
}

/** Start `fbw run` in its own process group; at the first checkpoint kill -9 the whole group, or send SIGINT (Ctrl-C) to the scheduler. */
function runAndKillAtCheckpoint(cwd: string, how: 'kill9' | 'sigint' = 'kill9'): Promise<{ events: RunEvent[]; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FBW_BIN, 'run', 'g.json', '--json', '--devices', 'cpu:2'], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const seen: RunEvent[] = [];
    let buf = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, i)) as RunEvent;
        buf = buf.slice(i + 1);
        seen.push(e);
        if (e.event === 'checkpointed' && !killed) { killed = true; how === 'kill9' ? process.kill(-child.pid!, 'SIGKILL') : child.kill('SIGINT'); }
      }
    });
    child.on('close', (code) => (killed ? resolve({ events: seen, code }) : reject(new Error(`run ended without a checkpoint to stop at: ${JSON.stringify(seen.at(-1))}`))));
  });
}

/** the report without what differs between two runs by design: timings and provenance (run id, date, store) */
const withoutTimes = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(withoutTimes) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'seconds' && k !== 'provenance').map(([k, x]) => [k, withoutTimes(x)])) : v;

function modelHashes(store: Store, events: RunEvent[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) if (e.event === 'committed' || e.event === 'cached') if (e.stage.startsWith('finetune.')) {
    out[e.stage] = store.readManifest(e.key)!.files.find((f) => f.path === 'model.safetensors')!.sha256;
  }
  return out;
}

test('kill -9 mid-training, run again: committed stages reused, training resumes, same report as uninterrupted', async () => {
  const root = tempDir('fbw-resume-');
  const model = await makeTinyClip(join(root, 'tiny'));
  const a = workflowDir(root, 'uninterrupted', model);
  const b = workflowDir(root, 'killed', model);

  // uninterrupted reference run; the fine-tune and the independent zero-shot eval overlap in time on two CPU slots
  const ra = fbw(a, 'run', 'g.json', '--json', '--devices', 'cpu:2');
  assert.is(ra.code, 0, ra.stderr);
  const span = (id: string) => ({
    start: ra.events.find((e) => e.event === 'started' && e.stage === id)!.t,
    end: ra.events.find((e) => e.event === 'committed' && e.stage === id)!.t,
  });
  const [f1, f2] = [span(`finetune.full.${TASK}`), span(`eval.zeroshot.${TASK}`)];
  assert.ok(f1.start < f2.end && f2.start < f1.end, `independent stages did not overlap: ${JSON.stringify([f1, f2])}`);
  const devices = new Set(ra.events.filter((e) => e.event === 'started').map((e) => (e as { pid?: number }).pid));
  assert.ok(devices.size >= 2, 'stages ran in separate worker processes');

  // kill -9 the whole run (scheduler and workers) at the first checkpoint
  const killedEvents = (await runAndKillAtCheckpoint(b)).events;
  const ck = killedEvents.find((e) => e.event === 'checkpointed') as Extract<RunEvent, { event: 'checkpointed' }>;
  assert.not.ok(killedEvents.some((e) => e.event === 'finished'));
  const storeB = new Store(join(b, '.fbw'));
  assert.ok(readLock(storeB.lockFile), 'the killed run left its lock behind');
  const committedBefore = killedEvents.filter((e) => e.event === 'committed').map((e) => (e as { stage: string }).stage);

  // the plan sees the checkpoint
  const plan = spawnSync(process.execPath, [FBW_BIN, 'plan', 'g.json', '--json'], { cwd: b, encoding: 'utf8' });
  const planned = plan.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string; fromStep?: number });
  assert.ok(planned.some((p) => p.id === ck.stage && p.status === 'resumable' && (p.fromStep ?? 0) >= ck.step), plan.stdout);

  // same command again: stale lock taken over, committed stages cached, training resumed
  const rb = fbw(b, 'run', 'g.json', '--json', '--devices', 'cpu:2');
  assert.is(rb.code, 0, rb.stderr);
  const cached = rb.events.filter((e) => e.event === 'cached').map((e) => (e as { stage: string }).stage);
  for (const s of committedBefore) assert.ok(cached.includes(s), `${s} was committed before the kill and must be reused`);
  const resumed = rb.events.find((e) => e.event === 'resumed' && e.stage === ck.stage) as Extract<RunEvent, { event: 'resumed' }> | undefined;
  assert.ok(resumed && resumed.fromStep >= ck.step, `${ck.stage} resumes from its checkpoint (>= step ${ck.step})`);
  const last = rb.events.at(-1) as Extract<RunEvent, { event: 'finished' }>;
  assert.is(last.event, 'finished');
  assert.is(last.status, 'ok');
  assert.ok(last.report && existsSync(last.report));

  // identical results: the report (timings aside) and the fine-tuned weights
  const repA = JSON.parse(readFileSync((ra.events.at(-1) as { report: string }).report, 'utf8'));
  const repB = JSON.parse(readFileSync(last.report!, 'utf8'));
  assert.equal(withoutTimes(repB), withoutTimes(repA));
  assert.equal(modelHashes(storeB, rb.events), modelHashes(new Store(join(a, '.fbw')), ra.events));

  // the killed run shows as crashed; a third run executes nothing
  const runs = storeB.listRuns();
  assert.is(summarizeRun(storeB, runs[0]!).status, 'crashed');
  const rc = fbw(b, 'run', 'g.json', '--json');
  assert.is(rc.code, 0);
  assert.is(rc.events.filter((e) => e.event === 'started').length, 0);
  assert.is((rc.events.at(-1) as Extract<RunEvent, { event: 'finished' }>).counts.cached, trainGraph(model).length);
});

test('Ctrl-C: running stages checkpoint and stop, the run ends interrupted with exit 130, then resumes', async () => {
  const root = tempDir('fbw-sigint-');
  const model = await makeTinyClip(join(root, 'tiny'));
  const c = workflowDir(root, 'c', model);
  const { events, code } = await runAndKillAtCheckpoint(c, 'sigint');
  assert.is(code, 130);
  const last = events.at(-1) as Extract<RunEvent, { event: 'finished' }>;
  assert.is(last.event, 'finished');
  assert.is(last.status, 'interrupted');
  assert.ok(events.some((e) => e.event === 'interrupted' && e.stage === `finetune.full.${TASK}`), 'the training stage reports it stopped');
  const store = new Store(join(c, '.fbw'));
  assert.not.ok(existsSync(store.lockFile), 'a clean stop releases the lock');
  const plan = spawnSync(process.execPath, [FBW_BIN, 'plan', 'g.json', '--json'], { cwd: c, encoding: 'utf8' });
  const ft = plan.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string; fromStep?: number }).find((p) => p.id === `finetune.full.${TASK}`)!;
  assert.is(ft.status, 'resumable', plan.stdout);
});

test.run();
