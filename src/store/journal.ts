// The append-only journal of a run: one RunEvent per line, written with a synchronous write per
// event so that whatever happened before a kill -9 is on disk. Also the run's graph.json.
import { openSync, writeSync, closeSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RunEvent } from '../protocol/events.js';
import type { Graph } from '../compile/ir.js';
import type { Store } from './Store.js';
import { writeFileAtomicSync } from '../util/writeFileAtomic.js';
import { jsonFormat, PersistedFileInvalid } from '../util/jsonFormat.js';
import { GRAPH_SCHEMA } from '../compile/graphFormat.js';

/** A run id that sorts by start time: YYYYMMDD-HHMMSS-xxxx (UTC). */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  // the 4 hex digits are the millisecond (high 10 bits) and 6 random bits, so ids of two runs
  // started within one second still sort by start time (`fbw runs`, `last`)
  const tail = ((now.getUTCMilliseconds() << 6) | (randomBytes(1)[0]! & 0x3f)).toString(16).padStart(4, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}-${tail}`;
}

/**
 * Appends events to runs/<id>/journal.jsonl, one synchronous write per event. `cached` and
 * `queued` events (bursts of thousands at the start of a run, recording no change to the store)
 * are written together with the next event instead, so a large cached run costs a few writes.
 */
export class Journal {
  private fd: number | undefined;
  private pending = '';
  private unwritten: Buffer = Buffer.alloc(0);
  readonly path: string;
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    this.path = join(dir, 'journal.jsonl');
    this.fd = openSync(this.path, 'a');
  }
  append(e: RunEvent): void {
    if (this.fd === undefined) return;
    this.pending += JSON.stringify(e) + '\n';
    if ((e.event === 'cached' || e.event === 'queued') && this.pending.length < 1 << 18) return;
    this.flush();
  }
  /**
   * Write what is pending. A short write (a disk filling up) keeps the unwritten bytes pending, so
   * a later flush completes the line; the error (ENOSPC, ...) reaches the caller.
   */
  flush(): void {
    if (this.fd === undefined || (!this.pending && this.unwritten.length === 0)) return;
    let buf = this.pending ? Buffer.concat([this.unwritten, Buffer.from(this.pending)]) : this.unwritten;
    this.pending = '';
    try {
      while (buf.length > 0) buf = buf.subarray(writeSync(this.fd, buf));
    } finally {
      this.unwritten = buf;
    }
  }
  /** Flush and close; the file is closed even when the last flush fails. */
  close(): void {
    try { this.flush(); } finally {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/** A journal line that is not a RunEvent (e.g. cut short by a crash mid-write). */
export class JournalLineInvalid extends Error {
  constructor(readonly path: string, readonly line: number, reason: string) {
    super(`${path}:${line}: ${reason}`);
    this.name = 'JournalLineInvalid';
  }
}

const EVENTS = ['run', 'queued', 'cached', 'started', 'job', 'resumed', 'progress', 'checkpointed', 'committed', 'retried', 'failed', 'skipped', 'interrupted', 'finished'] as const;

/** One journal line: the envelope every RunEvent has (the UI reads the rest by event name). */
const journalLine = jsonFormat<RunEvent>('run event', {
  type: 'object', required: ['t', 'run', 'event'],
  properties: { t: { type: 'number' }, run: { type: 'string' }, event: { enum: [...EVENTS] }, stage: { type: 'string' } },
});

/** Parse a journal. A torn last line (crash mid-append) is dropped; any other bad line throws. */
export function readJournal(path: string): RunEvent[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const out: RunEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l) continue;
    let v: unknown;
    try { v = JSON.parse(l); } catch {
      if (i >= lines.length - 2) break; // torn final line
      throw new JournalLineInvalid(path, i + 1, 'not JSON');
    }
    try { out.push(journalLine.check(v, `${path}:${i + 1}`)); } catch (e) {
      if (!(e instanceof PersistedFileInvalid)) throw e;
      throw new JournalLineInvalid(path, i + 1, `not a run event: ${e.reason}`);
    }
  }
  return out;
}

/** Everything a run records beside its journal, so `fbw replay` can re-run it later. */
export interface RunRecord {
  readonly graph: Graph;
  /** stage id -> key at the time of the run */
  readonly keys: { readonly [stage: string]: string };
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly devices: readonly string[];
  /** set when this run is `fbw replay` of another run: that run's id */
  readonly replayOf?: string;
}

/** runs/<id>/graph.json; records written before the format tag existed are read as well. */
const runRecordFormat = jsonFormat<RunRecord>('run record', {
  type: 'object', required: ['graph', 'keys', 'argv', 'cwd', 'devices'],
  properties: {
    format: { const: 'fbw-run-record-v1' },
    graph: GRAPH_SCHEMA,
    keys: { type: 'object', additionalProperties: { type: 'string' } },
    argv: { type: 'array', items: { type: 'string' } },
    cwd: { type: 'string' },
    devices: { type: 'array', items: { type: 'string' } },
    replayOf: { type: 'string' },
  },
});

export function writeRunRecord(store: Store, runId: string, rec: RunRecord): void {
  writeFileAtomicSync(join(store.runDir(runId), 'graph.json'), JSON.stringify({ format: 'fbw-run-record-v1', ...rec }), { mkdir: true });
}

/** The run record `fbw replay` re-runs; PersistedFileInvalid when it is damaged. */
export function readRunRecord(store: Store, runId: string): RunRecord {
  return readRunRecordFile(join(store.runDir(runId), 'graph.json'));
}

/** A run record by its path (runs/<id>/graph.json), for readers that have a store folder, not a Store. */
export function readRunRecordFile(path: string): RunRecord {
  return runRecordFormat.read(path);
}
