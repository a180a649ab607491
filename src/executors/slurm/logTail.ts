// The last lines of a job's log, for failure messages (a failed job's stderr tail).

import { open } from 'node:fs/promises';

/** Up to `lines` last lines of `file` (reads at most the last 64 KiB); [] if the file is missing. */
export async function readLogTail(file: string, lines = 20): Promise<string[]> {
  let fh;
  try { fh = await open(file, 'r'); } catch { return []; }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (all[all.length - 1] === '') all.pop();
    if (len < size) all.shift(); // first line is probably cut
    return all.slice(-lines);
  } finally {
    await fh.close();
  }
}
