// Read a file a user says is a workflow: a binary file (a .safetensors picked by tab completion)
// is one clear refusal instead of thousands of diagnostics echoing raw bytes.
import { readFile } from 'node:fs/promises';
import { describeFsError } from './fsErrors.js';

export type TextFile =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: string; /** the file was read but is not text */ readonly binary: boolean };

/** Why these bytes are not text, or undefined when they are UTF-8 text without NUL bytes. */
export function notTextReason(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return 'not a text file (it contains NUL bytes)';
  try { new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { return 'not a text file (it is not valid UTF-8)'; }
  return undefined;
}

/** Read a UTF-8 text file; failures come back as one phrase in words (no errno codes). */
export async function readTextFile(path: string): Promise<TextFile> {
  let bytes: Buffer;
  try { bytes = await readFile(path); } catch (e) {
    return { ok: false, binary: false, reason: (e as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a folder, not a file' : `cannot read it: ${describeFsError(e)}` };
  }
  const bad = notTextReason(bytes);
  if (bad) return { ok: false, binary: true, reason: `${bad} — did you mean a .fbw file?` };
  return { ok: true, text: bytes.toString('utf8') };
}
