// Small helpers the ML stage runners share: find an input folder by role, read typed params.
import type { Stage } from '../compile/ir.js';
import { ResolvedParamsDefect } from '../registry/methods/resolve.js';
import type { StageContext } from './contract.js';
import { dataRefOf, type DataRef } from '../ml/data/types.js';

/** A stage was compiled without an input it needs (a compiler bug, reported clearly). */
export class MissingStageInput extends Error {
  constructor(readonly stageId: string, readonly role: string) {
    super(`stage '${stageId}' has no input with role '${role}'`);
    this.name = 'MissingStageInput';
  }
}

/** Committed folders of the inputs with `role`, in input order. */
export function inputsWithRole(ctx: StageContext, role: string): { dir: string; stage: string; task?: string }[] {
  return ctx.stage.inputs.filter((i) => i.role === role).map((i) => {
    const dir = ctx.inputs[i.stage];
    if (!dir) throw new MissingStageInput(ctx.stage.id, `${role} (input stage '${i.stage}' not provided)`);
    return { dir, stage: i.stage, ...(i.task ? { task: i.task } : {}) };
  });
}

/** The one committed folder of the input with `role`. */
export function inputWithRole(ctx: StageContext, role: string): string {
  const all = inputsWithRole(ctx, role);
  if (!all.length) throw new MissingStageInput(ctx.stage.id, role);
  return all[0]!.dir;
}

/**
 * What the data layer loads for one of the stage's tasks: the declared data set
 * (`dataset words = imagefolder("data/words")`, path already absolute) under its workflow name, or
 * the built-in name. Every stage that reads data goes through this, so declared sets work everywhere.
 */
export function taskData(ctx: StageContext, task: string): DataRef {
  return dataRefOf(task, ctx.stage.datasets?.[task]);
}

/**
 * A stage setting outside the method catalogue that may be absent (max_eval_examples, an eval's
 * max_examples and batch_size: quick runs and tests set them): a positive integer, or undefined.
 * Present with another type is a defect, never read as "absent".
 */
export function optionalCount(stage: Stage, k: string): number | undefined {
  const v = stage.params[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ResolvedParamsDefect(stage.method, `parameter '${k}' must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

/** A string setting the compiler always puts into the stage (an eval's row): missing or of another type is a defect. */
export function requiredString(stage: Stage, k: string): string {
  const v = stage.params[k];
  if (typeof v !== 'string') throw new ResolvedParamsDefect(stage.method, `parameter '${k}' must be a string (got ${JSON.stringify(v) ?? 'nothing'})`);
  return v;
}

/** Calls `f` at most every `ms` milliseconds (and always when `force`). */
export function throttle<A>(ms: number, f: (a: A) => void): (a: A, force?: boolean) => void {
  let last = 0;
  return (a, force) => {
    const now = Date.now();
    if (force || now - last >= ms) { last = now; f(a); }
  };
}
