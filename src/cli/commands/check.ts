// `fbw check FILE...`: every diagnostic of every file, before anything runs.
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { compileWorkflow } from '../../compile/compileWorkflow.js';
import { formatDiagnostics, styleFor } from '../../diagnostics/formatDiagnostic.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { readTextFile } from '../../util/readTextFile.js';

/** Exit 0 when every file is clean (warnings allowed), 1 with errors, 2 on usage errors. */
export const check: Command = {
  name: 'check',
  summary: 'report every error in .fbw files (nothing runs)',
  help: `Usage: fbw check FILE... [--json]

Parses and type-checks each workflow and prints every diagnostic at once:
  FILE:LINE:COL: error FBW####: message
  <source line>
  <caret under the span>
  hint: ...

Options:
  --json   print the diagnostics as a JSON array instead

Every FILE is checked; the exit code is the worst of them: 0 clean (warnings allowed),
1 errors found (or not a text file), 2 usage error (no file given, a file that cannot be read).
At most 50 diagnostics per file are printed, then how many more (--json lists all).

Examples:
  fbw check workflows/quickstart.fbw
  fbw check workflows/*.fbw`,
  flags: ['json'],
  async run(args, io) {
    const json = args.includes('--json');
    const files = args.filter((a) => !a.startsWith('--'));
    if (files.length === 0) {
      io.stderr.write('fbw check: no file given\nUsage: fbw check FILE...\n');
      return 2;
    }
    // every file is checked; the exit code is the worst: 2 unreadable > 1 errors > 0 clean
    let exit = 0;
    const all: unknown[] = [];
    for (const f of files) {
      const read = await readTextFile(resolve(io.cwd, f));
      if (!read.ok) {
        const binary = read.binary;
        io.stderr.write(`fbw check: ${f}: ${read.reason}\n`);
        exit = Math.max(exit, binary ? 1 : 2);
        continue;
      }
      const text = read.text;
      const { diagnostics } = compileWorkflow(text, f, { baseDir: resolve(io.cwd, f, '..') });
      if (hasErrors(diagnostics)) exit = Math.max(exit, 1);
      if (json) all.push(...diagnostics);
      else if (diagnostics.length) io.stdout.write(formatDiagnostics(diagnostics, text, undefined, styleFor(io.stdout as { isTTY?: boolean }, io.env)) + (files.length > 1 ? '\n' : ''));
      else io.stdout.write(`${f}: ok\n`);
    }
    if (json) io.stdout.write(JSON.stringify(all, null, 2) + '\n');
    return exit;
  },
};
