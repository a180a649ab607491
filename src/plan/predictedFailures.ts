// Failures a plan already knows about (a model or data folder that is missing, an unreadable
// model file): `fbw plan` exits 1 on them and `fbw run` refuses to start any stage.
import type { Plan } from './planRun.js';

export interface PredictedFailure {
  readonly stage: string;
  /** the reason in one line (the planner's message may list the places it looked) */
  readonly error: string;
}

/** The stages that would fail on their own (not the ones blocked behind them), one line each. */
export function predictedFailures(plan: Plan): PredictedFailure[] {
  return plan.stages
    .filter((s) => s.error !== undefined && s.status !== 'blocked')
    .map((s) => ({ stage: s.stage.id, error: oneLine(s.error!) }));
}

/** "looked in:\n  - a\n  - b\nhint" -> "looked in: a, b; hint" */
function oneLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim().replace(/^- /, '')).filter(Boolean);
  let out = '';
  let list = false;
  for (const l of lines) {
    if (!out) out = l;
    else if (out.endsWith(':')) { out += ` ${l}`; list = true; }
    else if (list && l.startsWith('/')) out += `, ${l}`;
    else { out = `${out.replace(/\.$/, '')}; ${l}`; list = false; }
  }
  return out;
}
