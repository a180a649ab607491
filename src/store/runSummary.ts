// A past run in one line's worth of facts, from its journal: for `fbw runs`, replay and gc.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Store } from './Store.js';
import { readJournal } from './journal.js';
import { readLock } from './lock.js';

export interface RunSummary {
  readonly run: string;
  readonly file?: string;
  /** ok / failed / interrupted from the finished event; 'running' while its lock is held; 'crashed' otherwise */
  readonly status: 'ok' | 'failed' | 'interrupted' | 'running' | 'crashed';
  readonly start: number;
  readonly seconds?: number;
  readonly ran: number;
  readonly cached: number;
  readonly failed: number;
  readonly skipped: number;
  readonly failedStages: readonly string[];
  readonly report?: string;
}

/** Summarise one run of the store. */
export function summarizeRun(store: Store, run: string): RunSummary {
  const path = join(store.runDir(run), 'journal.jsonl');
  const evs = existsSync(path) ? readJournal(path) : [];
  let file: string | undefined;
  let start = 0, ran = 0, cached = 0, failed = 0, skipped = 0, last = 0;
  const failedStages: string[] = [];
  let status: RunSummary['status'] | undefined;
  let seconds: number | undefined;
  let report: string | undefined;
  for (const e of evs) {
    last = e.t;
    switch (e.event) {
      case 'run': start = e.t; file = e.file; break;
      case 'committed': ran++; break;
      case 'cached': cached++; break;
      case 'failed': failed++; failedStages.push(e.stage); break;
      case 'skipped': skipped++; break;
      case 'finished': status = e.status; seconds = e.seconds; report = e.report; break;
      case 'queued': case 'started': case 'job': case 'resumed': case 'progress': case 'checkpointed': case 'retried': case 'interrupted': break;
    }
  }
  if (!status) {
    const lock = readLock(store.lockFile);
    status = lock?.run === run ? 'running' : 'crashed';
    if (start) seconds = (last - start) / 1000;
  }
  return { run, ...(file ? { file } : {}), status, start, ...(seconds !== undefined ? { seconds } : {}), ran, cached, failed, skipped, failedStages, ...(report ? { report } : {}) };
}
