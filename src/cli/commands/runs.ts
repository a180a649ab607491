// `fbw runs`: the runs of a store, newest last: status, start, duration, stages run / cached / failed.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { Store } from '../../store/Store.js';
import { summarizeRun } from '../../store/runSummary.js';
import { requireStore, StoreNotFound } from '../../store/locateStore.js';
import { replayOf } from '../../ui/pastRun.js';


function fmtDuration(s: number | undefined): string {
  if (s === undefined) return '-';
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const runs: Command = {
  name: 'runs',
  summary: 'list the runs of a store (status, start, duration, stages run/cached/failed)',
  help: `Usage: fbw runs [FILE] [--store DIR] [--json] [--last N]

Lists the runs recorded in the store, oldest first: the store beside FILE, or --store, or
the one the last \`fbw run\` from this folder used, or the nearest .fbw/ here or in a parent.
A replay is listed as "replay of RUN".

Options:
  --store DIR   the store
  --last N      only the N most recent runs (N ≥ 1)
  --json        one JSON object per run

Exit codes: 0 listed, 1 no store found, 2 usage error.

Example:
  fbw runs workflows/quickstart.fbw --last 5
`,
  flags: ['store', 'json', 'last'],
  async run(args, io) {
    let v;
    // --last=-1 would otherwise reach parseArgs' own advice about negative numbers
    const norm = args.flatMap((a, i) => (a === '--last' && args[i + 1] !== undefined ? [`--last=${args[i + 1]}`] : args[i - 1] === '--last' ? [] : [a]));
    try { v = parseArgs({ args: norm, allowPositionals: true, options: { store: { type: 'string' }, json: { type: 'boolean' }, last: { type: 'string' } } }); } catch (e) {
      io.stderr.write(`fbw runs: ${(e as Error).message}\nRun 'fbw runs --help' for usage.\n`); return 2;
    }
    const lastArg = v.values.last;
    if (lastArg !== undefined && (!/^\d+$/.test(lastArg) || Number(lastArg) < 1)) {
      io.stderr.write(`fbw runs: --last expects a whole number of runs, 1 or more; got '${lastArg}'\nRun 'fbw runs --help' for usage.\n`);
      return 2;
    }
    if (v.positionals.length > 1) { io.stderr.write(`fbw runs: expected at most one workflow FILE\nRun 'fbw runs --help' for usage.\n`); return 2; }
    let dir: string;
    try { dir = requireStore({ cwd: io.cwd, env: io.env, store: v.values.store, file: v.positionals[0] }); } catch (e) {
      if (e instanceof StoreNotFound) { io.stderr.write(`fbw runs: ${e.message}\n`); return 1; }
      throw e;
    }
    const store = new Store(dir);
    let ids = store.listRuns();
    if (lastArg !== undefined) ids = ids.slice(-Number(lastArg));
    const rows = ids.map((id) => { const r = summarizeRun(store, id); const of = replayOf(dir, id); return of ? { ...r, replayOf: of } : r; });
    if (v.values.json) { for (const r of rows) io.stdout.write(JSON.stringify(r) + '\n'); return 0; }
    if (!rows.length) { io.stdout.write(`no runs in ${dir}\n`); return 0; }
    const header = ['RUN', 'STATUS', 'START (UTC)', 'DURATION', 'RAN', 'CACHED', 'FAILED', 'WORKFLOW'];
    const table = rows.map((r) => [r.run, r.status, r.start ? new Date(r.start).toISOString().replace('T', ' ').slice(0, 19) : '-', fmtDuration(r.seconds), String(r.ran), String(r.cached), String(r.failed), `${r.file ?? ''}${'replayOf' in r ? ` (replay of ${r.replayOf})` : ''}`]);
    const w = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    for (const row of [header, ...table]) io.stdout.write(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd() + '\n');
    return 0;
  },
};
