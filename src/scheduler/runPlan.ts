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
import type { Executor, ExecOutcome } from '../protocol/executor.js';
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
    const { store, plan, run } = o;
    const env = o.env ?? process.env;
    // a full disk stops the run like Ctrl-C: running stages checkpoint (if they still can) and stop
    const halt = new AbortController();
    const signal = AbortSignal.any([o.signal, halt.signal]);
    let diskFull: string | undefined;
    const stopForDiskFull = (code: string) => {
      diskFull ??= code;
      stopping ??= code === 'EFBIG' ? 'a file reached the size limit' : 'the disk is full';
      halt.abort();
    };
    const emit = (e: RunEventBody): void => {
      try { o.emit(runEvent(run, e)); } catch (err) {
        // the journal cannot be written: stop; later events (interrupted, finished) are written if room appears
        const code = diskFullCode(err);
        if (code === undefined) throw err;
        stopForDiskFull(code);
      }
    };
    const logOf = (id: string) => join(store.runDir(run), 'logs', `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
    const cpuSlots = o.slots.filter((s) => s.group === 'cpu').length;
    const groups = {
      cpu: { gate: new PriorityGate(Math.max(1, cpuSlots)), free: o.slots.filter((s) => s.group === 'cpu') },
      gpu: { gate: new PriorityGate(Math.max(1, o.slots.length - cpuSlots)), free: o.slots.filter((s) => s.group === 'gpu') },
    };
    // a free slot goes to the waiting stage with the longest chain of dependents (critical path first)
    const priority = criticalPathLengths(plan.stages.map((p) => p.stage));
    const outcomes = new Map<string, Outcome>();
    const done = new Map<string, Deferred.Deferred<Outcome>>();
    let stopping: string | undefined = o.signal.aborted ? 'run interrupted' : undefined;
    o.signal.addEventListener('abort', () => { stopping ??= 'run interrupted'; }, { once: true });
    const finish = (id: string, r: Outcome) => { outcomes.set(id, r); Deferred.doneUnsafe(done.get(id)!, Effect.succeed(r)); return r; };

    emit({
      event: 'run', file: o.file, store: store.root, devices: o.slots.map((s) => s.id), backend: o.backend ?? env['FBW_BACKEND'] ?? 'auto',
      stages: plan.stages.map((p) => ({ id: p.stage.id, kind: p.stage.kind, label: p.stage.label, ...(p.stage.task ? { task: p.stage.task } : {}), inputs: p.stage.inputs.map((i) => i.stage) })),
    });
    for (const p of plan.stages) done.set(p.stage.id, Deferred.makeUnsafe<Outcome>());
    const toRun: PlannedStage[] = [];
    for (const p of plan.stages) {
      // a stage is cached only by its key, so a cached stage has one
      if (p.status === 'cached') { emit({ event: 'cached', stage: p.stage.id, key: p.key! }); finish(p.stage.id, 'cached'); }
      else {
        if (p.key && !p.error) emit({ event: 'queued', stage: p.stage.id, key: p.key });
        toRun.push(p);
      }
    }

    const failStage = (p: PlannedStage, error: WireError, log: string): Outcome => {
      // failures found before any worker started still get the log file the message names
      if (!existsSync(log)) {
        try { mkdirSync(dirname(log), { recursive: true }); appendFileSync(log, `${new Date().toISOString()} FAILED before start: ${error.name}: ${error.message}\n`); } catch (e) {
          if (diskFullCode(e) === undefined) throw e;
        }
      }
      emit({ event: 'failed', stage: p.stage.id, error: `${error.name}: ${error.message}`, log, logTail: logTail(log), replay: o.replayCommand(p.stage.id) });
      if (!o.keepGoing) stopping ??= `stopped after ${p.stage.id} failed (use --keep-going to finish independent stages)`;
      return finish(p.stage.id, 'failed');
    };

    const attempt = (p: PlannedStage, taken: readonly DeviceSlot[], n: number): Effect.Effect<Outcome, StageFailed | StageStopped> =>
      Effect.gen(function* () {
        const key = p.key!;
        const log = logOf(p.stage.id);
        const inputs: Record<string, string> = {};
        for (const i of p.stage.inputs) inputs[i.stage] = store.objectDir(plan.byId.get(i.stage)!.key!);
        let outDir: string;
        try {
          if (p.corrupt && n === 1) store.discard(key);
          outDir = store.newTmpDir(key);
        } catch (e) {
          return yield* Effect.fail(new StageFailed({ stage: p.stage.id, error: { name: (e as Error).name, message: (e as Error).message, transient: false, ...codeOf(e) } }));
        }
        const device = taken.map((s) => s.device).join(',');
        const job: StageJob = { run, stage: p.stage, key, attempt: n, inputs, outDir, checkpointDir: store.checkpointDir(key), device, logFile: log, workflowDir: o.workflowDir };
        const started = Date.now();
        // an executor that throws (e.g. a cluster command failed) fails this stage, not the run
        const outcome: ExecOutcome = yield* Effect.tryPromise({ try: () => o.executor.execute(job, deviceEnv(taken, cpuSlots, env), {
          started: (info) => emit({ event: 'started', stage: p.stage.id, key, device: info.device ?? device, attempt: n, ...(info.pid !== undefined ? { pid: info.pid } : {}), log,
            ...(info.job !== undefined ? { job: { system: o.executor.name, id: info.job, ...(info.node !== undefined ? { node: info.node } : {}) } } : {}) }),
          job: (u) => emit({ event: 'job', stage: p.stage.id, key, system: o.executor.name, ...u }),
          message: (m) => {
            switch (m.type) {
              case 'progress': emit({ event: 'progress', stage: p.stage.id, ...m.progress }); break;
              case 'checkpointed': emit({ event: 'checkpointed', stage: p.stage.id, step: m.step }); break;
              case 'resumed': emit({ event: 'resumed', stage: p.stage.id, fromStep: m.step }); break;
            }
          },
        }, signal), catch: (e) => new StageFailed({ stage: p.stage.id, error: { name: (e as Error)?.name ?? 'ExecutorError', message: `${o.executor.name} executor: ${(e as Error)?.message ?? String(e)}`, transient: false } }) });
        switch (outcome.status) {
          case 'ok': {
            const seconds = (Date.now() - started) / 1000;
            try {
              store.commit(outDir, { stage: p.stage.id, kind: p.stage.kind, key, components: p.components!, run, seconds });
            } catch (e) {
              rmSync(outDir, { recursive: true, force: true });
              return yield* Effect.fail(new StageFailed({ stage: p.stage.id, error: { name: (e as Error).name, message: (e as Error).message, transient: false, ...codeOf(e) } }));
            }
            rmSync(store.checkpointDir(key), { recursive: true, force: true });
            emit({ event: 'committed', stage: p.stage.id, key, seconds, ...(outcome.metrics ? { metrics: outcome.metrics } : {}) });
            return 'ok' as const;
          }
          case 'failed':
            rmSync(outDir, { recursive: true, force: true });
            // an abort that reached the stage as an error (any executor) is an interruption
            if (signal.aborted && (outcome.error.name === 'AbortError' || outcome.error.name === 'Interrupted')) return yield* Effect.fail(new StageStopped({ stage: p.stage.id, step: 0 }));
            return yield* Effect.fail(new StageFailed({ stage: p.stage.id, error: outcome.error }));
          case 'interrupted':
            rmSync(outDir, { recursive: true, force: true });
            return yield* Effect.fail(new StageStopped({ stage: p.stage.id, step: outcome.step }));
        }
      });

    const retries = o.retries ?? 2;
    const base = o.retryBaseMs ?? 500;
    const execute = (p: PlannedStage, taken: readonly DeviceSlot[]): Effect.Effect<Outcome> => {
      let n = 1;
      const once = Effect.suspend(() => attempt(p, taken, n));
      return once.pipe(
        Effect.map((r) => finish(p.stage.id, r)),
        Effect.retry({
          schedule: Schedule.exponential(`${base} millis`, 2),
          times: retries,
          while: (e: StageFailed | StageStopped) => {
            if (e._tag !== 'StageFailed' || !e.error.transient || stopping !== undefined || n > retries) return false;
            emit({ event: 'retried', stage: p.stage.id, attempt: n + 1, reason: `${e.error.name}: ${e.error.message}`, delayMs: base * 2 ** (n - 1) });
            n++;
            return true;
          },
        }),
        Effect.catchTag('StageFailed', (e) => Effect.sync(() => {
          // the stage could not write (its output, a checkpoint): not its failure, the run stops
          const full = diskFullCode(e.error);
          if (full === undefined) return failStage(p, e.error, logOf(p.stage.id));
          stopForDiskFull(full);
          emit({ event: 'interrupted', stage: p.stage.id });
          return finish(p.stage.id, 'interrupted');
        })),
        Effect.catchTag('StageStopped', () => Effect.sync(() => { emit({ event: 'interrupted', stage: p.stage.id }); return finish(p.stage.id, 'interrupted'); })),
      );
    };

    const skip = (p: PlannedStage, because: string): Outcome => { emit({ event: 'skipped', stage: p.stage.id, because }); return finish(p.stage.id, 'skipped'); };

    // stages with equal keys are the same work: the first runs it, the others reuse its result
    const firstWithKey = new Map<string, string>();
    for (const p of toRun) if (p.key && !firstWithKey.has(p.key)) firstWithKey.set(p.key, p.stage.id);

    const runStage = (p: PlannedStage): Effect.Effect<Outcome> =>
      Effect.gen(function* () {
        const ins = yield* Effect.forEach(p.stage.inputs, (i) => Effect.map(Deferred.await(done.get(i.stage)!), (r) => [i.stage, r] as const));
        const bad = ins.find(([, r]) => r !== 'ok' && r !== 'cached');
        if (bad) return skip(p, `input ${bad[0]} ${bad[1] === 'failed' ? 'failed' : bad[1] === 'interrupted' ? 'was interrupted' : 'was skipped'}`);
        const twin = p.key ? firstWithKey.get(p.key) : undefined;
        if (twin && twin !== p.stage.id) {
          const r = yield* Deferred.await(done.get(twin)!);
          // twins are found by key: p.key is set
          if (r === 'ok' || r === 'cached') { emit({ event: 'cached', stage: p.stage.id, key: p.key! }); return finish(p.stage.id, 'cached'); }
          return skip(p, `same work as ${twin}, which ${r === 'failed' ? 'failed' : r === 'interrupted' ? 'was interrupted' : 'was skipped'}`);
        }
        if (p.status === 'blocked') return skip(p, p.reason);
        if (p.error) return failStage(p, { name: p.errorName ?? 'StageCannotRun', message: p.error, transient: false }, logOf(p.stage.id));
        if (stopping) return skip(p, stopping);
        let req: ReturnType<typeof slotRequest>;
        // an executor that places stages itself (SLURM) only needs a permit: one job in flight
        try { req = o.executor.placement ? { group: cpuSlots > 0 ? 'cpu' : 'gpu', count: 1 } : slotRequest(p.stage, o.slots); } catch (e) { return failStage(p, { name: (e as Error).name, message: (e as Error).message, transient: false }, logOf(p.stage.id)); }
        const g = groups[req.group];
        return yield* g.gate.withPermits(req.count, priority.get(p.stage.id) ?? 0, Effect.suspend(() => {
          if (stopping) return Effect.succeed(skip(p, stopping));
          const taken: DeviceSlot[] = [];
          const pref = req.prefer ? g.free.findIndex((s) => s.device === req.prefer) : -1;
          if (pref >= 0) taken.push(...g.free.splice(pref, 1));
          while (taken.length < req.count) taken.push(g.free.shift()!);
          return execute(p, taken).pipe(Effect.ensuring(Effect.sync(() => { g.free.push(...taken); })));
        }));
      });

    yield* Effect.forEach(toRun, runStage, { concurrency: 'unbounded', discard: true });

    // the run's outputs outside the store: runs/<id>/report/, `report "DIR"`, `-> save "DIR"`
    const published = yield* Effect.promise(() => publishOutputs({
      store, run, plan, workflowDir: o.workflowDir, file: o.file, backend: o.backend ?? env['FBW_BACKEND'] ?? 'auto', logOf,
      committed: (id) => { const r = outcomes.get(id); return r === 'ok' || r === 'cached' ? r : undefined; },
    }));
    const report = published.report;
    diskFull ??= published.diskFull;
    const count = (k: Outcome) => [...outcomes.values()].filter((v) => v === k).length;
    const counts = { done: count('ok'), cached: count('cached'), failed: count('failed'), skipped: count('skipped') };
    const status: RunResult['status'] = signal.aborted || count('interrupted') ? 'interrupted' : counts.failed || counts.skipped ? 'failed' : 'ok';
    const seconds = (Date.now() - t0) / 1000;
    emit({ event: 'finished', status, ...(report ? { report } : {}), counts, seconds });
    try { store.flush(); } catch (e) { const code = diskFullCode(e); if (code === undefined) throw e; diskFull ??= code; }
    return { status, counts, ...(report ? { report } : {}), seconds, outcomes, ...(diskFull ? { diskFull } : {}) };
  });
}
