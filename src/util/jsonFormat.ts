// One reader per persisted JSON format: a JSON Schema (ajv) checks a file once, where it is read,
// so a damaged or foreign file is one named error that says which file and what is wrong, never a
// cast that fails later deep inside. store/manifest.ts is the model: a format tag, one parser, a named error.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Json } from './json.js';

/** A persisted file that is not what its format says. */
export class PersistedFileInvalid extends Error {
  constructor(readonly path: string, readonly format: string, readonly reason: string) {
    super(`${path}: not a valid ${format} (${reason})`);
    this.name = 'PersistedFileInvalid';
  }
}

export interface JsonFormat<T> {
  /** readable name, e.g. "run record" */
  readonly name: string;
  /** JSON text -> T, or PersistedFileInvalid naming `path` */
  parse(text: string, path: string): T;
  /** an already parsed value -> T, or PersistedFileInvalid */
  check(value: unknown, path: string): T;
  /** read and parse a file (a missing file throws the fs error) */
  read(path: string): T;
  readAsync(path: string): Promise<T>;
}

const ajv = new Ajv({ allErrors: false, strict: false });

/** The reader of one format; the schema is the one place its shape is stated. */
export function jsonFormat<T>(name: string, schema: object): JsonFormat<T> {
  let validate: ValidateFunction | undefined;
  const check = (value: unknown, path: string): T => {
    validate ??= ajv.compile(schema);
    if (!validate(value)) {
      const e = validate.errors?.[0];
      throw new PersistedFileInvalid(path, name, e ? `${e.instancePath || 'the top level'} ${e.message ?? 'is invalid'}` : 'invalid');
    }
    return value as T;
  };
  const parse = (text: string, path: string): T => {
    let v: unknown;
    try { v = JSON.parse(text); } catch (e) { throw new PersistedFileInvalid(path, name, `not JSON: ${(e as Error).message}`); }
    return check(v, path);
  };
  return {
    name, parse, check,
    read: (path) => parse(readFileSync(path, 'utf8'), path),
    readAsync: async (path) => parse(await readFile(path, 'utf8'), path),
  };
}

/** Any JSON value: for a file whose content fbw only checks is JSON (a model folder's sidecars). */
export const anyJsonFormat = jsonFormat<Json>('JSON file', {});
