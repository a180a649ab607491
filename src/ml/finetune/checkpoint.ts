// Training checkpoints that survive kill -9: each is a folder ckpt-<step> holding
// state.safetensors (trained tensors and Adam moments) and state.json (step, optimizer step,
// RNG states, data order, train log), written under a temporary name, fsynced, then renamed
// into place, so a crash mid-write leaves the previous checkpoint intact.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { writeFileAtomic } from '../../util/writeFileAtomic.js';
import { jsonFormat } from '../../util/jsonFormat.js';

/** One line of train_log.json. */
export interface TrainLogEntry {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly accuracy?: number;
  readonly seconds: number;
}

/** Everything besides tensors needed to continue a run exactly. */
export interface CheckpointState {
  readonly version: 1;
  /** identity of the run (method, params, data fingerprint); a mismatch refuses to resume */
  readonly runId: string;
  /** steps completed */
  readonly step: number;
  readonly adamT: number;
  readonly dataRng: number;
  readonly noiseRng: number;
  readonly epoch: number;
  readonly cursor: number;
  readonly order: readonly number[];
  readonly log: readonly TrainLogEntry[];
  /** seconds of training before this checkpoint (wall time continues across resumes) */
  readonly seconds: number;
}

/** JSON Schema of one train_log.json entry (also checked in checkpoints). */
export const TRAIN_LOG_ENTRY_SCHEMA = {
  type: 'object', required: ['step', 'loss', 'lr', 'seconds'],
  properties: { step: { type: 'integer' }, loss: { type: 'number' }, lr: { type: 'number' }, accuracy: { type: 'number' }, seconds: { type: 'number' } },
} as const;

/** state.json of a checkpoint; loops that keep more (the classifier's best-k, ...) add fields. */
const checkpointStateFormat = jsonFormat<CheckpointState>('checkpoint state', {
  type: 'object', required: ['version', 'runId', 'step', 'adamT', 'dataRng', 'noiseRng', 'epoch', 'cursor', 'order', 'log', 'seconds'],
  properties: {
    version: { const: 1 }, runId: { type: 'string' }, step: { type: 'integer', minimum: 0 }, adamT: { type: 'number' },
    dataRng: { type: 'number' }, noiseRng: { type: 'number' }, epoch: { type: 'integer' }, cursor: { type: 'integer' },
    order: { type: 'array', items: { type: 'integer' } }, log: { type: 'array', items: TRAIN_LOG_ENTRY_SCHEMA }, seconds: { type: 'number' },
  },
});

/** A checkpoint folder that cannot be used: names it and why. */
export class CheckpointCorrupt extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`checkpoint ${path}: ${reason}. Delete it to start the stage from scratch.`);
    this.name = 'CheckpointCorrupt';
  }
}

const NAME = /^ckpt-(\d{9})$/;

async function fsyncDir(dir: string): Promise<void> {
  try { const fh = await open(dir, 'r'); await fh.sync(); await fh.close(); } catch { /* not supported everywhere */ }
}

/** Write checkpoint `state.step` atomically; older checkpoints beyond the newest `keep` are removed. */
export async function writeCheckpoint(dir: string, state: CheckpointState, tensors: ReadonlyMap<string, NamedTensor>, keep = 2): Promise<string> {
  await mkdir(dir, { recursive: true });
  const final = join(dir, `ckpt-${String(state.step).padStart(9, '0')}`);
  const tmp = join(dir, `.tmp-ckpt-${state.step}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  await writeSafetensors(join(tmp, 'state.safetensors'), tensors);
  const fh = await open(join(tmp, 'state.json'), 'w');
  await fh.writeFile(JSON.stringify(state));
  await fh.sync();
  await fh.close();
  await fsyncDir(tmp);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  await fsyncDir(dir);
  const all = listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await rm(join(dir, old), { recursive: true, force: true });
  return final;
}

/** Checkpoint folder names, oldest first. */
export function listCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => NAME.test(f)).sort();
}

/** The newest readable checkpoint for `runId`, or undefined. Unreadable newer ones are skipped. */
export async function readLatestCheckpoint(dir: string, runId: string, log?: (s: string) => void): Promise<{ state: CheckpointState; tensors: Map<string, NamedTensor>; path: string } | undefined> {
  const all = listCheckpoints(dir).reverse();
  for (const name of all) {
    const path = join(dir, name);
    try {
      const state = await checkpointStateFormat.readAsync(join(path, 'state.json'));
      if (state.runId !== runId) { log?.(`ignoring checkpoint ${path}: made by a different run configuration`); continue; }
      const tensors = await readSafetensors(join(path, 'state.safetensors'));
      return { state, tensors, path };
    } catch (e) {
      log?.(`skipping unreadable checkpoint ${path}: ${(e as Error).message}`);
    }
  }
  return undefined;
}

/** Remove all checkpoints (after the stage committed). */
export async function clearCheckpoints(dir: string): Promise<void> {
  for (const name of listCheckpoints(dir)) await rm(join(dir, name), { recursive: true, force: true });
}

/** Write JSON atomically (util/writeFileAtomic.ts), pretty-printed for people reading artifacts. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
