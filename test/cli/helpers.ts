// Running fbw the way a user does: in-process through main() (fast, for batteries of bad
// inputs) or as a real process (for stack traces printed by Node itself, pipes, signals).
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/main.js';

export interface Ran { readonly code: number; readonly out: string; readonly err: string }

/** Project root (works from dist/test/... and test/...). */
export function root(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!d.endsWith('/dist') && d !== '/') d = dirname(d);
  return d === '/' ? process.cwd() : dirname(d);
}

export const FBW = () => join(root(), 'bin', 'fbw.js');

export function tempDir(prefix = 'fbw-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
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

/** `fbw ARGS` as a real process (Node prints uncaught errors itself there). */
export function fbwProcess(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Ran {
  const r = spawnSync(process.execPath, [FBW(), ...args], { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A small real PNG (solid colour). */
export function writePng(path: string, w = 32, h = 32, rgb: readonly [number, number, number] = [200, 30, 30]): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < w * h; p++) { png.data[p * 4] = rgb[0]; png.data[p * 4 + 1] = rgb[1]; png.data[p * 4 + 2] = rgb[2]; png.data[p * 4 + 3] = 255; }
  const b = PNG.sync.write(png);
  writeFileSync(path, b);
  return b;
}

/** A PNG whose header claims `w`×`h` pixels, with no image data behind it (a decompression bomb's header). */
export function writePngHeaderOnly(path: string, w: number, h: number): void {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b[24] = 8; // bit depth; colour type 0 (grey)
  writeFileSync(path, b);
}

/** What a user error must look like: something on stderr, no Node stack frame, not an internal error. */
export function oneClearError(r: Ran): string | undefined {
  const all = r.out + r.err;
  if (/\n\s+at .+[(:]\d+/.test(all) || /^\s+at /m.test(all)) return 'prints a stack frame';
  if (/internal error|Node\.js v\d/.test(all)) return 'reports an internal error';
  if (!r.err.trim()) return 'prints nothing on stderr';
  return undefined;
}
