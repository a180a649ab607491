// The `slurm` executor: each ready stage becomes one sbatch job running fbw's own standalone
// worker (`node dist/src/devices/worker.js JOB.json EVENTS.jsonl`) on a node. The scheduler keeps
// orchestrating and commits the output folder exactly as for local stages.
//
// Re-attach: every submission is recorded under <store>/slurm/jobs/<key>.json before and after
// sbatch. A later head asked to run the same key polls that job instead of submitting again; if
// it is still queued or running it is watched, if it finished while the head was away its output
// folder is adopted (renamed into the new job's outDir, then committed by the scheduler).

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { Executor, ExecHooks, ExecOutcome } from '../../protocol/executor.js';
import type { JobAction } from '../../protocol/events.js';
import type { FromWorker, StageJob, WireError } from '../../protocol/stageJob.js';
import { createSlurmClient, type JobStatus, type SlurmClient } from './SlurmClient.js';
import type { SlurmOptions } from './config.js';
import { stageResources } from './resources.js';
import { renderSbatchScript, shQuote } from './sbatchScript.js';
import { checkSharedStore, type SharedStoreCheck } from './sharedStore.js';
import { readLogTail } from './logTail.js';
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

/** Create the executor. */
export function slurmExecutor(opts: SlurmExecutorOptions = {}): SlurmExecutor {
  const options = opts.options ?? {};
  const env = opts.env ?? process.env;
  const client = opts.client ?? createSlurmClient({ env });
  const workerCommand = opts.workerCommand ?? [process.execPath, WORKER];
  const pollMs = options.pollIntervalMs ?? 2000;
  const maxPreemptions = opts.maxPreemptions ?? 3;
  const watches = new Map<string, Watch>();
  const storeChecks = new Map<string, Promise<SharedStoreCheck>>();
  let loop: Promise<void> | undefined;
  let pollFailures = 0;

  const storeOf = (job: StageJob): string => opts.store ?? dirname(dirname(job.outDir));
  const recordPath = (store: string, key: string) => join(store, 'slurm', 'jobs', `${key}.json`);
  const journal = (store: string, run: string, line: Omit<SlurmJournalLine, 't'>, hooks: ExecHooks) => {
    const p = join(store, 'runs', run, 'slurm.jsonl');
    mkdirSync(dirname(p), { recursive: true });
    appendFileSync(p, JSON.stringify({ t: Date.now(), ...line }) + '\n');
    const { stage: _s, key: _k, jobId, ...rest } = line;
    hooks.job?.({ job: jobId, ...rest });
  };

  // one poll loop for every watched job: one squeue call per interval, however many jobs
  const ensureLoop = () => {
    if (loop) return;
    loop = (async () => {
      while (watches.size > 0) {
        const ids = [...watches.keys()];
        let statuses: ReadonlyMap<string, JobStatus> | undefined;
        try {
          statuses = await client.poll(ids);
          pollFailures = 0;
        } catch (e) {
          // a controller restart or a busy controller: keep the jobs, try again; give up after ~5 min
          if (++pollFailures * pollMs > 300_000) {
            for (const id of ids) watches.get(id)?.onStatus({ id, state: 'POLL_FAILED', phase: 'unknown', reason: (e as Error).message });
          }
        }
        if (statuses) for (const [id, s] of statuses) watches.get(id)?.onStatus(s);
        if (watches.size > 0) await sleep(pollMs);
      }
      loop = undefined;
    })();
  };

  const watch = (id: string, onStatus: (s: JobStatus) => void) => { watches.set(id, { onStatus }); ensureLoop(); };

  async function submit(job: StageJob, store: string, stageEnv: NodeJS.ProcessEnv, hooks: ExecHooks): Promise<SlurmJobRecord> {
    const res = stageResources(job.stage, options);
    const safe = job.stage.id.replace(/[^\w.-]/g, '_');
    const dir = join(store, 'runs', job.run, 'slurm', `${safe}.${job.attempt}-${randomBytes(2).toString('hex')}`);
    mkdirSync(dir, { recursive: true });
    mkdirSync(dirname(job.logFile), { recursive: true });
    const device = nodeDevice(job, options);
    // the job writes into its own folder, outside tmp/ (which a new head clears), and the head
    // moves it into the scheduler's outDir once the job is done
    const outDir = join(store, 'slurm', 'out', `${job.key}.${randomBytes(3).toString('hex')}`);
    const nodeJob: StageJob = { ...job, device, outDir };
    const jobFile = join(dir, 'job.json');
    const events = join(dir, 'events.jsonl');
    writeJsonAtomic(jobFile, nodeJob);
    const jobName = `fbw-${job.key.slice(0, 16)}`;
    const script = renderSbatchScript({
      jobName,
      stdout: job.logFile,
      stderr: job.logFile,
      cwd: job.workflowDir,
      resources: { ...res, extra: ['--open-mode=append', ...res.extra] },
      // a requeued job starts over in a clean output folder; its checkpoint folder is kept
      setup: [...(options.setup ?? []), `rm -rf ${shQuote(outDir)} && mkdir -p ${shQuote(outDir)}`],
      command: [...workerCommand, jobFile, events],
      exitFile: join(dir, 'exit'),
    });
    writeFileSync(join(dir, 'job.sh'), script, { mode: 0o755 });
    const base: SlurmJobRecord = { format: 'fbw-slurm-record-v1', key: job.key, stage: job.stage.id, run: job.run, jobName, dir, outDir, logFile: job.logFile, submitted: Date.now() };
    writeJsonAtomic(recordPath(store, job.key), base);
    const jobId = await client.submit(script, { cwd: job.workflowDir, env: jobEnv({ ...env, ...stageEnv }, env, res.cpusPerTask) });
    const rec = { ...base, jobId };
    writeJsonAtomic(recordPath(store, job.key), rec);
    journal(store, job.run, { stage: job.stage.id, key: job.key, jobId, action: 'submitted' }, hooks);
    return rec;
  }

  /** The job of a previous head for this key, if SLURM still knows it (or it left a result). */
  async function previous(job: StageJob, store: string): Promise<{ rec: SlurmJobRecord & { jobId: string }; status: JobStatus } | undefined> {
    let rec: SlurmJobRecord | undefined;
    try { rec = slurmRecordFormat.read(recordPath(store, job.key)); } catch { rec = undefined; /* none, or damaged: submit afresh */ }
    if (!rec || rec.format !== 'fbw-slurm-record-v1' || rec.key !== job.key) return undefined;
    let jobId = rec.jobId;
    if (jobId === undefined) {
      // the head died while sbatch was answering: find the job by its name
      jobId = await client.findByName(rec.jobName).catch(() => undefined);
      if (jobId === undefined) return undefined;
    }
    const status = (await client.poll([jobId])).get(jobId) ?? { id: jobId, state: '', phase: 'unknown' as const };
    return { rec: { ...rec, jobId }, status };
  }

  /** The shared-store proof for a store, cached a day in <store>/slurm/shared.json. */
  async function checkStoreAt(store: string, force: boolean): Promise<SharedStoreCheck> {
    const cache = join(store, 'slurm', 'shared.json');
    const cached = readStoreCheckCache(cache);
    if (!force && cached && Date.now() - cached.t < 86_400_000) return cached;
    const r = await checkSharedStore(store, client, {
      resources: { extra: options.sbatch ?? [], ...(options.partition ? { partition: options.partition } : {}), ...(options.account ? { account: options.account } : {}), ...(options.qos ? { qos: options.qos } : {}) },
      pollMs: Math.min(pollMs, 500),
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

  return {
    name: 'slurm',
    placement: { defaultDevices: SLURM_DEFAULT_DEVICES },

    jobs: () => [...watches.keys()],

    async checkStore(o = {}) {
      if (!opts.store) throw new Error('slurmExecutor: checkStore needs the store option');
      return checkStoreAt(opts.store, o.force ?? false);
    },

    killAll() {
      if (options.leaveJobs) return;
      const ids = [...watches.keys()];
      // synchronous: the head exits right after (second Ctrl-C)
      if (ids.length > 0) spawnSync('scancel', ids, { env, timeout: 10_000, stdio: 'ignore' });
    },

    async execute(job: StageJob, stageEnv: NodeJS.ProcessEnv, hooks: ExecHooks, signal: AbortSignal): Promise<ExecOutcome> {
      const store = storeOf(job);
      let rec: SlurmJobRecord & { jobId: string };
      let events: EventsTail;
      let outDir: string;

      // 1. a previous head's job for this key: watch it or adopt its finished output
      const prev = await previous(job, store).catch(() => undefined);
      const prevExit = prev ? readExitCode(prev.rec.dir) : undefined;
      if (prev && (prev.status.phase === 'queued' || prev.status.phase === 'running')) {
        rec = prev.rec;
        outDir = prev.rec.outDir;
        journal(store, job.run, { stage: job.stage.id, key: job.key, jobId: rec.jobId, action: 'reattached', state: prev.status.state, ...(prev.status.node ? { node: prev.status.node } : {}) }, hooks);
      } else if (prev && (prev.status.phase === 'completed' || (prev.status.phase === 'unknown' && prevExit === 0)) && existsSync(prev.rec.outDir)
        && new EventsTail(join(prev.rec.dir, 'events.jsonl')).read().filter((m) => m.type === 'done' || m.type === 'error' || m.type === 'interrupted').pop()?.type === 'done') {
        adoptOutput(prev.rec.outDir, job.outDir);
        journal(store, job.run, { stage: job.stage.id, key: job.key, jobId: prev.rec.jobId, action: 'adopted', state: prev.status.state || 'COMPLETED', exitCode: 0, ...(prev.status.node ? { node: prev.status.node } : {}) }, hooks);
        hooks.started({ job: prev.rec.jobId, ...(prev.status.node ? { node: prev.status.node } : {}), device: nodeDevice(job, options) });
        return { status: 'ok' };
      } else {
        if (signal.aborted) return { status: 'interrupted', step: 0 };
        try {
          if (opts.checkStore !== false) await (storeChecks.get(store) ?? storeChecks.set(store, checkStoreAt(store, false)).get(store));
        } catch (e) {
          storeChecks.delete(store);
          const err = e as Error;
          return { status: 'failed', error: { name: err.name, message: err.message, transient: false } };
        }
        try {
          rec = await submit(job, store, stageEnv, hooks) as SlurmJobRecord & { jobId: string };
          outDir = rec.outDir;
        } catch (e) {
          const err = e as Error;
          return { status: 'failed', error: { name: err.name, message: err.message, transient: /did not answer|timed out/i.test(err.message) } };
        }
      }
      events = new EventsTail(join(rec.dir, 'events.jsonl'));

      return new Promise<ExecOutcome>((resolve) => {
        let lastState = '';
        let startedSent = false;
        let cancelled = false;
        let preemptions = 0;
        let final: FromWorker | undefined;
        let step = 0;
        let done = false;

        const finish = (o: ExecOutcome) => {
          if (done) return;
          done = true;
          watches.delete(rec.jobId);
          signal.removeEventListener('abort', onAbort);
          if (rec.logFile !== job.logFile) {
            // a re-attached job wrote the log of the run that submitted it: carry it over
            try { mkdirSync(dirname(job.logFile), { recursive: true }); appendFileSync(job.logFile, `--- SLURM job ${rec.jobId}, submitted by run ${rec.run} (log ${rec.logFile}):\n` + readFileSync(rec.logFile, 'utf8')); } catch { /* no log yet */ }
          }
          if (o.status === 'ok' && !adoptOutput(outDir, job.outDir)) {
            resolve({ status: 'failed', error: { name: 'SlurmOutputMissing', message: `SLURM job ${rec.jobId} finished but its output folder ${outDir} is gone`, transient: true } });
            return;
          }
          resolve(o);
        };

        const drain = () => {
          for (const m of events.read()) {
            switch (m.type) {
              case 'progress': step = m.progress.step; hooks.message(m); break;
              case 'checkpointed': step = m.step; hooks.message(m); break;
              case 'resumed': hooks.message(m); break;
              case 'done': case 'interrupted': case 'error': final = m; break;
            }
          }
        };

        const failure = async (s: JobStatus): Promise<WireError> => {
          const tail = (await readLogTail(rec.logFile, 5)).join('\n');
          const where = `SLURM job ${rec.jobId}${s.node ? ` on ${s.node}` : ''}`;
          if (final?.type === 'error') return { ...final.error, message: `${final.error.message} (${where})` };
          switch (s.phase) {
            case 'failed':
              return { name: `Slurm${s.state.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()).replace(/^(\w)(\w*)$/, (_, a: string, b: string) => a + b.toLowerCase())}`,
                message: s.state === 'TIMEOUT' ? `${where} hit its time limit; its checkpoint is kept, so a run with a longer time (kinds.${job.stage.kind}.time in the SLURM config) resumes it`
                  : s.state === 'OUT_OF_MEMORY' ? `${where} ran out of memory; raise mem for ${job.stage.kind} stages in the SLURM config`
                  : `${where} ended ${s.state} with exit code ${s.exitCode ?? '?'}${s.signal ? ` (signal ${s.signal})` : ''}${tail ? `; log ends:\n${tail}` : ''}`,
                transient: s.state === 'NODE_FAIL' || s.state === 'BOOT_FAIL' };
            case 'cancelled':
              return { name: 'SlurmCancelled', message: `${where} was cancelled outside fbw (scancel by a user or an admin)`, transient: false };
            case 'unknown':
              return { name: 'SlurmJobLost', message: `${where} is no longer known to SLURM${s.reason ? ` (${s.reason})` : ''} and left no result`, transient: true };
            case 'preempted':
              return { name: 'SlurmPreempted', message: `${where} was preempted ${preemptions} times`, transient: true };
            case 'completed':
              return { name: 'SlurmNoResult', message: `${where} completed but the stage reported no result (see its log)`, transient: false };
            case 'queued': case 'running':
              return { name: 'SlurmInternal', message: `${where} is still ${s.state}`, transient: false };
            default: { const never: never = s.phase; return never; }
          }
        };

        const onStatus = (s: JobStatus) => {
          if (done) return;
          drain();
          if (s.state !== lastState) {
            lastState = s.state;
            journal(store, job.run, { stage: job.stage.id, key: job.key, jobId: rec.jobId, action: 'state', state: s.state || 'UNKNOWN',
              ...(s.node ? { node: s.node } : {}), ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}), ...(s.reason ? { reason: s.reason } : {}) }, hooks);
          }
          // a short job can go from PENDING to done between two polls: it started if it was placed on a node
          if (!startedSent && (s.phase === 'running' || (s.phase !== 'queued' && s.node !== undefined))) {
            startedSent = true;
            hooks.started({ job: rec.jobId, ...(s.node ? { node: s.node } : {}), device: nodeDevice(job, options) });
          }
          if (s.phase === 'queued' || s.phase === 'running') return;
          void (async () => {
            // the worker's last line can land just after SLURM marks the job done
            if (!final) { await sleep(100); drain(); }
            const exit = readExitCode(rec.dir);
            if (final?.type === 'done' && (s.phase === 'completed' || (s.phase === 'unknown' && exit === 0))) {
              finish({ status: 'ok', ...(final.metrics ? { metrics: final.metrics } : {}) });
            } else if (cancelled || (signal.aborted && final?.type === 'interrupted')) {
              finish({ status: 'interrupted', step: final?.type === 'interrupted' ? final.step : step });
            } else if (s.phase === 'preempted' && preemptions < maxPreemptions && !signal.aborted) {
              // not requeued by SLURM: submit again; training resumes from its checkpoint
              preemptions++;
              watches.delete(rec.jobId);
              try {
                const old = rec.jobId;
                rec = await submit(job, store, stageEnv, hooks) as SlurmJobRecord & { jobId: string };
                outDir = rec.outDir;
                events = new EventsTail(join(rec.dir, 'events.jsonl'));
                final = undefined; lastState = '';
                journal(store, job.run, { stage: job.stage.id, key: job.key, jobId: rec.jobId, action: 'resubmitted', reason: `job ${old} preempted` }, hooks);
                watch(rec.jobId, onStatus);
              } catch (e) {
                finish({ status: 'failed', error: { name: (e as Error).name, message: (e as Error).message, transient: true } });
              }
            } else {
              finish({ status: 'failed', error: await failure(s) });
            }
          })();
        };

        const onAbort = () => {
          if (options.leaveJobs) {
            // leave it running: the record lets the next `fbw run` re-attach
            finish({ status: 'interrupted', step });
            return;
          }
          cancelled = true;
          journal(store, job.run, { stage: job.stage.id, key: job.key, jobId: rec.jobId, action: 'cancelled' }, hooks);
          // SIGTERM reaches the worker, which checkpoints and reports 'interrupted'
          void client.cancel([rec.jobId]).catch(() => undefined);
        };
        if (signal.aborted) onAbort(); else signal.addEventListener('abort', onAbort, { once: true });
        if (!done) watch(rec.jobId, onStatus);
      });
    },
  };
}
