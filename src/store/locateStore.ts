// Which store a command means: one rule for run, plan, why, runs, show, logs, open, replay and gc.
//   1. --store DIR, when given;
//   2. with a workflow FILE: the `.fbw/` beside it (where `fbw run FILE` puts it);
//   3. without one: the store the last `fbw run` started from this working folder used (a small
//      per-user index, so `fbw run workflows/quickstart.fbw` then `fbw show last` works from the
//      repo root), else the nearest `.fbw/` in this folder or a parent.
// Hints that print a command add `--store` exactly when this rule would not find the store.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { writeFileAtomicSync } from '../util/writeFileAtomic.js';
import { jsonFormat } from '../util/jsonFormat.js';

/** No store was found: the message says where fbw looked and what to do. */
export class StoreNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreNotFound';
  }
}

export interface StoreQuery {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** --store DIR as typed */
  readonly store?: string | undefined;
  /** the workflow FILE the command names, if any */
  readonly file?: string | undefined;
}

/** The default store of a workflow: `.fbw/` beside it. */
export function storeBesideWorkflow(file: string, cwd: string = process.cwd()): string {
  return join(dirname(resolve(cwd, file)), '.fbw');
}

/** A folder that holds a store (it has a runs/ folder). */
export function isStore(dir: string): boolean {
  return existsSync(join(dir, 'runs'));
}

/** Where the per-user index of recently used stores lives ($FBW_STATE_DIR, else XDG state). */
export function storeIndexFile(env: NodeJS.ProcessEnv): string {
  const base = env['FBW_STATE_DIR'] ?? join(env['XDG_STATE_HOME'] ?? join(env['HOME'] ?? homedir(), '.local', 'state'), 'fbw');
  return join(base, 'stores.json');
}

/** Entries kept in the index: one per working folder, the most recently used first. */
const INDEX_SIZE = 200;

interface IndexEntry { readonly cwd: string; readonly store: string; readonly at: string }

/** stores.json: the most recently used store of each working folder, newest first. */
const storeIndexFormat = jsonFormat<readonly IndexEntry[]>('store index', {
  type: 'array',
  items: { type: 'object', required: ['cwd', 'store'], properties: { cwd: { type: 'string' }, store: { type: 'string' }, at: { type: 'string' } } },
});

function readIndex(env: NodeJS.ProcessEnv): IndexEntry[] {
  try {
    return [...storeIndexFormat.read(storeIndexFile(env))];
  } catch {
    return []; // no index yet, or an unreadable one: it is only a convenience
  }
}

/** Remember that a run from `cwd` used `store` (atomic replace; failures are ignored: a convenience only). */
export function rememberStore(cwd: string, store: string, env: NodeJS.ProcessEnv): void {
  const file = storeIndexFile(env);
  const entries = [{ cwd: resolve(cwd), store: resolve(store), at: new Date().toISOString() }, ...readIndex(env).filter((e) => e.cwd !== resolve(cwd))].slice(0, INDEX_SIZE);
  try {
    writeFileAtomicSync(file, JSON.stringify(entries, null, 1) + '\n', { mkdir: true });
  } catch { /* read-only home: the walk-up rule still works */ }
}

/** The store the last run from `cwd` used, if it still exists. */
export function rememberedStore(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  const e = readIndex(env).find((x) => x.cwd === resolve(cwd));
  return e && isStore(e.store) ? e.store : undefined;
}

/** The nearest `.fbw/` store in `cwd` or a parent. */
export function nearestStore(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (isStore(join(dir, '.fbw'))) return join(dir, '.fbw');
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The store a command means (see the rule at the top of this file); its folder need not exist
 * yet for `fbw run`. Commands that read runs call `requireStore` instead.
 */
export function locateStore(q: StoreQuery): string {
  if (q.store !== undefined) return resolve(q.cwd, q.store);
  if (q.file !== undefined) return storeBesideWorkflow(q.file, q.cwd);
  return rememberedStore(q.cwd, q.env) ?? nearestStore(q.cwd) ?? resolve(q.cwd, '.fbw');
}

/** `locateStore`, for commands that read a store: throws StoreNotFound (with where it looked) when there is none. */
export function requireStore(q: StoreQuery): string {
  const dir = locateStore(q);
  if (isStore(dir)) return dir;
  if (q.store !== undefined) throw new StoreNotFound(`no fbw store at ${dir} (it has no runs/ folder); pass the folder \`fbw run\` used with --store`);
  if (q.file !== undefined) throw new StoreNotFound(`no store beside ${q.file} (${dir}): run it first (fbw run ${q.file}), or pass --store DIR`);
  throw new StoreNotFound(`no fbw store found: no run was started from ${q.cwd}, and there is no .fbw/ in it or its parents; run a workflow first (fbw run FILE), or pass --store DIR`);
}

/** A path as one POSIX shell word, quoted only when it needs to be. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * ` --store DIR` when a command typed in `cwd` would not find `store` by itself, else ''.
 * Every hint that prints a command (replay, show, open, logs) appends this, so it works pasted.
 */
export function storeFlag(store: string, cwd: string, env: NodeJS.ProcessEnv): string {
  if (resolve(store) === locateStore({ cwd, env })) return '';
  const rel = relative(cwd, store);
  return ` --store ${shellWord(rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(store))}`;
}
