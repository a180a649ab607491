// The scheduler (DESIGN.md §4), on Effect: a stage starts when all its inputs are committed;
// independent stages run concurrently up to the device slots (a slot is a semaphore permit,
// released on success, failure and interruption alike); transient failures retry on an
// exponential schedule; a failed stage fails only its dependents (they are skipped); without
// keepGoing a failure stops launching new stages while running ones finish. Every state
// change is one RunEvent, emitted in order to the single event stream.
// Effect's modules one by one: the barrel loads everything (Schema, Stream, ...) and doubles start-up
import * as Data from 'effect/Data';
import * as Deferred from 'effect/Deferred';
import * as Effect from 'effect/Effect';
import * as Schedule from 'effect/Schedule';
import { readFileSync, rmSync, existsSync, mkdirSync, appendFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { runEvent, type RunEvent, type RunEventBody } from '../protocol/events.js';
import type { Executor, ExecHooks, ExecOutcome } from '../protocol/executor.js';
import type { Plan, PlannedStage } from '../plan/planRun.js';
import type { Store } from '../store/Store.js';
import { diskFullCode } from '../store/diskFull.js';
import { slotRequest, deviceEnv, type DeviceSlot } from '../devices/deviceSlots.js';
import type { StageJob, WireError } from '../protocol/stageJob.js';
import { PriorityGate, criticalPathLengths } from './priorityGate.js';
import { publishOutputs } from './publishOutputs.js';

/** A stage failed for a reason of its own (or, when transient, one worth retrying). */
export class StageFailed extends Data.TaggedError('StageFailed')<{ readonly stage: string; readonly error: WireError }> {}

/** A stage stopped because the run was interrupted (it checkpointed first where it could). */
export class StageStopped extends Data.TaggedError('StageStopped')<{ readonly stage: string; readonly step: number }> {}

type Outcome = 'ok' | 'cached' | 'failed' | 'skipped' | 'interrupted';

export interface RunPlanOptions {
  readonly store: Store;
  readonly run: string;
  readonly plan: Plan;
  readonly executor: Executor;
  readonly slots: readonly DeviceSlot[];
  readonly keepGoing: boolean;
  /** receives every event, in order (journal, UI, --json subscribe behind it) */
  readonly emit: (e: RunEvent) => void;
  /** aborted on Ctrl-C: running stages checkpoint and stop, nothing new starts */
  readonly signal: AbortSignal;
  readonly workflowDir: string;
  /** the command that replays a stage of this run, for failure messages */
  readonly replayCommand: (stageId: string) => string;
  readonly env?: NodeJS.ProcessEnv;
  /** retries of a transient failure (default 2) and the first backoff delay (default 500 ms) */
  readonly retries?: number;
  readonly retryBaseMs?: number;
  /** for the run event */
  readonly file: string;
  readonly backend?: string;
}

export interface RunResult {
  readonly status: 'ok' | 'failed' | 'interrupted';
  readonly counts: { done: number; cached: number; failed: number; skipped: number };
  readonly report?: string;
  readonly seconds: number;
  readonly outcomes: ReadonlyMap<string, Outcome>;
  /** set when the run stopped because the disk filled (its errno code: ENOSPC, EDQUOT, EFBIG) */
  readonly diskFull?: string;
}

/** The errno code of a thrown error, to carry in a WireError. */
function codeOf(e: unknown): { code?: string } {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? { code } : {};
}

/** Last lines of a log file, for failure events. */
export function logTail(path: string, n = 20): string[] {
  try {
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length);
    return lines.slice(-n);
  } catch {
    return [];
  }
}

/** Execute a plan; resolves when every stage has an outcome. */
export function runPlan(o: RunPlanOptions): Promise<RunResult> {
  return Effect.runPromise(runPlanEffect(o));
}

/** The same, as an Effect. */
export function runPlanEffect(o: RunPlanOptions): Effect.Effect<RunResult> {
  return Effect.gen(function* () {
    const t0 = Date.now();
    const r = new PlanRun(o);
    const toRun = r.announce();
    yield* Effect.forEach(toRun, (p) => runStage(r, p), { concurrency: 'unbounded', discard: true });
    return yield* finishRun(r, t0);
  });
}

type SlotGroup = { readonly gate: PriorityGate; readonly free: DeviceSlot[] };

/**
 * The state one run of a plan shares between its stages: outcomes so far, why it is stopping,
 * the slot groups, and the one event stream. Each stage's steps are the functions below it.
 */
class PlanRun {
  readonly store: Store;
  readonly plan: Plan;
  readonly run: string;
  readonly env: NodeJS.ProcessEnv;
  /** a full disk stops the run like Ctrl-C: running stages checkpoint (if they still can) and stop */
  private readonly halt = new AbortController();
  readonly signal: AbortSignal;
  diskFull: string | undefined;
  /** why no new stage starts (interrupted, a failure without --keep-going, a full disk) */
  stopping: string | undefined;
  readonly outcomes = new Map<string, Outcome>();
  readonly done = new Map<string, Deferred.Deferred<Outcome>>();
  readonly cpuSlots: number;
  readonly groups: { readonly cpu: SlotGroup; readonly gpu: SlotGroup };
  /** a free slot goes to the waiting stage with the longest chain of dependents (critical path first) */
  readonly priority: ReadonlyMap<string, number>;
  /** stages with equal keys are the same work: the first runs it, the others reuse its result */
  readonly firstWithKey = new Map<string, string>();

  constructor(readonly o: RunPlanOptions) {
    this.store = o.store;
    this.plan = o.plan;
    this.run = o.run;
    this.env = o.env ?? process.env;
    this.signal = AbortSignal.any([o.signal, this.halt.signal]);
    this.cpuSlots = o.slots.filter((s) => s.group === 'cpu').length;
    this.groups = {
      cpu: { gate: new PriorityGate(Math.max(1, this.cpuSlots)), free: o.slots.filter((s) => s.group === 'cpu') },
      gpu: { gate: new PriorityGate(Math.max(1, o.slots.length - this.cpuSlots)), free: o.slots.filter((s) => s.group === 'gpu') },
    };
    this.priority = criticalPathLengths(this.plan.stages.map((p) => p.stage));
    this.stopping = o.signal.aborted ? 'run interrupted' : undefined;
    o.signal.addEventListener('abort', () => { this.stopping ??= 'run interrupted'; }, { once: true });
  }

  stopForDiskFull(code: string): void {
    this.diskFull ??= code;
    this.stopping ??= code === 'EFBIG' ? 'a file reached the size limit' : 'the disk is full';
    this.halt.abort();
  }

  emit(e: RunEventBody): void {
    try { this.o.emit(runEvent(this.run, e)); } catch (err) {
      // the journal cannot be written: stop; later events (interrupted, finished) are written if room appears
      const code = diskFullCode(err);
      if (code === undefined) throw err;
      this.stopForDiskFull(code);
    }
  }

  logOf(id: string): string { return join(this.store.runDir(this.run), 'logs', `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.log`); }

  backend(): string { return this.o.backend ?? this.env['FBW_BACKEND'] ?? 'auto'; }

  finish(id: string, r: Outcome): Outcome { this.outcomes.set(id, r); Deferred.doneUnsafe(this.done.get(id)!, Effect.succeed(r)); return r; }

  skip(p: PlannedStage, because: string): Outcome { this.emit({ event: 'skipped', stage: p.stage.id, because }); return this.finish(p.stage.id, 'skipped'); }

  failStage(p: PlannedStage, error: WireError, log: string = this.logOf(p.stage.id)): Outcome {
    // failures found before any worker started still get the log file the message names
    if (!existsSync(log)) {
      try { mkdirSync(dirname(log), { recursive: true }); appendFileSync(log, `${new Date().toISOString()} FAILED before start: ${error.name}: ${error.message}\n`); } catch (e) {
        if (diskFullCode(e) === undefined) throw e;
      }
    }
    this.emit({ event: 'failed', stage: p.stage.id, error: `${error.name}: ${error.message}`, log, logTail: logTail(log), replay: this.o.replayCommand(p.stage.id) });
    if (!this.o.keepGoing) this.stopping ??= `stopped after ${p.stage.id} failed (use --keep-going to finish independent stages)`;
    return this.finish(p.stage.id, 'failed');
  }

  /** The run event; cached stages are settled at once, the others queued. Returns the stages to run. */
  announce(): PlannedStage[] {
    const { plan, o } = this;
    this.emit({
      event: 'run', file: o.file, store: this.store.root, devices: o.slots.map((s) => s.id), backend: this.backend(),
      stages: plan.stages.map((p) => ({ id: p.stage.id, kind: p.stage.kind, label: p.stage.label, ...(p.stage.task ? { task: p.stage.task } : {}), inputs: p.stage.inputs.map((i) => i.stage) })),
    });
    for (const p of plan.stages) this.done.set(p.stage.id, Deferred.makeUnsafe<Outcome>());
    const toRun: PlannedStage[] = [];
    for (const p of plan.stages) {
      // a stage is cached only by its key, so a cached stage has one
      if (p.status === 'cached') { this.emit({ event: 'cached', stage: p.stage.id, key: p.key! }); this.finish(p.stage.id, 'cached'); }
      else {
        if (p.key && !p.error) this.emit({ event: 'queued', stage: p.stage.id, key: p.key });
        toRun.push(p);
      }
    }
    for (const p of toRun) if (p.key && !this.firstWithKey.has(p.key)) this.firstWithKey.set(p.key, p.stage.id);
    return toRun;
  }
}

const failedWith = (p: PlannedStage, e: unknown): StageFailed =>
  new StageFailed({ stage: p.stage.id, error: { name: (e as Error).name, message: (e as Error).message, transient: false, ...codeOf(e) } });

/** The job one attempt hands the executor: input folders, a fresh output folder, the devices taken. */
function prepareJob(r: PlanRun, p: PlannedStage, taken: readonly DeviceSlot[], n: number): Effect.Effect<StageJob, StageFailed> {
  return Effect.suspend((): Effect.Effect<StageJob, StageFailed> => {
    const key = p.key!;
    const inputs: Record<string, string> = {};
    for (const i of p.stage.inputs) inputs[i.stage] = r.store.objectDir(r.plan.byId.get(i.stage)!.key!);
    let outDir: string;
    try {
      if (p.corrupt && n === 1) r.store.discard(key);
      outDir = r.store.newTmpDir(key);
    } catch (e) {
      return Effect.fail(failedWith(p, e));
    }
    const device = taken.map((s) => s.device).join(',');
    return Effect.succeed({ run: r.run, stage: p.stage, key, attempt: n, inputs, outDir, checkpointDir: r.store.checkpointDir(key), device, logFile: r.logOf(p.stage.id), workflowDir: r.o.workflowDir });
  });
}

/** What the executor reports about a running job, turned into run events. */
function execHooks(r: PlanRun, p: PlannedStage, job: StageJob): ExecHooks {
  const { executor } = r.o;
  return {
    started: (info) => r.emit({ event: 'started', stage: p.stage.id, key: job.key, device: info.device ?? job.device, attempt: job.attempt, ...(info.pid !== undefined ? { pid: info.pid } : {}), log: job.logFile,
      ...(info.job !== undefined ? { job: { system: executor.name, id: info.job, ...(info.node !== undefined ? { node: info.node } : {}) } } : {}) }),
    job: (u) => r.emit({ event: 'job', stage: p.stage.id, key: job.key, system: executor.name, ...u }),
    message: (m) => {
      switch (m.type) {
        case 'progress': r.emit({ event: 'progress', stage: p.stage.id, ...m.progress }); break;
        case 'checkpointed': r.emit({ event: 'checkpointed', stage: p.stage.id, step: m.step }); break;
        case 'resumed': r.emit({ event: 'resumed', stage: p.stage.id, fromStep: m.step }); break;
      }
    },
  };
}

/** An executor's outcome: commit the output, or fail / stop the attempt (its output folder removed). */
function settle(r: PlanRun, p: PlannedStage, job: StageJob, outcome: ExecOutcome, started: number): Effect.Effect<Outcome, StageFailed | StageStopped> {
  return Effect.suspend((): Effect.Effect<Outcome, StageFailed | StageStopped> => {
    const { key, outDir } = job;
    switch (outcome.status) {
      case 'ok': {
        const seconds = (Date.now() - started) / 1000;
        try {
          r.store.commit(outDir, { stage: p.stage.id, kind: p.stage.kind, key, components: p.components!, run: r.run, seconds });
        } catch (e) {
          rmSync(outDir, { recursive: true, force: true });
          return Effect.fail(failedWith(p, e));
        }
        rmSync(r.store.checkpointDir(key), { recursive: true, force: true });
        r.emit({ event: 'committed', stage: p.stage.id, key, seconds, ...(outcome.metrics ? { metrics: outcome.metrics } : {}) });
        return Effect.succeed('ok' as const);
      }
      case 'failed':
        rmSync(outDir, { recursive: true, force: true });
        // an abort that reached the stage as an error (any executor) is an interruption
        if (r.signal.aborted && (outcome.error.name === 'AbortError' || outcome.error.name === 'Interrupted')) return Effect.fail(new StageStopped({ stage: p.stage.id, step: 0 }));
        return Effect.fail(new StageFailed({ stage: p.stage.id, error: outcome.error }));
      case 'interrupted':
        rmSync(outDir, { recursive: true, force: true });
        return Effect.fail(new StageStopped({ stage: p.stage.id, step: outcome.step }));
    }
  });
}

/** One attempt of a stage on the devices `taken`. */
function attempt(r: PlanRun, p: PlannedStage, taken: readonly DeviceSlot[], n: number): Effect.Effect<Outcome, StageFailed | StageStopped> {
  return Effect.gen(function* () {
    const job = yield* prepareJob(r, p, taken, n);
    const started = Date.now();
    const { executor } = r.o;
    // an executor that throws (e.g. a cluster command failed) fails this stage, not the run
    const outcome: ExecOutcome = yield* Effect.tryPromise({
      try: () => executor.execute(job, deviceEnv(taken, r.cpuSlots, r.env), execHooks(r, p, job), r.signal),
      catch: (e) => new StageFailed({ stage: p.stage.id, error: { name: (e as Error)?.name ?? 'ExecutorError', message: `${executor.name} executor: ${(e as Error)?.message ?? String(e)}`, transient: false } }),
    });
    return yield* settle(r, p, job, outcome, started);
  });
}

/** Attempts of a stage: transient failures retried with exponential backoff, then its outcome. */
function execute(r: PlanRun, p: PlannedStage, taken: readonly DeviceSlot[]): Effect.Effect<Outcome> {
  const retries = r.o.retries ?? 2;
  const base = r.o.retryBaseMs ?? 500;
  let n = 1;
  const once = Effect.suspend(() => attempt(r, p, taken, n));
  return once.pipe(
    Effect.map((res) => r.finish(p.stage.id, res)),
    Effect.retry({
      schedule: Schedule.exponential(`${base} millis`, 2),
      times: retries,
      while: (e: StageFailed | StageStopped) => {
        if (e._tag !== 'StageFailed' || !e.error.transient || r.stopping !== undefined || n > retries) return false;
        r.emit({ event: 'retried', stage: p.stage.id, attempt: n + 1, reason: `${e.error.name}: ${e.error.message}`, delayMs: base * 2 ** (n - 1) });
        n++;
        return true;
      },
    }),
    Effect.catchTag('StageFailed', (e) => Effect.sync(() => {
      // the stage could not write (its output, a checkpoint): not its failure, the run stops
      const full = diskFullCode(e.error);
      if (full === undefined) return r.failStage(p, e.error);
      r.stopForDiskFull(full);
      r.emit({ event: 'interrupted', stage: p.stage.id });
      return r.finish(p.stage.id, 'interrupted');
    })),
    Effect.catchTag('StageStopped', () => Effect.sync(() => { r.emit({ event: 'interrupted', stage: p.stage.id }); return r.finish(p.stage.id, 'interrupted'); })),
  );
}

const pastTense = (o: Outcome) => (o === 'failed' ? 'failed' : o === 'interrupted' ? 'was interrupted' : 'was skipped');

/** A stage once its inputs are settled: skipped, reused from a twin, failed before start, or run on slots. */
function runStage(r: PlanRun, p: PlannedStage): Effect.Effect<Outcome> {
  return Effect.gen(function* () {
    const ins = yield* Effect.forEach(p.stage.inputs, (i) => Effect.map(Deferred.await(r.done.get(i.stage)!), (o) => [i.stage, o] as const));
    const bad = ins.find(([, o]) => o !== 'ok' && o !== 'cached');
    if (bad) return r.skip(p, `input ${bad[0]} ${pastTense(bad[1])}`);
    const twin = p.key ? r.firstWithKey.get(p.key) : undefined;
    if (twin && twin !== p.stage.id) {
      const o = yield* Deferred.await(r.done.get(twin)!);
      // twins are found by key: p.key is set
      if (o === 'ok' || o === 'cached') { r.emit({ event: 'cached', stage: p.stage.id, key: p.key! }); return r.finish(p.stage.id, 'cached'); }
      return r.skip(p, `same work as ${twin}, which ${pastTense(o)}`);
    }
    if (p.status === 'blocked') return r.skip(p, p.reason);
    if (p.error) return r.failStage(p, { name: p.errorName ?? 'StageCannotRun', message: p.error, transient: false });
    if (r.stopping) return r.skip(p, r.stopping);
    return yield* runOnSlots(r, p);
  });
}

/** Wait for the stage's device slots (critical path first), run it, give the slots back. */
function runOnSlots(r: PlanRun, p: PlannedStage): Effect.Effect<Outcome> {
  let req: ReturnType<typeof slotRequest>;
  // an executor that places stages itself (SLURM) only needs a permit: one job in flight
  try { req = r.o.executor.placement ? { group: r.cpuSlots > 0 ? 'cpu' : 'gpu', count: 1 } : slotRequest(p.stage, r.o.slots); } catch (e) {
    return Effect.succeed(r.failStage(p, { name: (e as Error).name, message: (e as Error).message, transient: false }));
  }
  const g = r.groups[req.group];
  return g.gate.withPermits(req.count, r.priority.get(p.stage.id) ?? 0, Effect.suspend(() => {
    if (r.stopping) return Effect.succeed(r.skip(p, r.stopping));
    const taken: DeviceSlot[] = [];
    const pref = req.prefer ? g.free.findIndex((s) => s.device === req.prefer) : -1;
    if (pref >= 0) taken.push(...g.free.splice(pref, 1));
    while (taken.length < req.count) taken.push(g.free.shift()!);
    return execute(r, p, taken).pipe(Effect.ensuring(Effect.sync(() => { g.free.push(...taken); })));
  }));
}

/** Publish the run's outputs, count the outcomes, emit `finished`, flush the store. */
function finishRun(r: PlanRun, t0: number): Effect.Effect<RunResult> {
  return Effect.gen(function* () {
    const { store, run, plan, outcomes } = r;
    // the run's outputs outside the store: runs/<id>/report/, `report "DIR"`, `-> save "DIR"`
    const published = yield* Effect.promise(() => publishOutputs({
      store, run, plan, workflowDir: r.o.workflowDir, file: r.o.file, backend: r.backend(), logOf: (id) => r.logOf(id),
      committed: (id) => { const o = outcomes.get(id); return o === 'ok' || o === 'cached' ? o : undefined; },
    }));
    const report = published.report;
    r.diskFull ??= published.diskFull;
    const count = (k: Outcome) => [...outcomes.values()].filter((v) => v === k).length;
    const counts = { done: count('ok'), cached: count('cached'), failed: count('failed'), skipped: count('skipped') };
    const status: RunResult['status'] = r.signal.aborted || count('interrupted') ? 'interrupted' : counts.failed || counts.skipped ? 'failed' : 'ok';
    const seconds = (Date.now() - t0) / 1000;
    r.emit({ event: 'finished', status, ...(report ? { report } : {}), counts, seconds });
    try { store.flush(); } catch (e) { const code = diskFullCode(e); if (code === undefined) throw e; r.diskFull ??= code; }
    const diskFull = r.diskFull;
    return { status, counts, ...(report ? { report } : {}), seconds, outcomes, ...(diskFull ? { diskFull } : {}) };
  });
}
