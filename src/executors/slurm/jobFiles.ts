// The files a SLURM job leaves in the store, each read through one schema: the job record
// (<store>/slurm/jobs/<key>.json, what a later head re-attaches to), the worker's events.jsonl,
// the exit code the job script writes, and the shared-store proof cache. A damaged or foreign
// file is a PersistedFileInvalid naming it, never a cast that fails later.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fromWorkerFormat, type FromWorker } from '../../protocol/stageJob.js';
import { jsonFormat, PersistedFileInvalid } from '../../util/jsonFormat.js';
import { writeFileAtomicSync } from '../../util/writeFileAtomic.js';
import type { SharedStoreCheck } from './sharedStore.js';
import { join } from 'node:path';

/** What the store remembers about the last job submitted for a stage key. */
export interface SlurmJobRecord {
  readonly format: 'fbw-slurm-record-v1';
  readonly key: string;
  readonly stage: string;
  readonly run: string;
  readonly jobName: string;
  /** absent only between writing the record and sbatch answering */
  readonly jobId?: string;
  /** the job's folder: job.json, job.sh, events.jsonl, exit */
  readonly dir: string;
  /** where that job writes its output */
  readonly outDir: string;
  readonly logFile: string;
  readonly submitted: number;
}

/** <store>/slurm/<key>.json: read by the executor (re-attach) and by gc. */
export const slurmRecordFormat = jsonFormat<SlurmJobRecord>('SLURM job record', {
  type: 'object', required: ['format', 'key', 'stage', 'run', 'jobName', 'dir', 'outDir', 'logFile', 'submitted'],
  properties: {
    format: { const: 'fbw-slurm-record-v1' }, key: { type: 'string' }, stage: { type: 'string' }, run: { type: 'string' },
    jobName: { type: 'string' }, jobId: { type: 'string' }, dir: { type: 'string' }, outDir: { type: 'string' }, logFile: { type: 'string' }, submitted: { type: 'number' },
  },
});

/** What the job script writes to <job dir>/exit when the worker ends: its exit code. */
const exitCodeFormat = jsonFormat<number>('job exit code', { type: 'integer' });

/** The worker's exit code, or undefined while the job has not ended (or was killed before writing it). */
export function readExitCode(jobDir: string): number | undefined {
  try { return exitCodeFormat.read(join(jobDir, 'exit')); } catch { return undefined; }
}

/** <store>/slurm/shared.json: the last shared-store proof and when it was made (ms since epoch). */
const storeCheckCacheFormat = jsonFormat<SharedStoreCheck & { readonly t: number }>('shared-store check cache', {
  type: 'object', required: ['fsType', 'network', 'node', 'jobId', 't'],
  properties: { fsType: { type: 'string' }, network: { type: 'boolean' }, node: { type: 'string' }, jobId: { type: 'string' }, t: { type: 'number' } },
});

/** The cached proof, or undefined when there is none or it is damaged (the probe job runs again). */
export function readStoreCheckCache(path: string): (SharedStoreCheck & { readonly t: number }) | undefined {
  try { return storeCheckCacheFormat.read(path); } catch { return undefined; }
}

export function writeJsonAtomic(path: string, v: unknown): void {
  writeFileAtomicSync(path, JSON.stringify(v), { mkdir: true });
}

/**
 * Reads the new lines of a job's events.jsonl on each call. A line that is not JSON is torn (a
 * killed job) and skipped; a JSON line that is not a worker message becomes an error message
 * naming the file, so the stage fails with it instead of a TypeError in the watcher.
 */
export class EventsTail {
  private offset = 0;
  private rest = '';
  constructor(readonly path: string) {}
  read(): FromWorker[] {
    let fd: number;
    try { fd = openSync(this.path, 'r'); } catch { return []; }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.rest + buf.toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      return lines.filter((l) => l.trim()).flatMap((l) => this.message(l));
    } finally { closeSync(fd); }
  }

  private message(line: string): FromWorker[] {
    try {
      return [fromWorkerFormat.parse(line, this.path)];
    } catch (e) {
      if (!(e instanceof PersistedFileInvalid) || e.reason.startsWith('not JSON')) return []; // torn line from a killed job
      return [{ type: 'error', error: { name: e.name, message: e.message, transient: false } }];
    }
  }
}
