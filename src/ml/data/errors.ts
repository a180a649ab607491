// Expected run-time failures of the data layer. Each message names the data set or file and
// says how to fix it, because the user reads it in a failed stage's log.
import { jsonFormat, PersistedFileInvalid } from '../../util/jsonFormat.js';

/** A data set fbw knows but cannot find on this machine: lists every place it looked. */
export class DatasetNotFound extends Error {
  constructor(readonly dataset: string, readonly looked: readonly string[], readonly howToFix: string) {
    super(
      `dataset '${dataset}' was not found on this machine (fbw never downloads data).\n` +
        `Looked in:\n${looked.map((l) => `  - ${l}`).join('\n')}\n` +
        howToFix,
    );
    this.name = 'DatasetNotFound';
  }
}

/** A task name that is neither built in nor a path: suggests the closest known name. */
export class UnknownTask extends Error {
  constructor(readonly task: string, readonly suggestion: string | undefined) {
    super(
      `unknown dataset '${task}'` +
        (suggestion ? ` — did you mean '${suggestion}'?` : '') +
        ` (built-in names: see taskNames(); a local folder can be given by path)`,
    );
    this.name = 'UnknownTask';
  }
}

/** A data file that exists but cannot be read as what it claims to be. */
export class DatasetFormatError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'DatasetFormatError';
  }
}

/** A data set folder without any file for one split (a hub set shipped with its test split only). */
export class SplitMissing extends DatasetFormatError {
  constructor(path: string, readonly split: string, reason: string) {
    super(path, reason);
    this.name = 'SplitMissing';
  }
}

const stringListFormat = jsonFormat<string[]>('JSON array of strings', { type: 'array', items: { type: 'string' } });

/** classnames.json / templates.json beside a data set: a JSON array of strings, else DatasetFormatError naming the file. */
export function readStringList(path: string): string[] {
  try { return stringListFormat.read(path); } catch (e) {
    throw new DatasetFormatError(path, e instanceof PersistedFileInvalid ? `expected a JSON array of strings (${e.reason})` : (e as Error).message);
  }
}
