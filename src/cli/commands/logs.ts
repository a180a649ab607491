// `fbw logs RUN STAGE [-f]`: a stage's log from a past or running run; -f follows it until
// the stage finishes (like `tail -f`, but it knows when to stop).

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Command, CommandIO } from '../command.js';
import { computingRun, findStore, loadRun, resolveStage, RunNotFound, stageLogPath, type PastRun } from '../../ui/pastRun.js';
import { parseArgs, UsageError } from '../parseArgs.js';
import { isTerminal } from '../../ui/reduceRun.js';
import { JournalLineInvalid } from '../../store/journal.js';

const HELP = `Usage: fbw logs RUN STAGE [-f | --follow] [--store DIR]

Print the log of one stage of a run (what the stage wrote: training steps, losses,
checkpoints, errors). With -f, keep printing new lines as the stage writes them and stop
when the stage is done, cached, failed or skipped, or the run ends.

RUN is a run id, a unique prefix or suffix of one, or 'last'. STAGE is a stage id as shown
by \`fbw show RUN\` (e.g. finetune.lora.sun397), or a part of one: when several stages
match, the one running now is chosen, else the matching ids are listed. For a stage that
was cached in RUN, the log of the earlier run that computed it is shown. Training stages
log one line per logging interval: step, loss, accuracy, learning rate.

Options:
  -f, --follow   follow the log until the stage finishes
  --store DIR    the store the run used (default: the one the last fbw run from this folder
                 used, else the nearest .fbw/ here or in a parent)

Examples:
  fbw logs last finetune.lora.mnist
  fbw logs last mnist -f          # during a run: follows the running stage whose id has 'mnist'
  fbw logs 20261125-152000-a1b2 merge.ties --store /scratch/fbw

Exit codes: 0 printed, 1 no such run/stage or no log yet, 2 usage error, 130 interrupted.
`;

/** Poll interval of --follow. */
const FOLLOW_MS = 200;

function readFrom(file: string, offset: number): { text: string; offset: number } {
  const size = statSync(file).size;
  if (size < offset) offset = 0; // truncated or replaced: start over
  if (size === offset) return { text: '', offset };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return { text: buf.subarray(0, n).toString('utf8'), offset: offset + n };
  } finally {
    closeSync(fd);
  }
}

function stageOver(run: PastRun, stage: string): boolean {
  const s = run.state.stages[stage];
  return run.state.finished !== undefined || (s !== undefined && isTerminal(s.status));
}

async function follow(io: CommandIO, store: string, runId: string, stage: string): Promise<number> {
  let offset = 0;
  let stopped = false;
  const onSigint = (): void => { stopped = true; };
  process.once('SIGINT', onSigint);
  try {
    for (;;) {
      const run = loadRun(store, runId);
      const file = stageLogPath(run, stage);
      // read the journal first: a stage seen finished has flushed its last log line already
      const over = stageOver(run, stage);
      if (existsSync(file)) {
        const r = readFrom(file, offset);
        if (r.text) io.stdout.write(r.text);
        offset = r.offset;
      }
      if (over) return 0;
      if (stopped) return 130;
      await new Promise((res) => setTimeout(res, FOLLOW_MS));
      if (stopped) return 130;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * The stage STAGE names: an exact id or a unique part of one; of several matches, the one
 * running now (said on stderr); otherwise every match is listed to pick from.
 */
function pickStage(run: PastRun, arg: string, io: CommandIO): string {
  const ids = run.state.order;
  if (ids.includes(arg)) return arg;
  const matches = ids.filter((id) => id.includes(arg));
  if (matches.length <= 1) return resolveStage(run, arg);
  const running = matches.filter((id) => { const st = run.state.stages[id]?.status; return st === 'running' || st === 'retrying'; });
  if (running.length === 1) {
    io.stderr.write(`fbw logs: '${arg}' matches ${matches.length} stages; showing the running one, ${running[0]}\n`);
    return running[0]!;
  }
  const list = (running.length > 1 ? running : matches).map((id) => `  ${id}  (${run.state.stages[id]?.status ?? '?'})`).join('\n');
  throw new RunNotFound(`'${arg}' matches ${matches.length} stages of run ${run.id}${running.length > 1 ? `, ${running.length} of them running` : ''}; name one:\n${list}`);
}

/** `fbw logs`. */
export const logs: Command = {
  name: 'logs',
  summary: "print (or follow with -f) one stage's log from a run",
  help: HELP,
  flags: ['follow', 'store', 'help'],
  async run(args: readonly string[], io: CommandIO): Promise<number> {
    try {
      const a = parseArgs(args, ['store'], ['follow'], { f: 'follow' });
      if (a.positional.length === 0) throw new UsageError('missing RUN and STAGE');
      const store = findStore(io.cwd, a.values['store'], io.env);
      const run = loadRun(store, a.positional[0]!);
      if (a.positional.length === 1) {
        throw new UsageError(`missing STAGE; stages of run ${run.id}:\n${run.state.order.map((id) => `  ${id}`).join('\n')}`);
      }
      if (a.positional.length > 2) throw new UsageError(`expected RUN STAGE, got ${a.positional.length} arguments`);
      const stage = pickStage(run, a.positional[1]!, io);
      if (a.bools.has('follow')) return await follow(io, store, run.id, stage);
      const s = run.state.stages[stage]!;
      if (s.status === 'cached') {
        // the log of a cache hit is the log of the run that computed it
        const origin = computingRun(run, stage);
        if (origin && existsSync(stageLogPath(origin, stage))) {
          io.stderr.write(`fbw logs: ${stage} was cached in run ${run.id}; this is its log from run ${origin.id}, which computed it\n`);
          io.stdout.write(readFrom(stageLogPath(origin, stage), 0).text);
          return 0;
        }
      }
      const file = stageLogPath(run, stage);
      if (!existsSync(file)) {
        const why = s.status === 'cached' ? 'it was cached in this run, and no earlier run in this store computed it (fbw gc may have removed that run)' : s.status === 'skipped' || s.status === 'pending' || s.status === 'queued' ? `it never started (${s.status})` : 'no log file was written';
        throw new RunNotFound(`no log for ${stage} in run ${run.id}: ${why}`);
      }
      io.stdout.write(readFrom(file, 0).text);
      return 0;
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr.write(`fbw logs: ${err.message}\nRun 'fbw logs --help' for usage.\n`);
        return 2;
      }
      if (err instanceof RunNotFound || err instanceof JournalLineInvalid) {
        io.stderr.write(`fbw logs: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
