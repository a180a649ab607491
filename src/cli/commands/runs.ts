// `fbw runs`: the runs of a store, newest last: status, start, duration, stages run / cached / failed.
import { parseArgs } from 'node:util';
import { resolve, join, dirname } from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from '../command.js';
import { Store } from '../../store/Store.js';
import { summarizeRun } from '../../store/runSummary.js';

/** The store a command without a workflow argument means: --store, FILE's, or ./.fbw. */
export function storeFor(cwd: string, store: string | undefined, file: string | undefined): string {
  if (store) return resolve(cwd, store);
  if (file) return join(dirname(resolve(cwd, file)), '.fbw');
  return resolve(cwd, '.fbw');
}

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

Lists the runs recorded in the store (the one beside FILE, or --store, or ./.fbw), oldest first.

Options:
  --store DIR   the store
  --last N      only the N most recent runs
  --json        one JSON object per run

Example:
  fbw runs workflows/quickstart.fbw --last 5
`,
  flags: ['store', 'json', 'last'],
  async run(args, io) {
    let v;
    try { v = parseArgs({ args: [...args], allowPositionals: true, options: { store: { type: 'string' }, json: { type: 'boolean' }, last: { type: 'string' } } }); } catch (e) {
      io.stderr.write(`fbw runs: ${(e as Error).message}\n`); return 2;
    }
    const dir = storeFor(io.cwd, v.values.store, v.positionals[0]);
    if (!existsSync(dir)) { io.stderr.write(`fbw runs: no store at ${dir} (run a workflow first, or pass --store)\n`); return 1; }
    const store = new Store(dir);
    let ids = store.listRuns();
    if (v.values.last) ids = ids.slice(-Math.max(0, Number(v.values.last)));
    const rows = ids.map((id) => summarizeRun(store, id));
    if (v.values.json) { for (const r of rows) io.stdout.write(JSON.stringify(r) + '\n'); return 0; }
    if (!rows.length) { io.stdout.write(`no runs in ${dir}\n`); return 0; }
    const header = ['RUN', 'STATUS', 'START (UTC)', 'DURATION', 'RAN', 'CACHED', 'FAILED', 'WORKFLOW'];
    const table = rows.map((r) => [r.run, r.status, r.start ? new Date(r.start).toISOString().replace('T', ' ').slice(0, 19) : '-', fmtDuration(r.seconds), String(r.ran), String(r.cached), String(r.failed), r.file ?? '']);
    const w = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    for (const row of [header, ...table]) io.stdout.write(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd() + '\n');
    return 0;
  },
};
