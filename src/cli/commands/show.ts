// `fbw show RUN`: what a past run did — status, per-stage timings and outcomes, failures
// with their replay command, and the run's report table.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command, CommandIO } from '../command.js';
import { findStore, loadRun, replayOf, reportDir, RunNotFound, type PastRun } from '../../ui/pastRun.js';
import { parseArgs, UsageError } from '../parseArgs.js';
import { countStages, type StageState } from '../../ui/reduceRun.js';
import { statusSymbol } from '../../ui/stageRow.js';
import { fit, formatDuration, formatPercent } from '../../ui/format.js';
import { JournalLineInvalid } from '../../store/journal.js';
import { storeFlag } from '../../store/locateStore.js';

const HELP = `Usage: fbw show RUN [--store DIR] [--json]

Show a past run: its status and duration, every stage with its outcome (done, cached,
failed, skipped), device, attempts and wall time, the error and replay command of failed
stages, and the run's report (the Markdown table of accuracy per task and method).

RUN is a run id (from \`fbw runs\`), a unique prefix or suffix of one, or 'last' (the latest
run that is not a replay).

Options:
  --store DIR   the store the run used (default: the one the last fbw run from this folder
                used, else the nearest .fbw/ here or in a parent)
  --json        print a JSON summary instead: {run, status, seconds, counts, stages[], report}

Examples:
  fbw show last
  fbw show 20261125-152000-a1b2
  fbw show a1b2 --json | jq '.stages[] | select(.status == "failed")'

Exit codes: 0 shown, 1 no such store/run or unreadable journal, 2 usage error.
`;

function stageSeconds(s: StageState): number | undefined {
  if (s.seconds !== undefined) return s.seconds;
  if (s.startedAt !== undefined && s.endedAt !== undefined) return (s.endedAt - s.startedAt) / 1000;
  return undefined;
}

/** The text `fbw show` prints for a run (exported for tests). */
export function showText(run: PastRun, hint: { readonly cwd: string; readonly env: NodeJS.ProcessEnv } = { cwd: process.cwd(), env: process.env }): string {
  const st = run.state;
  const out: string[] = [];
  const status = st.finished ? `${st.finished.status} in ${formatDuration(st.finished.seconds)}` : st.interrupted ? 'interrupted' : 'unfinished (no finished event: still running, or killed)';
  const of = replayOf(run.store, run.id);
  out.push(`run ${run.id}${of ? ` (replay of ${of})` : ''}  ${status}`);
  const started = st.startedAt !== undefined ? new Date(st.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '?';
  out.push(`workflow ${st.file ?? '?'} · started ${started} · devices ${st.devices.join(',') || '?'} · backend ${st.backend ?? '?'}`);
  const c = countStages(st);
  out.push(`${c.done} done, ${c.cached} cached, ${c.failed} failed, ${c.skipped} skipped${c.running + c.queued + c.interrupted > 0 ? `, ${c.running + c.queued + c.interrupted} not finished` : ''} of ${c.total} stages`);
  out.push('');
  const w = Math.max(5, ...st.order.map((id) => id.length));
  const kindW = Math.max(4, ...st.order.map((id) => st.stages[id]!.kind.length));
  const taskW = Math.max(4, ...st.order.map((id) => (st.stages[id]!.task ?? '').length));
  out.push(`  ${fit('stage', w)}  ${fit('kind', kindW)}  ${fit('task', taskW)}  ${fit('device', 6)}  ${fit('status', 11)}  ${fit('time', 7, 'right')}  ${fit('acc', 6, 'right')}  attempts`);
  for (const id of st.order) {
    const s = st.stages[id]!;
    const secs = stageSeconds(s);
    const acc = s.metrics?.['accuracy'];
    const statusText = s.status === 'done' && s.resumedFrom !== undefined ? `done (resumed from step ${s.resumedFrom})` : s.status;
    out.push(`${statusSymbol(s.status).text} ${fit(id, w)}  ${fit(s.kind, kindW)}  ${fit(s.task ?? '', taskW)}  ${fit(s.device ?? '', 6)}  ${fit(statusText, 11)}  ${fit(secs !== undefined ? formatDuration(secs) : '', 7, 'right')}  ${fit(acc !== undefined ? formatPercent(acc) : '', 6, 'right')}  ${s.attempt ?? ''}`.trimEnd());
    if (s.status === 'failed') {
      if (s.error) out.push(`    error  ${s.error}`);
      if (s.log) out.push(`    log    ${s.log}`);
      if (s.replay) out.push(`    replay ${s.replay}`);
    }
    if (s.status === 'skipped' && s.skippedBecause) out.push(`    because ${s.skippedBecause}`);
  }
  const timed = st.order.map((id) => st.stages[id]!).filter((s) => s.status === 'done');
  const total = timed.reduce((a, s) => a + (stageSeconds(s) ?? 0), 0);
  if (timed.length > 0) out.push('', `stage time ${formatDuration(total)} over ${timed.length} executed stages${st.finished ? `, wall ${formatDuration(st.finished.seconds)}` : ''}`);
  out.push('');
  const dir = reportDir(run);
  const md = dir ? path.join(dir, 'report.md') : undefined;
  if (md && existsSync(md)) {
    out.push(`Report (${md}; HTML: fbw open ${run.id}${storeFlag(run.store, hint.cwd, hint.env)})`, '', readFileSync(md, 'utf8').trimEnd());
  } else {
    out.push('No report: the run did not commit a report stage.');
  }
  return out.join('\n') + '\n';
}

function showJson(run: PastRun): string {
  const st = run.state;
  const dir = reportDir(run);
  return JSON.stringify({
    run: run.id,
    file: st.file ?? null,
    status: st.finished?.status ?? (st.interrupted ? 'interrupted' : 'unfinished'),
    seconds: st.finished?.seconds ?? null,
    counts: countStages(st),
    stages: st.order.map((id) => {
      const s = st.stages[id]!;
      return { id, kind: s.kind, task: s.task ?? null, status: s.status, device: s.device ?? null, attempts: s.attempt ?? null, seconds: stageSeconds(s) ?? null, resumedFrom: s.resumedFrom ?? null, metrics: s.metrics ?? null, error: s.error ?? null, replay: s.replay ?? null };
    }),
    report: dir ? { dir, json: path.join(dir, 'report.json'), html: path.join(dir, 'report.html') } : null,
  }, null, 2) + '\n';
}

/** `fbw show`. */
export const show: Command = {
  name: 'show',
  summary: 'show a past run: per-stage outcomes and timings, and its report',
  help: HELP,
  flags: ['store', 'json', 'help'],
  async run(args: readonly string[], io: CommandIO): Promise<number> {
    try {
      const a = parseArgs(args, ['store'], ['json']);
      if (a.positional.length !== 1) throw new UsageError(a.positional.length === 0 ? 'missing RUN (a run id, a unique prefix of one, or "last")' : `expected one RUN, got ${a.positional.length}`);
      const run = loadRun(findStore(io.cwd, a.values['store'], io.env), a.positional[0]!, { skipReplays: true });
      io.stdout.write(a.bools.has('json') ? showJson(run) : showText(run, io));
      return 0;
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr.write(`fbw show: ${err.message}\nRun 'fbw show --help' for usage.\n`);
        return 2;
      }
      if (err instanceof RunNotFound || err instanceof JournalLineInvalid) {
        io.stderr.write(`fbw show: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
