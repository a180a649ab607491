// Plain, greppable lines for pipes and CI: one line per event that matters, no cursor
// movement, progress at most every 10 % or 10 s per stage so logs stay readable.

import type { RunEvent } from '../protocol/events.js';
import { clock, formatDuration, formatLoss, formatPercent, formatRate } from './format.js';
import { etaSeconds, initialRunState, jobLabel, reduceRun, type RunState } from './reduceRun.js';

/** Minimum spacing of progress lines for one stage. */
export const PLAIN_PROGRESS_SECONDS = 10;

const RED = '\u001b[31m', GREEN = '\u001b[32m', YELLOW = '\u001b[33m', BLUE = '\u001b[34m', CYAN = '\u001b[36m', RESET = '\u001b[0m';

function value(v: string): string {
  return v === '' || /[\s"=]/.test(v) ? JSON.stringify(v) : v;
}

function kv(pairs: readonly (readonly [string, string | number | undefined])[]): string {
  return pairs.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${value(String(v))}`).join(' ');
}

/** Turns events into plain lines; keeps a RunState for ETAs and per-stage throttling. */
export class PlainLines {
  private state: RunState = initialRunState;
  private readonly lastProgress = new Map<string, { t: number; decile: number }>();
  constructor(private readonly color: boolean) {}

  /** The lines (without trailing newline) this event produces; often none. */
  lines(e: RunEvent): string[] {
    this.state = reduceRun(this.state, e);
    const at = clock(e.t);
    const line = (name: string, paint: string, rest: string): string => {
      const label = name.padEnd(10);
      return `${at} ${this.color && paint ? paint + label + RESET : label} ${rest}`.trimEnd();
    };
    switch (e.event) {
      case 'run':
        return [line('run', CYAN, `${e.run} ${kv([['file', e.file], ['store', e.store], ['devices', e.devices.join(',')], ['backend', e.backend], ['stages', e.stages.length]])}`)];
      case 'queued':
        return [];
      case 'cached':
        return [line('cached', BLUE, `${e.stage} ${kv([['key', e.key.slice(0, 12)]])}`)];
      case 'started':
        this.lastProgress.delete(e.stage);
        return [line('started', CYAN, `${e.stage} ${kv([['device', e.device], ['job', e.job ? jobLabel(e.job) : undefined], ['attempt', e.attempt], ['log', e.log]])}`)];
      case 'job':
        // submissions, re-attachments, node and exit code; the poller's repeats of a state never reach the journal
        return [line('job', '', `${e.stage} ${kv([['job', jobLabel({ system: e.system, id: e.job, ...(e.node ? { node: e.node } : {}) })], ['action', e.action === 'state' ? undefined : e.action], ['state', e.state], ['exit', e.exitCode], ['reason', e.reason]])}`)];
      case 'resumed':
        this.lastProgress.delete(e.stage);
        return [line('resumed', YELLOW, `${e.stage} ${kv([['from_step', e.fromStep]])}`)];
      case 'progress': {
        const decile = e.total > 0 ? Math.floor((e.step / e.total) * 10) : 0;
        const last = this.lastProgress.get(e.stage);
        if (last !== undefined && decile <= last.decile && e.t - last.t < PLAIN_PROGRESS_SECONDS * 1000) return [];
        this.lastProgress.set(e.stage, { t: e.t, decile });
        const s = this.state.stages[e.stage];
        const eta = s ? etaSeconds(s) : undefined;
        const pct = e.total > 0 ? `(${Math.floor((e.step / e.total) * 100)}%)` : '';
        return [line('progress', '', `${e.stage} step=${e.step}/${e.total} ${pct} ${kv([['phase', e.phase], ['loss', formatLoss(e.loss)], ['acc', formatPercent(e.accuracy)], ['img/s', formatRate(e.throughput)], ['eta', eta !== undefined ? formatDuration(eta) : undefined]])}`)];
      }
      case 'checkpointed':
        return [line('checkpoint', '', `${e.stage} ${kv([['step', e.step]])}`)];
      case 'committed': {
        const metrics = Object.entries(e.metrics ?? {}).map(([k, v]) => [k, Number.isInteger(v) ? v : Number(v.toPrecision(6))] as const);
        return [line('done', GREEN, `${e.stage} ${kv([['seconds', Number(e.seconds.toFixed(2))], ...metrics])}`)];
      }
      case 'retried':
        return [line('retry', YELLOW, `${e.stage} ${kv([['attempt', e.attempt], ['in', formatDuration(e.delayMs / 1000)], ['reason', e.reason]])}`)];
      case 'failed':
        return [
          line('failed', RED, `${e.stage} ${kv([['error', e.error]])}`),
          `  log: ${e.log}`,
          ...e.logTail.map((l) => `  | ${l}`),
          `  replay: ${e.replay}`,
        ];
      case 'skipped':
        return [line('skipped', YELLOW, `${e.stage} ${kv([['because', e.because]])}`)];
      case 'interrupted':
        return [line('interrupt', YELLOW, e.stage ?? 'run')];
      case 'finished': {
        const paint = e.status === 'ok' ? GREEN : e.status === 'failed' ? RED : YELLOW;
        return [line('finished', paint, `${e.status} ${kv([['seconds', Number(e.seconds.toFixed(2))], ['done', e.counts.done], ['cached', e.counts.cached], ['failed', e.counts.failed], ['skipped', e.counts.skipped], ['report', e.report]])}`)];
      }
      default: {
        const never: never = e;
        return never;
      }
    }
  }
}
