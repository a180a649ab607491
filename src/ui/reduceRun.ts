// The UI's only model of a run: a projection of the RunEvent stream. The ink view, the
// plain renderer and `fbw show` (replaying a journal) all read this state, so what the
// screen says is exactly what the journal says. Each event costs O(1): the stage table
// and id lists are shared and grown in place (a state is consumed linearly: keep only the
// latest), while every StageState is replaced, never mutated, so a row snapshot stays valid.

import type { JobRef, RunEvent } from '../protocol/events.js';

/** Where a stage is in its life; terminal ones are done, cached, failed, skipped. */
export type StageStatus = 'pending' | 'queued' | 'running' | 'retrying' | 'done' | 'cached' | 'failed' | 'skipped' | 'interrupted';

/** What the UI knows about one stage. */
export interface StageState {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly task?: string;
  readonly status: StageStatus;
  /** the stage's cache key in this run */
  readonly key?: string;
  /** the device the stage sees, or its cluster job ('slurm:1234@node1', see jobLabel) */
  readonly device?: string;
  /** the cluster job running the stage (SLURM): id, node, last state and exit code */
  readonly job?: JobRef & { readonly state?: string; readonly exitCode?: number };
  readonly attempt?: number;
  readonly log?: string;
  readonly startedAt?: number;
  readonly endedAt?: number;
  /** committed: wall seconds the stage took (from the scheduler) */
  readonly seconds?: number;
  readonly step?: number;
  readonly total?: number;
  readonly phase?: string;
  readonly loss?: number;
  readonly accuracy?: number;
  readonly throughput?: number;
  readonly lr?: number;
  /** recent losses, oldest first, for the sparkline */
  readonly losses: readonly number[];
  /** first progress point of this attempt, to estimate the rate for the ETA */
  readonly rateFrom?: { readonly t: number; readonly step: number };
  readonly lastProgressAt?: number;
  readonly resumedFrom?: number;
  readonly checkpointStep?: number;
  readonly metrics?: { readonly [k: string]: number };
  readonly error?: string;
  readonly logTail?: readonly string[];
  readonly replay?: string;
  readonly retryReason?: string;
  readonly skippedBecause?: string;
}

/** The whole run as the UI sees it. */
export interface RunState {
  readonly run?: string;
  readonly file?: string;
  readonly store?: string;
  readonly devices: readonly string[];
  readonly backend?: string;
  readonly startedAt?: number;
  /** timestamp of the latest event (the clock used for replayed journals) */
  readonly lastEventAt?: number;
  /** stage ids in the graph's order */
  readonly order: readonly string[];
  readonly stages: { readonly [id: string]: StageState };
  /** stage ids in the order they reached a terminal status (feeds ink's <Static>) */
  readonly finishedOrder: readonly string[];
  readonly interrupted: boolean;
  /** after Ctrl-C: running stages with no checkpoint, which finish before the run stops */
  readonly finishing?: readonly string[];
  readonly finished?: {
    readonly status: 'ok' | 'failed' | 'interrupted';
    readonly report?: string;
    readonly counts: { readonly done: number; readonly cached: number; readonly failed: number; readonly skipped: number };
    readonly seconds: number;
  };
}

const EMPTY_STAGES: { readonly [id: string]: StageState } = Object.freeze({});
const EMPTY_IDS: readonly string[] = Object.freeze([]);

/** The state before the first event (never modified: the first event allocates the tables). */
export const initialRunState: RunState = Object.freeze({ devices: [], order: EMPTY_IDS, stages: EMPTY_STAGES, finishedOrder: EMPTY_IDS, interrupted: false });

/** ids already in finishedOrder, per stage table (so re-finishing a stage never lists it twice) */
const finishedSets = new WeakMap<object, Set<string>>();

/** The state's tables, allocated on first write. */
function tables(state: RunState): { stages: { [id: string]: StageState }; order: string[]; finishedOrder: string[]; finished: Set<string> } {
  if (state.stages === EMPTY_STAGES) {
    const stages: { [id: string]: StageState } = {};
    const finished = new Set<string>();
    finishedSets.set(stages, finished);
    return { stages, order: [], finishedOrder: [], finished };
  }
  return { stages: state.stages as { [id: string]: StageState }, order: state.order as string[], finishedOrder: state.finishedOrder as string[], finished: finishedSets.get(state.stages)! };
}

/** How many recent losses a stage keeps for its sparkline. */
export const LOSS_HISTORY = 64;

const TERMINAL: ReadonlySet<StageStatus> = new Set(['done', 'cached', 'failed', 'skipped']);

/** True for statuses after which a stage never changes again in this run. */
export function isTerminal(status: StageStatus): boolean {
  return TERMINAL.has(status);
}

/** How a cluster job shows in the device column and plain lines: `slurm:1234@node1`. */
export function jobLabel(j: JobRef): string {
  return `${j.system}:${j.id}${j.node ? `@${j.node}` : ''}`;
}

function guessKind(id: string): string {
  return id.split('.')[0] ?? id;
}

function upsert(state: RunState, id: string, t: number, change: (s: StageState) => StageState): RunState {
  const tb = tables(state);
  const prev = tb.stages[id];
  const base: StageState = prev ?? { id, kind: guessKind(id), label: id, status: 'pending', losses: [] };
  const next = change(base);
  tb.stages[id] = next;
  if (prev === undefined) tb.order.push(id);
  if (isTerminal(next.status) && !tb.finished.has(id)) {
    tb.finished.add(id);
    tb.finishedOrder.push(id);
  }
  return { ...state, lastEventAt: t, stages: tb.stages, order: tb.order, finishedOrder: tb.finishedOrder };
}

/** Fold one event into the state (pure; never throws on unknown stages). */
export function reduceRun(state: RunState, e: RunEvent): RunState {
  switch (e.event) {
    case 'run': {
      const tb = tables(state);
      const known = new Set(tb.order);
      const graphOrder: string[] = [];
      for (const st of e.stages) {
        const prev = tb.stages[st.id];
        tb.stages[st.id] = { ...(prev ?? { status: 'pending', losses: [] }), id: st.id, kind: st.kind, label: st.label, ...(st.task !== undefined ? { task: st.task } : {}) } as StageState;
        graphOrder.push(st.id);
      }
      // graph order first, then stages seen in events before the run event
      const inGraph = new Set(graphOrder);
      const order = [...graphOrder, ...tb.order.filter((id) => known.has(id) && !inGraph.has(id))];
      tb.order.length = 0;
      tb.order.push(...order);
      return { ...state, run: e.run, file: e.file, store: e.store, devices: e.devices, backend: e.backend, startedAt: state.startedAt ?? e.t, lastEventAt: e.t, stages: tb.stages, order: tb.order, finishedOrder: tb.finishedOrder };
    }
    case 'queued':
      return upsert(state, e.stage, e.t, (s) => (isTerminal(s.status) ? { ...s, key: e.key } : { ...s, status: 'queued', key: e.key }));
    case 'cached':
      return upsert(state, e.stage, e.t, (s) => ({ ...s, status: 'cached', key: e.key, endedAt: e.t }));
    case 'started':
      return upsert(state, e.stage, e.t, (s) => ({
        ...s,
        status: 'running',
        key: e.key,
        device: e.job ? jobLabel(e.job) : e.device,
        ...(e.job ? { job: { ...(s.job?.id === e.job.id ? s.job : {}), ...e.job } } : {}),
        attempt: e.attempt,
        log: e.log,
        startedAt: s.startedAt ?? e.t,
        rateFrom: undefined,
        retryReason: undefined,
      }));
    case 'job':
      return upsert(state, e.stage, e.t, (s) => {
        // a new job id (resubmitted) starts from scratch; the same job keeps its node and state
        const same = s.job?.id === e.job ? s.job : undefined;
        const node = e.node ?? same?.node;
        const st = e.state ?? same?.state;
        const job = { system: e.system, id: e.job, ...(node !== undefined ? { node } : {}), ...(st !== undefined ? { state: st } : {}), ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}) };
        return { ...s, key: e.key, job, device: jobLabel(job) };
      });
    case 'resumed':
      return upsert(state, e.stage, e.t, (s) => ({ ...s, resumedFrom: e.fromStep, step: e.fromStep, rateFrom: undefined }));
    case 'progress':
      return upsert(state, e.stage, e.t, (s) => {
        const phaseChanged = e.phase !== s.phase;
        const rateFrom = s.rateFrom === undefined || phaseChanged || e.step < s.rateFrom.step ? { t: e.t, step: e.step } : s.rateFrom;
        const losses = e.loss !== undefined && Number.isFinite(e.loss) ? [...s.losses.slice(-(LOSS_HISTORY - 1)), e.loss] : s.losses;
        return {
          ...s,
          status: s.status === 'pending' || s.status === 'queued' || s.status === 'retrying' ? 'running' : s.status,
          step: e.step,
          total: e.total,
          phase: e.phase,
          loss: e.loss ?? (phaseChanged ? undefined : s.loss),
          accuracy: e.accuracy ?? (phaseChanged ? undefined : s.accuracy),
          throughput: e.throughput ?? (phaseChanged ? undefined : s.throughput),
          lr: e.lr ?? s.lr,
          losses,
          rateFrom,
          lastProgressAt: e.t,
        };
      });
    case 'checkpointed':
      return upsert(state, e.stage, e.t, (s) => ({ ...s, checkpointStep: e.step }));
    case 'committed':
      return upsert(state, e.stage, e.t, (s) => ({
        ...s,
        status: 'done',
        key: e.key,
        endedAt: e.t,
        seconds: e.seconds,
        ...(e.metrics !== undefined ? { metrics: e.metrics } : {}),
        step: s.total !== undefined ? s.total : s.step,
      }));
    case 'retried':
      return upsert(state, e.stage, e.t, (s) => ({ ...s, status: 'retrying', attempt: e.attempt, retryReason: e.reason }));
    case 'failed':
      return upsert(state, e.stage, e.t, (s) => ({ ...s, status: 'failed', endedAt: e.t, error: e.error, log: e.log, logTail: e.logTail, replay: e.replay }));
    case 'skipped':
      return upsert(state, e.stage, e.t, (s) => ({ ...s, status: 'skipped', endedAt: e.t, skippedBecause: e.because }));
    case 'interrupted': {
      if (e.stage === undefined) return { ...state, interrupted: true, lastEventAt: e.t, ...(e.finishing?.length ? { finishing: e.finishing } : {}) };
      return upsert({ ...state, interrupted: true }, e.stage, e.t, (s) => (isTerminal(s.status) ? s : { ...s, status: 'interrupted', endedAt: e.t }));
    }
    case 'finished':
      return { ...state, lastEventAt: e.t, finished: { status: e.status, ...(e.report !== undefined ? { report: e.report } : {}), counts: e.counts, seconds: e.seconds } };
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** Fold a whole event sequence (a journal) into a state. */
export function replayRun(events: Iterable<RunEvent>): RunState {
  let s = initialRunState;
  for (const e of events) s = reduceRun(s, e);
  return s;
}

/** Footer counts: queued includes stages still waiting for their inputs. */
export interface StageCounts {
  readonly done: number;
  readonly cached: number;
  readonly running: number;
  readonly queued: number;
  readonly failed: number;
  readonly skipped: number;
  readonly interrupted: number;
  readonly total: number;
}

/** Count stages by footer bucket. */
export function countStages(state: RunState): StageCounts {
  const c = { done: 0, cached: 0, running: 0, queued: 0, failed: 0, skipped: 0, interrupted: 0, total: 0 };
  for (const id of state.order) {
    const s = state.stages[id];
    if (!s) continue;
    c.total++;
    switch (s.status) {
      case 'done': c.done++; break;
      case 'cached': c.cached++; break;
      case 'running': c.running++; break;
      case 'pending': case 'queued': case 'retrying': c.queued++; break;
      case 'failed': c.failed++; break;
      case 'skipped': c.skipped++; break;
      case 'interrupted': c.interrupted++; break;
      default: { const never: never = s.status; return never; }
    }
  }
  return c;
}

/** Estimated seconds left for a running stage, from its rate since the first progress of this attempt. */
export function etaSeconds(s: StageState): number | undefined {
  if (s.status !== 'running' || s.step === undefined || s.total === undefined || s.rateFrom === undefined || s.lastProgressAt === undefined) return undefined;
  const dSteps = s.step - s.rateFrom.step;
  const dt = (s.lastProgressAt - s.rateFrom.t) / 1000;
  if (dSteps <= 0 || dt <= 0) return undefined;
  return Math.max(0, ((s.total - s.step) * dt) / dSteps);
}

/** Fraction done of a stage (1 for finished, undefined when unknown). */
export function stageFraction(s: StageState): number | undefined {
  if (s.status === 'done' || s.status === 'cached') return 1;
  if (s.step === undefined || s.total === undefined || s.total <= 0) return undefined;
  return Math.min(1, s.step / s.total);
}
