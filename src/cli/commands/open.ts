// `fbw open RUN`: the path of a run's HTML report, to open in a browser (it works offline).

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command, CommandIO } from '../command.js';
import { findStore, loadRun, reportDir, RunNotFound } from '../../ui/pastRun.js';
import { parseArgs, UsageError } from '../parseArgs.js';
import { JournalLineInvalid } from '../../store/journal.js';
import { storeFlag } from '../../store/locateStore.js';

const HELP = `Usage: fbw open RUN [--store DIR] [--format html|md|csv|json]

Print the path of a run's report file (HTML by default: one self-contained page with the
accuracy table, per-task accuracy bars per method and the fine-tuning loss curves; it
needs no network). Open it with your browser, e.g. \`xdg-open "$(fbw open last)"\`.

RUN is a run id, a unique prefix or suffix of one, or 'last' (the latest run that is not a
replay).

Options:
  --store DIR        the store the run used (default: the one the last fbw run from this
                     folder used, else the nearest .fbw/ here or in a parent)
  --format FORMAT    which report file: html (default), md, csv or json

Examples:
  fbw open last
  xdg-open "$(fbw open last)"
  fbw open a1b2 --format csv

Exit codes: 0 printed, 1 no such run or the run has no report, 2 usage error.
`;

const FORMATS = ['html', 'md', 'csv', 'json'] as const;

/** `fbw open`. */
export const open: Command = {
  name: 'open',
  summary: "print the path of a run's HTML report",
  help: HELP,
  flags: ['store', 'format', 'help'],
  async run(args: readonly string[], io: CommandIO): Promise<number> {
    try {
      const a = parseArgs(args, ['store', 'format'], []);
      if (a.positional.length !== 1) throw new UsageError(a.positional.length === 0 ? 'missing RUN (a run id, a unique prefix of one, or "last")' : `expected one RUN, got ${a.positional.length}`);
      const format = a.values['format'] ?? 'html';
      if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown format '${format}' (one of ${FORMATS.join(', ')})`);
      const run = loadRun(findStore(io.cwd, a.values['store'], io.env), a.positional[0]!, { skipReplays: true });
      const dir = reportDir(run);
      const file = dir ? path.join(dir, `report.${format}`) : undefined;
      if (!file || !existsSync(file)) {
        const why = run.state.finished ? `it finished ${run.state.finished.status} without committing a report stage` : 'it has not finished';
        throw new RunNotFound(`run ${run.id} has no ${format} report: ${why}${run.state.finished?.status === 'failed' ? ` (\`fbw show ${run.id}${storeFlag(run.store, io.cwd, io.env)}\` shows what failed)` : ''}`);
      }
      io.stdout.write(path.resolve(file) + '\n');
      return 0;
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr.write(`fbw open: ${err.message}\nRun 'fbw open --help' for usage.\n`);
        return 2;
      }
      if (err instanceof RunNotFound || err instanceof JournalLineInvalid) {
        io.stderr.write(`fbw open: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
