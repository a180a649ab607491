// DAG + store -> what a run will do, per stage: cached (committed and verified), resumable from a
// checkpoint step, or to run — each with the reason a user would ask for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph, Stage } from '../compile/ir.js';
import type { Store } from '../store/Store.js';
import type { KeyComponents } from '../store/keyComponents.js';
import { computeKeys, type KeyOptions } from './computeKeys.js';
import { diffComponents, formatChanges } from './diffComponents.js';
import { jsonFormat } from '../util/jsonFormat.js';

export type PlanStatus = 'cached' | 'resumable' | 'run' | 'blocked';

export interface PlannedStage {
  readonly stage: Stage;
  /** the stage key, or undefined when it cannot be computed (see `error`) */
  readonly key?: string;
  readonly components?: KeyComponents;
  readonly status: PlanStatus;
  readonly reason: string;
  /** checkpoint step a resumable stage continues from */
  readonly fromStep?: number;
  /** a failure known before running (model or dataset missing): the stage fails at run time */
  readonly error?: string;
  /** the error class behind `error` (ModelNotFound, DatasetUnavailable, ...) */
  readonly errorName?: string;
  /** a committed artifact failed verification and must be discarded before running */
  readonly corrupt?: string;
}

export interface Plan {
  readonly graph: Graph;
  readonly stages: readonly PlannedStage[];
  readonly byId: ReadonlyMap<string, PlannedStage>;
}

/** Where a training stage records its last checkpoint step, inside checkpoints/<key>/. */
export const CHECKPOINT_STATE = 'fbw-checkpoint.json';

/** What the worker records at each checkpoint (devices/runStageJob.ts writes it). */
export interface CheckpointRecord { readonly step: number; readonly t: number; readonly stage: string }

export const checkpointRecordFormat = jsonFormat<CheckpointRecord>('checkpoint record', {
  type: 'object', required: ['step', 't', 'stage'],
  properties: { step: { type: 'integer', minimum: 0 }, t: { type: 'number' }, stage: { type: 'string' } },
});

/** Last checkpoint step recorded for a key, if any (a damaged record counts as none: the stage's own checkpoints decide). */
export function checkpointStep(store: Store, key: string): number | undefined {
  try {
    const v = checkpointRecordFormat.read(join(store.checkpointDir(key), CHECKPOINT_STATE));
    return v.step > 0 ? v.step : undefined;
  } catch {
    return undefined;
  }
}

export interface PlanOptions extends KeyOptions {
  /** stage ids to run even when cached (replay) */
  readonly force?: ReadonlySet<string>;
  /** verify every file's hash instead of trusting unchanged inode/size/mtime/ctime */
  readonly fullVerify?: boolean;
}

/** Plan a run of `graph` against `store`. */
export async function planRun(graph: Graph, store: Store, opts: PlanOptions = {}): Promise<Plan> {
  const keys = await computeKeys(graph, store, opts);
  const stages: PlannedStage[] = [];
  const byId = new Map<string, PlannedStage>();
  for (const s of graph.stages) {
    const k = keys.get(s.id)!;
    let p: PlannedStage;
    if (!k.ok) {
      p = k.blockedBy
        ? { stage: s, status: 'blocked', reason: `input ${k.blockedBy} cannot run`, error: `input ${k.blockedBy} failed to plan` }
        : { stage: s, status: 'run', reason: `will fail: ${k.error}`, error: k.error, ...(k.errorName ? { errorName: k.errorName } : {}) };
    } else {
      const rerunInputs = s.inputs.map((i) => byId.get(i.stage)!).filter((i) => i.status !== 'cached');
      const v = store.verify(k.key, opts.fullVerify ? { full: true } : {});
      const base = { stage: s, key: k.key, components: k.components } as const;
      if (v.ok && !rerunInputs.length && !opts.force?.has(s.id)) {
        p = { ...base, status: 'cached', reason: `committed ${v.manifest.created}${v.manifest.run ? ` by run ${v.manifest.run}` : ''}` };
      } else {
        const step = checkpointStep(store, k.key);
        let reason: string;
        const corrupt = !v.ok && !v.missing ? v.reason : undefined;
        if (opts.force?.has(s.id)) reason = 'replay requested';
        else if (corrupt) reason = `committed artifact failed verification: ${corrupt}`;
        else if (rerunInputs.length) reason = `input ${rerunInputs[0]!.stage.id} will ${rerunInputs[0]!.status === 'blocked' ? 'not run' : 'run'}`;
        else {
          const prev = store.readIndex(s.id);
          if (!prev) reason = 'never run';
          else if (prev.key === k.key) reason = 'committed result was removed';
          else {
            const ch = formatChanges(diffComponents(prev.components, k.components));
            reason = ch.length ? `changed since last commit: ${ch.slice(0, 3).join('; ')}${ch.length > 3 ? ` (+${ch.length - 3} more)` : ''}` : 'key format changed';
          }
        }
        if (rerunInputs.some((i) => i.status === 'blocked' || i.error)) p = { ...base, status: 'blocked', reason };
        else if (step !== undefined && !opts.force?.has(s.id)) p = { ...base, status: 'resumable', fromStep: step, reason, ...(corrupt ? { corrupt } : {}) };
        else p = { ...base, status: 'run', reason, ...(corrupt ? { corrupt } : {}) };
      }
    }
    stages.push(p);
    byId.set(s.id, p);
  }
  store.flush();
  return { graph, stages, byId };
}

/** `fbw plan` lines: one per stage. */
export function formatPlan(plan: Plan): string[] {
  const w = Math.max(...plan.stages.map((p) => p.stage.id.length), 5);
  const lines = plan.stages.map((p) => {
    const st = p.status === 'resumable' ? `resumable from step ${p.fromStep}` : p.status === 'run' ? 'to run' : p.status;
    return `${p.stage.id.padEnd(w)}  ${st.padEnd(24)}  ${p.reason}`;
  });
  const n = (s: PlanStatus) => plan.stages.filter((p) => p.status === s).length;
  lines.push(`${plan.stages.length} stages: ${n('cached')} cached, ${n('resumable')} resumable, ${n('run')} to run${n('blocked') ? `, ${n('blocked')} blocked` : ''}`);
  return lines;
}
