// Running fbw the way a user does: in-process through main() (fast, for batteries of bad
// inputs) or as a real process (for stack traces printed by Node itself, pipes, signals).
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

// the general helpers live in test/shared/helpers.ts; cli tests import them from here too
export { type Ran, repoRoot as root, tempDir, fbw } from '../shared/helpers.js';
import { FBW_BIN, fbwProcess as runProcess, type Ran } from '../shared/helpers.js';
export const FBW = () => FBW_BIN;

/** `fbw ARGS` as a real process, with the caller's environment as it is, stopped after 5 minutes. */
export const fbwProcess = (args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Ran => runProcess(args, cwd, env, { timeout: 300_000 });

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
