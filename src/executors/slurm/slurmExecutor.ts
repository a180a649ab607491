// The `slurm` executor: each ready stage becomes one sbatch job running fbw's own standalone
// worker (`node dist/src/devices/worker.js JOB.json EVENTS.jsonl`) on a node. The scheduler keeps
// orchestrating and commits the output folder exactly as for local stages.
//
// Re-attach: every submission is recorded under <store>/slurm/jobs/<key>.json before and after
// sbatch. A later head asked to run the same key polls that job instead of submitting again; if
// it is still queued or running it is watched, if it finished while the head was away its output
// folder is adopted (renamed into the new job's outDir, then committed by the scheduler).

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { Executor, ExecHooks, ExecOutcome } from '../../protocol/executor.js';
import type { JobAction } from '../../protocol/events.js';
import type { FromWorker, StageJob } from '../../protocol/stageJob.js';
import { createSlurmClient, type JobStatus, type SlurmClient } from './SlurmClient.js';
import type { SlurmOptions } from './config.js';
import { stageResources } from './resources.js';
import { renderSbatchScript, shQuote } from './sbatchScript.js';
import { checkSharedStore, type SharedStoreCheck } from './sharedStore.js';
import { describeFailure } from './jobFailure.js';
import { EventsTail, readExitCode, readStoreCheckCache, writeJsonAtomic, type SlurmJobRecord, slurmRecordFormat } from './jobFiles.js';

const WORKER = fileURLToPath(new URL('../../devices/worker.js', import.meta.url));

export { slurmRecordFormat, type SlurmJobRecord } from './jobFiles.js';

/** Where the store is, the site's options, and how jobs start stages (tests swap the worker). */
export interface SlurmExecutorOptions {
  /** the store root (shared filesystem); default: derived from each job's outDir (<store>/tmp/...) */
  readonly store?: string;
  readonly options?: SlurmOptions;
  /** client bound to the cluster; default: SLURM_CONF etc. from `env` */
  readonly client?: SlurmClient;
  /** environment of sbatch (exported into jobs); default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** how the node starts a stage: argv before JOB.json EVENTS.jsonl; default [node, dist/src/devices/worker.js] */
  readonly workerCommand?: readonly string[];
  /** prove the store is shared (a probe job) before the first submission; default true */
  readonly checkStore?: boolean;
  /** resubmissions of a preempted (not requeued) job; default 3 */
  readonly maxPreemptions?: number;
}

/** Jobs in flight by default under SLURM (`--devices cpu:N` changes it): SLURM does the placing. */
export const SLURM_DEFAULT_DEVICES = 'cpu:64';

/**
 * One line of runs/<run>/slurm.jsonl: job ids, nodes, states and exit codes of the run's jobs.
 * The same facts reach the run's journal.jsonl as `job` events (through ExecHooks.job).
 */
export interface SlurmJournalLine {
  readonly t: number;
  readonly stage: string;
  readonly key: string;
  readonly jobId: string;
  readonly action: JobAction;
  readonly state?: string;
  readonly node?: string;
  readonly exitCode?: number;
  readonly reason?: string;
}

/** The slurm executor also checks the store and reports which jobs it is watching. */
export interface SlurmExecutor extends Executor {
  /** prove the store is shared with the nodes (probe job), cached for a day per store */
  checkStore(opts?: { readonly force?: boolean }): Promise<SharedStoreCheck>;
  /** job ids currently watched */
  jobs(): readonly string[];
}

interface Watch {
  readonly onStatus: (s: JobStatus) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Variables the local device binding sets; on a node SLURM and the job's CPU count decide them. */
const LOCAL_BINDING = new Set(['CUDA_VISIBLE_DEVICES', 'FBW_DEVICE', 'FBW_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS']);

/**
 * Environment for sbatch (exported into the job): the stage's, minus what the local slot binding
 * set; BLAS threads follow the job's CPUs unless the user set them (`user` is the head's own env).
 */
function jobEnv(stageEnv: NodeJS.ProcessEnv, user: NodeJS.ProcessEnv, cpus: number): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(stageEnv)) {
    if (LOCAL_BINDING.has(k) || (k.startsWith('SLURM_') && k !== 'SLURM_CONF') || k.startsWith('SBATCH_')) continue;
    out[k] = v;
  }
  for (const k of ['FBW_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS']) out[k] = user[k] ?? String(cpus);
  return out;
}

/** What a stage sees as its device on the node: its GPUs through SLURM's CUDA_VISIBLE_DEVICES, numbered from 0. */
function nodeDevice(job: StageJob, options: SlurmOptions): string {
  const gpus = stageResources(job.stage, options).gpus;
  return gpus > 0 ? Array.from({ length: gpus }, (_, i) => `gpu:${i}`).join(',') : 'cpu';
}

/** What one executor holds across jobs: its settings, the client, and the jobs the poll loop watches. */
interface SlurmHead {
  readonly opts: SlurmExecutorOptions;
  readonly options: SlurmOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly client: SlurmClient;
  readonly workerCommand: readonly string[];
  readonly pollMs: number;
  readonly maxPreemptions: number;
  readonly watches: Map<string, Watch>;
  /** one shared-store proof per store, shared by the jobs that wait for it */
  readonly storeChecks: Map<string, Promise<SharedStoreCheck>>;
  loop: Promise<void> | undefined;
  pollFailures: number;
}

function newHead(opts: SlurmExecutorOptions): SlurmHead {
  const options = opts.options ?? {};
  const env = opts.env ?? process.env;
  return {
    opts, options, env,
    client: opts.client ?? createSlurmClient({ env }),
    workerCommand: opts.workerCommand ?? [process.execPath, WORKER],
    pollMs: options.pollIntervalMs ?? 2000,
    maxPreemptions: opts.maxPreemptions ?? 3,
    watches: new Map(), storeChecks: new Map(), loop: undefined, pollFailures: 0,
  };
}

const storeOf = (head: SlurmHead, job: StageJob): string => head.opts.store ?? dirname(dirname(job.outDir));
const recordPath = (store: string, key: string) => join(store, 'slurm', 'jobs', `${key}.json`);

/** Append a line to runs/<run>/slurm.jsonl and pass it on as a `job` event. */
function journal(store: string, run: string, line: Omit<SlurmJournalLine, 't'>, hooks: ExecHooks): void {
  const p = join(store, 'runs', run, 'slurm.jsonl');
  mkdirSync(dirname(p), { recursive: true });
  appendFileSync(p, JSON.stringify({ t: Date.now(), ...line }) + '\n');
  const { stage: _s, key: _k, jobId, ...rest } = line;
  hooks.job?.({ job: jobId, ...rest });
}

/** One poll loop for every watched job: one squeue call per interval, however many jobs. */
function ensurePollLoop(head: SlurmHead): void {
  if (head.loop) return;
  head.loop = (async () => {
    while (head.watches.size > 0) {
      const ids = [...head.watches.keys()];
      let statuses: ReadonlyMap<string, JobStatus> | undefined;
      try {
        statuses = await head.client.poll(ids);
        head.pollFailures = 0;
      } catch (e) {
        // a controller restart or a busy controller: keep the jobs, try again; give up after ~5 min
        if (++head.pollFailures * head.pollMs > 300_000) {
          for (const id of ids) head.watches.get(id)?.onStatus({ id, state: 'POLL_FAILED', phase: 'unknown', reason: (e as Error).message });
        }
      }
      if (statuses) for (const [id, s] of statuses) head.watches.get(id)?.onStatus(s);
      if (head.watches.size > 0) await sleep(head.pollMs);
    }
    head.loop = undefined;
  })();
}

function watch(head: SlurmHead, id: string, onStatus: (s: JobStatus) => void): void {
  head.watches.set(id, { onStatus });
  ensurePollLoop(head);
}

/** A submitted job: its record always has the id sbatch answered. */
type SubmittedRecord = SlurmJobRecord & { readonly jobId: string };

/** Write the job's folder (job.json, job.sh) and record, submit it, record its id. */
async function submit(head: SlurmHead, job: StageJob, store: string, stageEnv: NodeJS.ProcessEnv, hooks: ExecHooks): Promise<SubmittedRecord> {
  const res = stageResources(job.stage, head.options);
  const safe = job.stage.id.replace(/[^\w.-]/g, '_');
  const dir = join(store, 'runs', job.run, 'slurm', `${safe}.${job.attempt}-${randomBytes(2).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(dirname(job.logFile), { recursive: true });
  // the job writes into its own folder, outside tmp/ (which a new head clears), and the head
  // moves it into the scheduler's outDir once the job is done
  const outDir = join(store, 'slurm', 'out', `${job.key}.${randomBytes(3).toString('hex')}`);
  const jobFile = join(dir, 'job.json');
  writeJsonAtomic(jobFile, { ...job, device: nodeDevice(job, head.options), outDir } satisfies StageJob);
  const jobName = `fbw-${job.key.slice(0, 16)}`;
  const script = renderSbatchScript({
    jobName,
    stdout: job.logFile,
    stderr: job.logFile,
    cwd: job.workflowDir,
    resources: { ...res, extra: ['--open-mode=append', ...res.extra] },
    // a requeued job starts over in a clean output folder; its checkpoint folder is kept
    setup: [...(head.options.setup ?? []), `rm -rf ${shQuote(outDir)} && mkdir -p ${shQuote(outDir)}`],
    command: [...head.workerCommand, jobFile, join(dir, 'events.jsonl')],
    exitFile: join(dir, 'exit'),
  });
  writeFileSync(join(dir, 'job.sh'), script, { mode: 0o755 });
  const base: SlurmJobRecord = { format: 'fbw-slurm-record-v1', key: job.key, stage: job.stage.id, run: job.run, jobName, dir, outDir, logFile: job.logFile, submitted: Date.now() };
  writeJsonAtomic(recordPath(store, job.key), base);
  const jobId = await head.client.submit(script, { cwd: job.workflowDir, env: jobEnv({ ...head.env, ...stageEnv }, head.env, res.cpusPerTask) });
  const rec = { ...base, jobId };
  writeJsonAtomic(recordPath(store, job.key), rec);
  journal(store, job.run, { stage: job.stage.id, key: job.key, jobId, action: 'submitted' }, hooks);
  return rec;
}

/** The job of a previous head for this key, if SLURM still knows it (or it left a result). */
async function previous(head: SlurmHead, job: StageJob, store: string): Promise<{ rec: SubmittedRecord; status: JobStatus } | undefined> {
  let rec: SlurmJobRecord | undefined;
  try { rec = slurmRecordFormat.read(recordPath(store, job.key)); } catch { rec = undefined; /* none, or damaged: submit afresh */ }
  if (!rec || rec.format !== 'fbw-slurm-record-v1' || rec.key !== job.key) return undefined;
  let jobId = rec.jobId;
  if (jobId === undefined) {
    // the head died while sbatch was answering: find the job by its name
    jobId = await head.client.findByName(rec.jobName).catch(() => undefined);
    if (jobId === undefined) return undefined;
  }
  const status = (await head.client.poll([jobId])).get(jobId) ?? { id: jobId, state: '', phase: 'unknown' as const };
  return { rec: { ...rec, jobId }, status };
}

/** The shared-store proof for a store, cached a day in <store>/slurm/shared.json. */
async function checkStoreAt(head: SlurmHead, store: string, force: boolean): Promise<SharedStoreCheck> {
  const cache = join(store, 'slurm', 'shared.json');
  const cached = readStoreCheckCache(cache);
  if (!force && cached && Date.now() - cached.t < 86_400_000) return cached;
  const { options } = head;
  const r = await checkSharedStore(store, head.client, {
    resources: { extra: options.sbatch ?? [], ...(options.partition ? { partition: options.partition } : {}), ...(options.account ? { account: options.account } : {}), ...(options.qos ? { qos: options.qos } : {}) },
    pollMs: Math.min(head.pollMs, 500),
  });
  writeJsonAtomic(cache, { ...r, t: Date.now() });
  return r;
}

/** Move a finished previous job's output into the scheduler's fresh outDir (same filesystem). */
function adoptOutput(from: string, to: string): boolean {
  if (from === to) return true;
  if (!existsSync(from)) return false;
  rmSync(to, { recursive: true, force: true });
  renameSync(from, to);
  return true;
}

/** The last result line (done, error, interrupted) a job's worker wrote, if any. */
function lastResult(jobDir: string): FromWorker['type'] | undefined {
  return new EventsTail(join(jobDir, 'events.jsonl')).read().filter((m) => m.type === 'done' || m.type === 'error' || m.type === 'interrupted').pop()?.type;
}

/** A job to watch, or the outcome when there is nothing to watch (adopted, interrupted, not submitted). */
type Start = { readonly rec: SubmittedRecord } | { readonly outcome: ExecOutcome };

/** Step 1 of a stage: re-attach to a previous head's job, adopt its finished output, or submit. */
async function startOrAttach(head: SlurmHead, job: StageJob, store: string, stageEnv: NodeJS.ProcessEnv, hooks: ExecHooks, signal: AbortSignal): Promise<Start> {
  const prev = await previous(head, job, store).catch(() => undefined);
  const where = (s: JobStatus) => (s.node ? { node: s.node } : {});
  if (prev && (prev.status.phase === 'queued' || prev.status.phase === 'running')) {
    journal(store, job.run, { stage: job.stage.id, key: job.key, jobId: prev.rec.jobId, action: 'reattached', state: prev.status.state, ...where(prev.status) }, hooks);
    return { rec: prev.rec };
  }
  const prevExit = prev ? readExitCode(prev.rec.dir) : undefined;
  if (prev && (prev.status.phase === 'completed' || (prev.status.phase === 'unknown' && prevExit === 0)) && existsSync(prev.rec.outDir) && lastResult(prev.rec.dir) === 'done') {
    adoptOutput(prev.rec.outDir, job.outDir);
    journal(store, job.run, { stage: job.stage.id, key: job.key, jobId: prev.rec.jobId, action: 'adopted', state: prev.status.state || 'COMPLETED', exitCode: 0, ...where(prev.status) }, hooks);
    hooks.started({ job: prev.rec.jobId, ...where(prev.status), device: nodeDevice(job, head.options) });
    return { outcome: { status: 'ok' } };
  }
  if (signal.aborted) return { outcome: { status: 'interrupted', step: 0 } };
  try {
    if (head.opts.checkStore !== false) await (head.storeChecks.get(store) ?? head.storeChecks.set(store, checkStoreAt(head, store, false)).get(store));
  } catch (e) {
    head.storeChecks.delete(store);
    const err = e as Error;
    return { outcome: { status: 'failed', error: { name: err.name, message: err.message, transient: false } } };
  }
  try {
    return { rec: await submit(head, job, store, stageEnv, hooks) };
  } catch (e) {
    const err = e as Error;
    return { outcome: { status: 'failed', error: { name: err.name, message: err.message, transient: /did not answer|timed out/i.test(err.message) } } };
  }
}

/**
 * Step 2: watch one submitted job to its end. Each poll drains the worker's new event lines,
 * journals state changes, and once SLURM says the job is over decides the outcome: ok, interrupted,
 * resubmitted after a preemption, or failed with what SLURM and the log say.
 */
class JobWatcher {
  private events: EventsTail;
  private outDir: string;
  private lastState = '';
  private startedSent = false;
  private cancelled = false;
  private preemptions = 0;
  private final: FromWorker | undefined;
  private step = 0;
  private done = false;
  private readonly onStatusBound = (s: JobStatus) => this.onStatus(s);
  private readonly onAbortBound = () => this.onAbort();

  constructor(
    private readonly head: SlurmHead,
    private readonly job: StageJob,
    private readonly store: string,
    private readonly stageEnv: NodeJS.ProcessEnv,
    private readonly hooks: ExecHooks,
    private readonly signal: AbortSignal,
    private rec: SubmittedRecord,
    private readonly resolve: (o: ExecOutcome) => void,
  ) {
    this.outDir = rec.outDir;
    this.events = new EventsTail(join(rec.dir, 'events.jsonl'));
  }

  start(): void {
    if (this.signal.aborted) this.onAbort(); else this.signal.addEventListener('abort', this.onAbortBound, { once: true });
    if (!this.done) watch(this.head, this.rec.jobId, this.onStatusBound);
  }

  private finish(o: ExecOutcome): void {
    if (this.done) return;
    this.done = true;
    const { rec, job } = this;
    this.head.watches.delete(rec.jobId);
    this.signal.removeEventListener('abort', this.onAbortBound);
    if (rec.logFile !== job.logFile) {
      // a re-attached job wrote the log of the run that submitted it: carry it over
      try { mkdirSync(dirname(job.logFile), { recursive: true }); appendFileSync(job.logFile, `--- SLURM job ${rec.jobId}, submitted by run ${rec.run} (log ${rec.logFile}):\n` + readFileSync(rec.logFile, 'utf8')); } catch { /* no log yet */ }
    }
    if (o.status === 'ok' && !adoptOutput(this.outDir, job.outDir)) {
      this.resolve({ status: 'failed', error: { name: 'SlurmOutputMissing', message: `SLURM job ${rec.jobId} finished but its output folder ${this.outDir} is gone`, transient: true } });
      return;
    }
    this.resolve(o);
  }

  /** Pass the worker's new progress lines on; keep its result line. */
  private drain(): void {
    for (const m of this.events.read()) {
      switch (m.type) {
        case 'progress': this.step = m.progress.step; this.hooks.message(m); break;
        case 'checkpointed': this.step = m.step; this.hooks.message(m); break;
        case 'resumed': this.hooks.message(m); break;
        case 'done': case 'interrupted': case 'error': this.final = m; break;
      }
    }
  }

  private onStatus(s: JobStatus): void {
    if (this.done) return;
    this.drain();
    const { job, rec } = this;
    if (s.state !== this.lastState) {
      this.lastState = s.state;
      journal(this.store, job.run, { stage: job.stage.id, key: job.key, jobId: rec.jobId, action: 'state', state: s.state || 'UNKNOWN',
        ...(s.node ? { node: s.node } : {}), ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}), ...(s.reason ? { reason: s.reason } : {}) }, this.hooks);
    }
    // a short job can go from PENDING to done between two polls: it started if it was placed on a node
    if (!this.startedSent && (s.phase === 'running' || (s.phase !== 'queued' && s.node !== undefined))) {
      this.startedSent = true;
      this.hooks.started({ job: rec.jobId, ...(s.node ? { node: s.node } : {}), device: nodeDevice(job, this.head.options) });
    }
    if (s.phase === 'queued' || s.phase === 'running') return;
    void this.ended(s);
  }

  /** SLURM says the job is over: decide the stage's outcome. */
  private async ended(s: JobStatus): Promise<void> {
    // the worker's last line can land just after SLURM marks the job done
    if (!this.final) { await sleep(100); this.drain(); }
    const final = this.final;
    const exit = readExitCode(this.rec.dir);
    if (final?.type === 'done' && (s.phase === 'completed' || (s.phase === 'unknown' && exit === 0))) {
      this.finish({ status: 'ok', ...(final.metrics ? { metrics: final.metrics } : {}) });
    } else if (this.cancelled || (this.signal.aborted && final?.type === 'interrupted')) {
      this.finish({ status: 'interrupted', step: final?.type === 'interrupted' ? final.step : this.step });
    } else if (s.phase === 'preempted' && this.preemptions < this.head.maxPreemptions && !this.signal.aborted) {
      await this.resubmit();
    } else {
      this.finish({ status: 'failed', error: await describeFailure(s, final, this.rec, this.job, this.preemptions) });
    }
  }

  /** Preempted and not requeued by SLURM: submit again; training resumes from its checkpoint. */
  private async resubmit(): Promise<void> {
    this.preemptions++;
    this.head.watches.delete(this.rec.jobId);
    try {
      const old = this.rec.jobId;
      this.rec = await submit(this.head, this.job, this.store, this.stageEnv, this.hooks);
      this.outDir = this.rec.outDir;
      this.events = new EventsTail(join(this.rec.dir, 'events.jsonl'));
      this.final = undefined; this.lastState = '';
      journal(this.store, this.job.run, { stage: this.job.stage.id, key: this.job.key, jobId: this.rec.jobId, action: 'resubmitted', reason: `job ${old} preempted` }, this.hooks);
      watch(this.head, this.rec.jobId, this.onStatusBound);
    } catch (e) {
      this.finish({ status: 'failed', error: { name: (e as Error).name, message: (e as Error).message, transient: true } });
    }
  }

  private onAbort(): void {
    if (this.head.options.leaveJobs) {
      // leave it running: the record lets the next `fbw run` re-attach
      this.finish({ status: 'interrupted', step: this.step });
      return;
    }
    this.cancelled = true;
    journal(this.store, this.job.run, { stage: this.job.stage.id, key: this.job.key, jobId: this.rec.jobId, action: 'cancelled' }, this.hooks);
    // SIGTERM reaches the worker, which checkpoints and reports 'interrupted'
    void this.head.client.cancel([this.rec.jobId]).catch(() => undefined);
  }
}

/** Create the executor. */
export function slurmExecutor(opts: SlurmExecutorOptions = {}): SlurmExecutor {
  const head = newHead(opts);
  return {
    name: 'slurm',
    placement: { defaultDevices: SLURM_DEFAULT_DEVICES },

    jobs: () => [...head.watches.keys()],

    async checkStore(o = {}) {
      if (!opts.store) throw new Error('slurmExecutor: checkStore needs the store option');
      return checkStoreAt(head, opts.store, o.force ?? false);
    },

    killAll() {
      if (head.options.leaveJobs) return;
      const ids = [...head.watches.keys()];
      // synchronous: the head exits right after (second Ctrl-C)
      if (ids.length > 0) spawnSync('scancel', ids, { env: head.env, timeout: 10_000, stdio: 'ignore' });
    },

    async execute(job: StageJob, stageEnv: NodeJS.ProcessEnv, hooks: ExecHooks, signal: AbortSignal): Promise<ExecOutcome> {
      const store = storeOf(head, job);
      const start = await startOrAttach(head, job, store, stageEnv, hooks, signal);
      if ('outcome' in start) return start.outcome;
      return new Promise<ExecOutcome>((resolve) => new JobWatcher(head, job, store, stageEnv, hooks, signal, start.rec, resolve).start());
    },
  };
}
