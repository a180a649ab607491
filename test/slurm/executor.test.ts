// The slurm executor against a real cluster: stages run as sbatch jobs, GPUs via --gres, failures
// with their log, Ctrl-C cancels, and a head killed with SIGKILL is replaced by one that
// re-attaches to its jobs (or adopts their finished output) without submitting them again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startCluster, slurmUnavailable, type Cluster } from './cluster.js';
import { waitJob } from './helpers.js';
import { createSlurmClient, slurmExecutor, type SlurmExecutor, type SlurmJournalLine, type SlurmOptions } from '../../src/executors/slurm/index.js';
import { Store, readJournal } from '../../src/store/index.js';
import { runGraph } from '../../src/scheduler/runGraph.js';
import type { RunEvent } from '../../src/protocol/events.js';
import { modelDir } from './models.js';
import { main } from '../../src/cli/main.js';
import type { StageJob } from '../../src/protocol/stageJob.js';
import type { ExecOutcome, JobUpdate } from '../../src/protocol/executor.js';
import type { Stage, Json, Graph } from '../../src/compile/ir.js';

const skip = slurmUnavailable();
const WORKER = fileURLToPath(new URL('./fixtures/testWorker.js', import.meta.url));
const HEAD = fileURLToPath(new URL('./fixtures/head.js', import.meta.url));
let cluster: Cluster;
let store: Store;
let wf: string;
const options: SlurmOptions = { pollIntervalMs: 150, defaults: { mem: '100M' }, kinds: { finetune: { cpus: 16, mem: '100M' } } };

function stage(id: string, params: { [k: string]: Json }, over: Partial<Stage> = {}): Stage {
  return { id, kind: 'merge', method: 'test', params, inputs: [], output: 'model', label: id, ...over };
}

let n = 0;
function job(run: string, s: Stage, key: string, inputs: { [id: string]: string } = {}): StageJob {
  return { run, stage: s, key, attempt: 1, inputs, outDir: store.newTmpDir(key), checkpointDir: store.checkpointDir(key), device: 'cpu', logFile: join(store.runDir(run), 'logs', `${s.id}.log`), workflowDir: wf };
}
const key = (name: string) => createHash('sha256').update(`${name}:${++n}`).digest('hex');

function executor(): SlurmExecutor {
  return slurmExecutor({ store: store.root, env: cluster.env, options, workerCommand: [process.execPath, WORKER] });
}

/** started: "jobId@node device" per start; jobs: every job update the executor reported (journalled as `job` events by the scheduler) */
interface Seen { started: string[]; jobs: JobUpdate[]; progress: number; outcome: ExecOutcome }
async function exec(ex: SlurmExecutor, j: StageJob, signal = new AbortController().signal): Promise<Seen> {
  const started: string[] = [];
  const jobs: JobUpdate[] = [];
  let progress = 0;
  const outcome = await ex.execute(j, cluster.env, {
    started: (i) => started.push(`${i.job ?? ''}${i.node ? `@${i.node}` : ''} ${i.device ?? ''}`),
    message: (m) => { if (m.type === 'progress') progress++; },
    job: (u) => jobs.push(u),
  }, signal);
  return { started, jobs, progress, outcome };
}

function slurmJournal(run: string): SlurmJournalLine[] {
  const p = join(store.runDir(run), 'slurm.jsonl');
  return existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SlurmJournalLine) : [];
}
const ranLog = () => (existsSync(join(wf, 'ran.log')) ? readFileSync(join(wf, 'ran.log'), 'utf8').trim().split('\n') : []);

test.before(async () => {
  if (skip) return;
  cluster = await startCluster({ cpus: 16, gpus: 2 });
  store = new Store(join(cluster.dir, 'store')).init();
  wf = join(cluster.dir, 'wf');
  mkdirSync(wf, { recursive: true });
});
test.after(async () => { if (cluster) await cluster.stop(); });

if (skip) {
  test('slurm executor (skipped)', () => { console.log(`  skipped: ${skip}`); });
} else {
  test('the store check proves the store is shared (probe job), then is cached', async () => {
    const ex = executor();
    const r = await ex.checkStore({ force: true });
    assert.is(r.node, cluster.node);
    const again = await ex.checkStore();
    assert.is(again.jobId, r.jobId);
  });

  test('a chain of stages runs as jobs: progress, node, output committed by the store, inputs read', async () => {
    const ex = executor();
    const a = job('run-a', stage('a', { steps: 3 }), key('a'));
    const sa = await exec(ex, a);
    assert.equal(sa.outcome, { status: 'ok', metrics: { steps: 3 } });
    assert.match(sa.started[0]!, new RegExp(`^\\d+@${cluster.node} cpu$`));
    // the hooks saw what slurm.jsonl records: submitted, then states up to COMPLETED with exit code 0
    assert.is(sa.jobs[0]!.action, 'submitted');
    assert.is(sa.started[0]!.split('@')[0], sa.jobs[0]!.job);
    assert.equal(sa.jobs.filter((u) => u.action === 'state').pop(), { job: sa.jobs[0]!.job, action: 'state', state: 'COMPLETED', node: cluster.node, exitCode: 0 });
    assert.ok(sa.progress >= 1);
    store.commit(a.outDir, { stage: 'a', kind: 'merge', key: a.key, components: { kind: 'merge', method: 'test', params: {}, inputs: [], datasets: {}, version: '1', seed: null, content: null }, run: 'run-a' });
    const b = job('run-a', stage('b', { steps: 1 }), key('b'), { a: store.objectDir(a.key) });
    const sb = await exec(ex, b);
    assert.is(sb.outcome.status, 'ok');
    const out = JSON.parse(readFileSync(join(b.outDir, 'out.json'), 'utf8'));
    assert.equal(JSON.parse(out.inputs.a).stage, 'a');
    assert.is(out.node, cluster.node);
    const states = slurmJournal('run-a').filter((l) => l.stage === 'a');
    assert.is(states[0]!.action, 'submitted');
    const end = states.find((l) => l.state === 'COMPLETED')!;
    assert.is(end.exitCode, 0);
    assert.is(end.node, cluster.node);
  });

  test('a stage with a gpu hint is submitted with --gres=gpu:1 and sees one device', async () => {
    const j = job('run-g', stage('g', { steps: 1 }, { device: 'gpu' }), key('g'));
    const s = await exec(executor(), j);
    assert.is(s.outcome.status, 'ok');
    const out = JSON.parse(readFileSync(join(j.outDir, 'out.json'), 'utf8'));
    assert.is(String(out.cvd).split(',').length, 1);
    assert.is(out.device, 'gpu:0');
    assert.match(s.started[0]!, / gpu:0$/);
    const script = readFileSync(join(store.runDir("run-g"), "slurm", readdirSync(join(store.runDir("run-g"), "slurm"))[0]!, "job.sh"), "utf8");
    assert.ok(script.includes('#SBATCH --gres=gpu:1'));
  });

  test('under the scheduler without --devices: a stage `on gpu` needs no local GPU, gets --gres=gpu:1 and sees one device; job ids reach the journal', async () => {
    const dir = join(cluster.dir, 'wf-gpu');
    const g: Graph = { file: join(dir, 'g.fbw'), stages: [{ id: 'model.g', kind: 'pretrained', method: 'local', params: { path: await modelDir(join(dir, 'm'), 7) }, inputs: [], output: 'model', label: 'model.g', device: 'gpu' }] };
    // the local executor has no GPU slot on this machine: the same graph cannot run there
    const local = await runGraph(g, { store: join(dir, 'local'), env: cluster.env, retries: 0 });
    assert.is(local.status, 'failed');
    const r = await runGraph(g, { store: join(dir, 'store'), env: cluster.env, retries: 0, executor: slurmExecutor({ options, env: cluster.env }) });
    const evs = readJournal(r.journal);
    const of = <K extends RunEvent['event']>(k: K) => evs.filter((e): e is Extract<RunEvent, { event: K }> => e.event === k);
    assert.is(r.status, 'ok', JSON.stringify(of('failed')));
    assert.is(of('run')[0]!.devices.length, 64, 'SLURM places the jobs: 64 in flight by default');
    const started = of('started')[0]!;
    assert.is(started.device, 'gpu:0');
    assert.is(started.job?.system, 'slurm');
    assert.is(started.job?.node, cluster.node);
    const jobs = of('job');
    assert.equal(jobs.filter((e) => e.action === 'submitted').map((e) => e.job), [started.job!.id]);
    const end = jobs.find((e) => e.state === 'COMPLETED')!;
    assert.equal([end.job, end.node, end.exitCode], [started.job!.id, cluster.node, 0]);
    const slurmDir = join(r.store, 'runs', r.run, 'slurm');
    assert.ok(readFileSync(join(slurmDir, readdirSync(slurmDir)[0]!, 'job.sh'), 'utf8').includes('#SBATCH --gres=gpu:1'));
    // the real stage process on the node saw exactly one GPU
    const binding = /CUDA_VISIBLE_DEVICES='([^']*)'/.exec(readFileSync(started.log, 'utf8'));
    assert.ok(binding, 'the stage logs its device binding');
    assert.match(binding![1]!, /^\d+$/);
  });

  test('a failing job fails with its message, job id, and its log tail on disk', async () => {
    const j = job('run-f', stage('f', { steps: 1, fail: 'weights are NaN' }), key('f'));
    const s = await exec(executor(), j);
    assert.is(s.outcome.status, 'failed');
    if (s.outcome.status !== 'failed') return;
    assert.is(s.outcome.error.name, 'TestStageFailed');
    assert.match(s.outcome.error.message, /weights are NaN \(SLURM job \d+ on /);
    assert.match(readFileSync(j.logFile, 'utf8'), /test stage: weights are NaN/);
    const end = slurmJournal('run-f').find((l) => l.state === 'FAILED')!;
    assert.is(end.exitCode, 1);
  });

  test('abort (Ctrl-C) cancels the job; the stage checkpoints and reports interrupted', async () => {
    const ac = new AbortController();
    const j = job('run-c', stage('c', { steps: 200, stepMs: 100 }), key('c'));
    const ex = executor();
    const p = ex.execute(j, cluster.env, { started: () => undefined, message: (m) => { if (m.type === 'progress' && m.progress.step >= 2) ac.abort(); } }, ac.signal);
    const o = await p;
    assert.is(o.status, 'interrupted');
    if (o.status === 'interrupted') assert.ok(o.step >= 2);
    assert.ok(Number(readFileSync(join(j.checkpointDir, 'step'), 'utf8')) >= 2);
    const lines = slurmJournal('run-c');
    assert.ok(lines.some((l) => l.action === 'cancelled'));
    assert.ok(lines.some((l) => l.state === 'CANCELLED'));
    assert.is(ex.jobs().length, 0);
  });

  test('a requeued (preempted) training job runs again and resumes from its checkpoint', async () => {
    const j = job('run-q', stage('q', { steps: 12, stepMs: 150 }, { kind: 'finetune' }), key('q'));
    const client = createSlurmClient({ env: cluster.env });
    let resumed = -1;
    let requeued = false;
    const o = await executor().execute(j, cluster.env, {
      started: () => undefined,
      message: (m) => {
        if (m.type === 'resumed') resumed = m.step;
        if (m.type === 'progress' && m.progress.step >= 3 && !requeued) {
          requeued = true;
          const id = slurmJournal('run-q').find((l) => l.action === 'submitted')!.jobId;
          void client.requeue([id]);
        }
      },
    }, new AbortController().signal);
    assert.is(o.status, 'ok');
    assert.ok(resumed >= 3, `resumed from step ${resumed}`);
    const id = slurmJournal('run-q').find((l) => l.action === 'submitted')!.jobId;
    assert.equal(ranLog().filter((l) => l.startsWith('q ')), [`q ${id}`, `q ${id}`]);
    assert.ok(slurmJournal('run-q').some((l) => l.state === 'PENDING' || l.state === 'REQUEUED'));
    assert.is(JSON.parse(readFileSync(join(j.outDir, 'out.json'), 'utf8')).stage, 'q');
  });

  test('head killed with SIGKILL while jobs run and queue: a new head re-attaches, nothing runs twice', async () => {
    // two stages that each take all 16 CPUs: one runs, the other queues behind it
    // (the two submissions race, so either may run first: both last long enough to be caught running)
    const jobs = [job('run-k1', stage('k1', { steps: 15, stepMs: 100 }, { kind: 'finetune' }), key('k1')), job('run-k1', stage('k2', { steps: 10, stepMs: 100 }, { kind: 'finetune' }), key('k2'))];
    const specFile = join(cluster.dir, 'head.json');
    writeFileSync(specFile, JSON.stringify({ store: store.root, jobs, env: cluster.env, options, workerCommand: [process.execPath, WORKER] }));
    const head = spawn(process.execPath, [HEAD, specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const client = createSlurmClient({ env: cluster.env });
    // wait until one runs and the other is queued, then kill the head
    let ids: string[] = [];
    const phases = async () => { const st = await client.poll(ids); return ids.map((id) => st.get(id)?.phase ?? 'unknown').sort(); };
    for (let i = 0; i < 600; i++) {
      ids = slurmJournal('run-k1').filter((l) => l.action === 'submitted').map((l) => l.jobId);
      if (ids.length === 2 && (await phases()).join() === 'queued,running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await phases(), ['queued', 'running']);
    head.kill('SIGKILL');
    await new Promise((r) => head.once('exit', r));

    // the new head: same keys, new run, fresh output folders
    const ex = executor();
    const again = jobs.map((j) => ({ ...j, run: 'run-k2', outDir: store.newTmpDir(j.key) }));
    const results = await Promise.all(again.map((j) => exec(ex, j)));
    for (const r of results) assert.is(r.outcome.status, 'ok');
    for (const j of again) assert.is(JSON.parse(readFileSync(join(j.outDir, 'out.json'), 'utf8')).stage, j.stage.id);
    const second = slurmJournal('run-k2');
    assert.is(second.filter((l) => l.action === 'submitted').length, 0, 'nothing submitted twice');
    assert.equal(second.filter((l) => l.action === 'reattached').map((l) => l.jobId).sort(), [...ids].sort());
    // the scheduler hears the same: each stage re-attached to the job the dead head submitted for it
    // (the two submissions race: map stage → job id instead of assuming an order)
    const idOf = new Map(slurmJournal('run-k1').filter((l) => l.action === 'submitted').map((l) => [l.stage, l.jobId]));
    assert.equal(results.map((r) => r.jobs.filter((u) => u.action === 'reattached').map((u) => u.job)), again.map((j) => [idOf.get(j.stage.id)]));
    assert.equal(results.map((r) => r.jobs.filter((u) => u.action === 'submitted')), [[], []]);
    // each stage started exactly once on the cluster
    assert.equal(ranLog().filter((l) => /^k[12] /.test(l)).sort(), [`k1 ${idOf.get('k1')}`, `k2 ${idOf.get('k2')}`]);
  });

  test('a job that finished while no head was watching is adopted, not rerun', async () => {
    const j = job('run-d1', stage('d', { steps: 1 }), key('d'));
    const specFile = join(cluster.dir, 'head-d.json');
    writeFileSync(specFile, JSON.stringify({ store: store.root, jobs: [j], env: cluster.env, options, workerCommand: [process.execPath, WORKER] }));
    const head = spawn(process.execPath, [HEAD, specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let id: string | undefined;
    for (let i = 0; i < 1200 && !id; i++) { id = slurmJournal('run-d1').find((l) => l.action === 'submitted')?.jobId; await new Promise((r) => setTimeout(r, 50)); }
    head.kill('SIGKILL');
    await new Promise((r) => head.once('exit', r));
    assert.ok(id, 'submitted');
    await waitJob(createSlurmClient({ env: cluster.env }), id!, (s) => s.phase === 'completed');
    const j2 = { ...j, run: 'run-d2', outDir: store.newTmpDir(j.key) };
    const s = await exec(executor(), j2);
    assert.is(s.outcome.status, 'ok');
    assert.is(JSON.parse(readFileSync(join(j2.outDir, 'out.json'), 'utf8')).stage, 'd');
    assert.equal(slurmJournal('run-d2').map((l) => l.action), ['adopted']);
    assert.is(ranLog().filter((l) => l.startsWith('d ')).length, 1);
  });

  test('fbw gc keeps the records and outputs of jobs still queued or running, and removes them once finished', async () => {
    const ac = new AbortController();
    // a run id gc knows (run-a etc. are not): its folder goes only once the job is over
    const runId = '20200101-000000-9c01';
    const j = job(runId, stage('gc', { steps: 200, stepMs: 100 }), key('gc'));
    let running = false;
    const p = executor().execute(j, cluster.env, { started: () => undefined, message: (m) => { if (m.type === 'progress') running = true; } }, ac.signal);
    for (let i = 0; i < 600 && !running; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(running, 'the job runs');
    const rec = JSON.parse(readFileSync(join(store.root, 'slurm', 'jobs', `${j.key}.json`), 'utf8')) as { outDir: string; dir: string; run: string };
    const out: string[] = [];
    const io = { stdout: { write: (x: string) => { out.push(x); return true; } } as unknown as NodeJS.WritableStream, stderr: { write: (x: string) => { out.push(x); return true; } } as unknown as NodeJS.WritableStream, cwd: wf, env: cluster.env };
    const before = readdirSync(join(store.root, 'slurm', 'jobs')).length;
    assert.ok(before > 1, 'earlier tests left records of finished jobs');
    // --keep-runs 0: nothing is used by a kept run, only the running job protects its files
    assert.is(await main(['gc', '--store', store.root, '--keep-runs', '0'], io), 0, out.join(''));
    assert.match(out.join(''), new RegExp(`SLURM: removed ${before - 1} records .* kept 1 of jobs queued or running`));
    assert.equal(readdirSync(join(store.root, 'slurm', 'jobs')), [`${j.key}.json`]);
    assert.equal(readdirSync(join(store.root, 'slurm', 'out')), [rec.outDir.split('/').pop()]);
    assert.ok(existsSync(join(rec.dir, 'job.json')) && existsSync(j.logFile) && existsSync(j.checkpointDir), 'its run folder and checkpoints stay');
    // Ctrl-C: the job is cancelled; now gc may remove everything
    ac.abort();
    assert.is((await p).status, 'interrupted');
    out.length = 0;
    assert.is(await main(['gc', '--store', store.root, '--keep-runs', '0'], io), 0, out.join(''));
    assert.match(out.join(''), /SLURM: removed 1 records and 1 output folders .* kept 0 of jobs queued or running/);
    assert.equal(readdirSync(join(store.root, 'slurm', 'jobs')), []);
    assert.equal(readdirSync(join(store.root, 'slurm', 'out')), []);
    assert.not.ok(existsSync(store.runDir(runId)));
  });
}

test.run();
