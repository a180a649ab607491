// The slurm executor under the real scheduler: `fbw run --executor slurm` on a small real
// workflow gives the same report, keys and weights as local; a failing job fails only its dependents with its log tail
// and a replay command, and a head killed with SIGKILL is replaced by one that re-attaches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, slurmUnavailable, type Cluster } from './cluster.js';
import { modelDir } from './models.js';
import { makeRandomClip } from '../ml-model/helpers.js';
import { main } from '../../src/cli/main.js';
import { waitJob } from './helpers.js';
import { createSlurmClient, renderSbatchScript, slurmExecutor, type SlurmOptions } from '../../src/executors/slurm/index.js';
import { runGraph } from '../../src/scheduler/runGraph.js';
import { Store, readJournal } from '../../src/store/index.js';
import type { Graph, Stage } from '../../src/compile/ir.js';
import type { RunEvent } from '../../src/protocol/events.js';

const skip = slurmUnavailable();
const RUN_HEAD = fileURLToPath(new URL('./fixtures/runHead.js', import.meta.url));
let cluster: Cluster;
const options: SlurmOptions = { pollIntervalMs: 200, defaults: { mem: '200M' } };

const pretrained = (id: string, path: string): Stage => ({ id, kind: 'pretrained', method: 'local', params: { path }, inputs: [], output: 'model', label: id });
const ofKind = <K extends RunEvent['event']>(evs: RunEvent[], k: K) => evs.filter((e): e is Extract<RunEvent, { event: K }> => e.event === k);
/** The `job` events (SLURM job ids, states, nodes, exit codes) of a run's journal.jsonl. */
const jobEvents = (store: string, run: string) => {
  const p = join(store, 'runs', run, 'journal.jsonl');
  return existsSync(p) ? ofKind(readJournal(p), 'job') : [];
};

/** Path of the first difference between two JSON values, with both values. */
function firstDiff(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b ? undefined : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

test.before(async () => {
  if (skip) return;
  cluster = await startCluster({ cpus: 16, gpus: 0 });
});
test.after(async () => { if (cluster) await cluster.stop(); });

if (skip) {
  test('fbw run --executor slurm (skipped)', () => { console.log(`  skipped: ${skip}`); });
} else {
  test('fbw run --executor slurm on a small fine-tune → merge → eval workflow gives the same report as local', async () => {
    const wf = join(cluster.dir, 'wf1');
    mkdirSync(wf, { recursive: true });
    await makeRandomClip(join(wf, 'model'), 3);
    writeFileSync(join(wf, 'mini.fbw'), [
      'model base = "model"',
      'finetune base on [synth_colors, synth_shapes] lora(r=4, lora_alpha=8, learning_rate=1e-3, num_steps=4, batch_size=8, save_interval=2)',
      '  then average -> eval [synth_colors]',
      'report "results/mini"', ''].join('\n'));
    // poll every 200 ms (default 2 s): the chain of six jobs would otherwise wait ~1 s per hop
    writeFileSync(join(wf, 'slurm.json'), JSON.stringify({ pollIntervalMs: 200 }));
    const io = (out: string[]) => ({ stdout: { write: (x: string) => { out.push(x); return true; } } as unknown as NodeJS.WritableStream, stderr: { write: (x: string) => { out.push(x); return true; } } as unknown as NodeJS.WritableStream, cwd: wf, env: cluster.env });
    const lo: string[] = [], so: string[] = [];
    // both at once (separate stores): the SLURM run mostly waits for the cluster.
    // No --devices under SLURM: the default only caps the jobs in flight
    const [lc, sc] = await Promise.all([
      main(['run', 'mini.fbw', '--store', 'local', '--devices', 'cpu:2', '--json'], io(lo)),
      main(['run', 'mini.fbw', '--store', 'slurm', '--json', '--executor', 'slurm', '--slurm-config', 'slurm.json'], io(so)),
    ]);
    assert.is(lc, 0, lo.join(''));
    assert.is(sc, 0, so.join(''));
    const fin = (out: string[]) => JSON.parse(out.join('').split('\n').filter((l) => l.startsWith('{') && l.includes('"event":"finished"')).pop()!) as { report: string; run: string };
    const [l, s] = [fin(lo), fin(so)];
    // the same table, and the same JSON apart from the training wall times and the run's provenance
    assert.is(readFileSync(join(dirname(s.report), 'report.csv'), 'utf8'), readFileSync(join(dirname(l.report), 'report.csv'), 'utf8'));
    const noTimes = (p: string) => JSON.stringify(JSON.parse(readFileSync(p, 'utf8'), (k, v: unknown) => (k === 'seconds' || k === 'created' || k === 'generated' || k === 'provenance' ? null : v)));
    const [sj, lj] = [noTimes(s.report), noTimes(l.report)];
    assert.is(sj, lj, `report.json differs at ${firstDiff(JSON.parse(sj), JSON.parse(lj))}`);
    // the same keys, and bit-identical weights for every model the run made
    const keys = (dir: string, run: string) => Object.fromEntries(ofKind(readJournal(join(wf, dir, 'runs', run, 'journal.jsonl')), 'committed').map((e) => [e.stage, e.key]));
    const lk = keys('local', l.run), sk = keys('slurm', s.run);
    assert.equal(sk, lk);
    const weights = (dir: string, key: string) => new Store(join(wf, dir)).readManifest(key)!.files.filter((f) => f.path.endsWith('.safetensors')).map((f) => `${f.path}:${f.sha256}`);
    for (const [id, key] of Object.entries(lk)) assert.equal(weights('slurm', key), weights('local', key), id);
    // every stage ran as exactly one job, which completed on the node with exit code 0: the
    // run's journal (and so --json) says which job, where, and how it ended
    const lines = jobEvents(join(wf, 'slurm'), s.run);
    const started = ofKind(readJournal(join(wf, 'slurm', 'runs', s.run, 'journal.jsonl')), 'started');
    for (const id of Object.keys(lk)) {
      const sub = lines.filter((x) => x.stage === id && x.action === 'submitted');
      assert.is(sub.length, 1, id);
      const end = lines.find((x) => x.stage === id && x.state === 'COMPLETED');
      assert.ok(end && end.job === sub[0]!.job && end.exitCode === 0 && end.node === cluster.node, id);
      assert.equal(started.filter((e) => e.stage === id).map((e) => e.job), [{ system: 'slurm', id: sub[0]!.job, node: cluster.node }], id);
    }
    assert.ok(so.join('').includes('"event":"job"'), '--json streams the job events');
    // run again: everything cached, nothing submitted
    const ao: string[] = [];
    assert.is(await main(['run', 'mini.fbw', '--store', 'slurm', '--json', '--executor', 'slurm', '--slurm-config', 'slurm.json'], io(ao)), 0);
    const again = fin(ao);
    assert.equal(jobEvents(join(wf, 'slurm'), again.run), []);
    assert.is(ofKind(readJournal(join(wf, 'slurm', 'runs', again.run, 'journal.jsonl')), 'cached').length, Object.keys(lk).length);
  });

  test('a failing job fails only its dependents, with its log tail and a replay command', async () => {
    const wf = join(cluster.dir, 'wf2');
    const bad = join(wf, 'bad');
    await modelDir(bad, 3);
    writeFileSync(join(bad, 'model.safetensors'), Buffer.from('\x10\x00\x00\x00\x00\x00\x00\x00{"broken": tru'));
    const report: Stage = { id: 'report', kind: 'report', method: 'table', params: {}, inputs: [{ stage: 'model.bad', role: 'metrics' }], output: 'report', label: 'report' };
    const g: Graph = { file: join(wf, 'f.fbw'), stages: [pretrained('model.bad', bad), pretrained('model.ok', await modelDir(join(wf, 'ok'), 4)), report] };
    const r = await runGraph(g, { store: join(wf, 'store'), env: cluster.env, keepGoing: true, retries: 0, executor: slurmExecutor({ options, env: cluster.env }) });
    assert.is(r.status, 'failed');
    const evs = readJournal(r.journal);
    const failed = ofKind(evs, 'failed');
    assert.equal(failed.map((e) => e.stage), ['model.bad']);
    assert.match(failed[0]!.error, /ModelFilesInvalid: .*corrupt safetensors.*\(SLURM job \d+ on /);
    assert.ok(failed[0]!.logTail.some((l) => /FAILED|corrupt/.test(l)), failed[0]!.logTail.join('\n'));
    assert.match(failed[0]!.replay, new RegExp(`^fbw replay ${r.run} --stage model.bad`));
    assert.equal(ofKind(evs, 'skipped').map((e) => e.stage), ['report']);
    assert.equal(ofKind(evs, 'committed').map((e) => e.stage), ['model.ok']);
    const end = jobEvents(r.store, r.run).find((l) => l.stage === 'model.bad' && l.state === 'FAILED')!;
    assert.is(end.exitCode, 1);
  });

  test('head killed with SIGKILL while jobs queue and run: the next run re-attaches, no stage runs twice', async () => {
    const wf = join(cluster.dir, 'wf3');
    const store = join(wf, 'store');
    const g: Graph = { file: join(wf, 'k.fbw'), stages: [pretrained('model.x', await modelDir(join(wf, 'x'), 5)), pretrained('model.y', await modelDir(join(wf, 'y'), 6))] };
    // each stage job takes 8 of 16 CPUs and lasts ≥ 2 s; a blocker holds the other 8, so one runs and one queues
    const slow: SlurmOptions = { ...options, setup: ['sleep 2'], kinds: { pretrained: { cpus: 8, mem: '200M' } } };
    writeFileSync(join(cluster.dir, 'g3.json'), JSON.stringify(g));
    writeFileSync(join(cluster.dir, 'o3.json'), JSON.stringify(slow));
    const client = createSlurmClient({ env: cluster.env });
    const blocker = await client.submit(renderSbatchScript({ jobName: 'blocker', stdout: '/dev/null', stderr: '/dev/null', cwd: '/', command: ['sleep', '300'],
      resources: { cpusPerTask: 8, gpus: 0, mem: '10M', requeue: false, extra: [] } }));
    await waitJob(client, blocker, (s) => s.phase === 'running');
    const head = spawn(process.execPath, [RUN_HEAD, join(cluster.dir, 'g3.json'), store, join(cluster.dir, 'o3.json')], { env: cluster.env, stdio: ['ignore', 'ignore', 'inherit'] });
    const st = new Store(store);
    let firstRun = '';
    let ids: string[] = [];
    for (let i = 0; i < 600; i++) {
      firstRun = st.listRuns()[0] ?? '';
      // the job ids come from the dead head's journal.jsonl (one synchronous write per event)
      const lines = firstRun ? jobEvents(store, firstRun) : [];
      ids = lines.filter((l) => l.action === 'submitted').map((l) => l.job);
      if (ids.length === 2) {
        const s = await client.poll(ids);
        const phases = [...s.values()].map((x) => x.phase).sort();
        if (phases[0] === 'queued' && phases[1] === 'running') break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const phases = [...(await client.poll(ids)).values()].map((x) => x.phase).sort();
    assert.equal(phases, ['queued', 'running'], 'one job runs, one queues when the head dies');
    head.kill('SIGKILL');
    await new Promise((r) => head.once('exit', r));
    await client.cancel([blocker]);

    const r = await runGraph(g, { store, env: cluster.env, executor: slurmExecutor({ options: slow, env: cluster.env }) });
    assert.is(r.status, 'ok', JSON.stringify(ofKind(readJournal(r.journal), 'failed')));
    assert.equal(ofKind(readJournal(r.journal), 'committed').map((e) => e.stage).sort(), ['model.x', 'model.y']);
    const second = jobEvents(store, r.run);
    assert.is(second.filter((l) => l.action === 'submitted').length, 0, 'the second head submitted nothing');
    assert.equal(second.filter((l) => l.action === 'reattached' || l.action === 'adopted').map((l) => l.job).sort(), [...ids].sort());
    // every stage ran in exactly one job: the union of both runs' submissions, and each stage
    // committed by the second run started in the job the first run submitted for it
    const first = jobEvents(store, firstRun).filter((l) => l.action === 'submitted');
    assert.equal(first.map((l) => l.stage).sort(), ['model.x', 'model.y']);
    const jobOf = new Map(first.map((l) => [l.stage, l.job]));
    for (const e of ofKind(readJournal(r.journal), 'started')) assert.is(e.job?.id, jobOf.get(e.stage), e.stage);
  });
}

test.run();
