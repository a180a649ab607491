// File-system failures in words: a user reads "no such file", not "ENOENT". One table so every
// command that opens a user's file (check, predict, merge, ...) says the same thing.

const WORDS: { readonly [code: string]: string } = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links (a link loop?)',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EIO: 'input/output error reading the disk',
};

/** What went wrong with a file operation, in words (no errno codes, no syscall names). */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && WORDS[code]) return WORDS[code]!;
  const msg = e instanceof Error ? e.message : String(e);
  // Node's own text is "ECODE: description, syscall 'path'": keep only the description
  const m = /^[A-Z]+: ([^,]+)/.exec(msg);
  return m ? m[1]! : msg;
}
