// Reading what the report is built from: eval stages' metrics.json and fine-tune stages'
// train_log.json. A bad file is a clear error naming it, never a NaN in the table.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** One evaluation: a model (row) on one task. `accuracy` is a fraction in [0, 1]. */
export interface MetricsRecord {
  readonly task: string;
  readonly row: string;
  readonly accuracy: number;
  readonly loss: number;
  readonly n: number;
  /** file it came from, for messages */
  readonly source?: string;
}

/** One line of a fine-tune stage's train_log.json. */
export interface TrainLogEntry {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly accuracy?: number;
  readonly seconds: number;
}

/** A fine-tuning stage's log, named by its stage id. */
export interface TrainLog {
  readonly stage: string;
  readonly task?: string;
  readonly entries: readonly TrainLogEntry[];
}

/** A report input file is missing or malformed. */
export class ReportInputError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`report input ${file}: ${detail}`);
    this.name = 'ReportInputError';
  }
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReportInputError(file, code === 'ENOENT' ? 'file not found (did the producing stage commit it?)' : String(err));
  }
  return parseJsonText(text, file);
}

function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReportInputError(file, `not valid JSON (${(err as Error).message}); delete the artifact so the stage is recomputed`);
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate a parsed metrics.json object. */
export function parseMetrics(v: unknown, file: string): MetricsRecord {
  if (!isObj(v)) throw new ReportInputError(file, 'expected an object {task, row, accuracy, loss, n}');
  const { task, row, accuracy, loss, n } = v;
  if (typeof task !== 'string' || task === '') throw new ReportInputError(file, '"task" must be a non-empty string');
  if (typeof row !== 'string' || row === '') throw new ReportInputError(file, '"row" must be a non-empty string (the report row label)');
  if (typeof accuracy !== 'number' || !(accuracy >= 0 && accuracy <= 1)) throw new ReportInputError(file, `"accuracy" must be a fraction in [0, 1], got ${JSON.stringify(accuracy)}`);
  const lossNum = typeof loss === 'number' ? loss : loss === null ? NaN : undefined;
  if (lossNum === undefined) throw new ReportInputError(file, `"loss" must be a number, got ${JSON.stringify(loss)}`);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ReportInputError(file, `"n" must be a non-negative integer, got ${JSON.stringify(n)}`);
  return { task, row, accuracy, loss: lossNum, n, source: file };
}

/** Validate a parsed train_log.json array. */
export function parseTrainLog(v: unknown, file: string, stage: string, task?: string): TrainLog {
  if (!Array.isArray(v)) throw new ReportInputError(file, 'expected an array of {step, loss, lr, accuracy?, seconds}');
  const entries = v.map((e, i): TrainLogEntry => {
    if (!isObj(e) || typeof e['step'] !== 'number' || typeof e['loss'] !== 'number') throw new ReportInputError(file, `entry ${i} needs numeric "step" and "loss"`);
    const acc = e['accuracy'];
    return {
      step: e['step'],
      loss: e['loss'],
      lr: typeof e['lr'] === 'number' ? e['lr'] : NaN,
      ...(typeof acc === 'number' ? { accuracy: acc } : {}),
      seconds: typeof e['seconds'] === 'number' ? e['seconds'] : NaN,
    };
  });
  return { stage, ...(task !== undefined ? { task } : {}), entries };
}

/** Read one metrics.json. */
export async function readMetrics(file: string): Promise<MetricsRecord> {
  return parseMetrics(await readJson(file), file);
}

/** Read one metrics.json, synchronously (a worker reporting what its eval stage wrote). */
export function readMetricsSync(file: string): MetricsRecord {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { throw new ReportInputError(file, String(err)); }
  return parseMetrics(parseJsonText(text, file), file);
}

/** Read one train_log.json of a fine-tune stage. */
export async function readTrainLog(file: string, stage: string, task?: string): Promise<TrainLog> {
  return parseTrainLog(await readJson(file), file, stage, task);
}
