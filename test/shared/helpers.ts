// The helpers tests across features repeat, in one place: temp folders and stores, fbw run the
// way a user runs it (in this process through main(), or as a real process), a small workflow
// written to disk, and a report read back. Feature folders keep only what is their own.
import { PassThrough } from 'node:stream';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { Store } from '../../src/store/Store.js';
import { reportFromJson } from '../../src/report/reportJson.js';
import type { Report } from '../../src/report/buildReport.js';

/** What one fbw command printed and its exit code. */
export interface Ran { readonly code: number; readonly out: string; readonly err: string }

/** Project root (works from dist/test/... and test/...). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!d.endsWith('/dist') && d !== '/') d = dirname(d);
  return d === '/' ? process.cwd() : dirname(d);
}

/** bin/fbw.js: the command a user runs. */
export const FBW_BIN = join(repoRoot(), 'bin', 'fbw.js');

/** A fresh folder under the system temp dir. */
export function tempDir(prefix = 'fbw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh, initialised store in a temp folder. */
export function tempStore(prefix = 'fbw-store-'): Store {
  return new Store(join(tempDir(prefix), '.fbw')).init();
}

/** `fbw ARGS` in this process, from `cwd`, with stdout/stderr captured. */
export async function fbw(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  const out = new PassThrough(), err = new PassThrough();
  let o = '', e = '';
  out.on('data', (d: Buffer) => { o += d.toString(); });
  err.on('data', (d: Buffer) => { e += d.toString(); });
  const code = await main(args, { stdout: out, stderr: err, cwd, env });
  return { code, out: o, err: e };
}

/** `fbw ARGS` as a real process (Node prints uncaught errors itself there); NO_COLOR unless `env` says otherwise. */
export function fbwProcess(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }, opts: Omit<SpawnSyncOptions, 'cwd' | 'env' | 'encoding'> = {}): Ran {
  const r = spawnSync(process.execPath, [FBW_BIN, ...args], { ...opts, cwd, env, encoding: 'utf8' });
  return { code: r.status ?? -1, out: String(r.stdout ?? ''), err: String(r.stderr ?? '') };
}

/** Write a workflow file (`name` in `dir`) and return its path. */
export function writeWorkflow(dir: string, text: string, name = 'workflow.fbw'): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** report.json of a report folder, read back through fbw's own reader. */
export function readReport(reportDir: string): Report {
  const file = join(reportDir, 'report.json');
  return reportFromJson(readFileSync(file, 'utf8'), file);
}
