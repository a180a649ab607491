// `fbw check FILE...`: every diagnostic of every file, before anything runs.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { compileWorkflow } from '../../compile/compileWorkflow.js';
import { formatDiagnostics } from '../../diagnostics/formatDiagnostic.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';

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

Exit codes: 0 clean (warnings allowed), 1 errors found, 2 usage error (no file, unreadable file).

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
    let failed = false;
    const all: unknown[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(resolve(io.cwd, f), 'utf8');
      } catch (e) {
        io.stderr.write(`fbw check: cannot read '${f}': ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
        return 2;
      }
      const { diagnostics } = compileWorkflow(text, f, { baseDir: resolve(io.cwd, f, '..') });
      if (hasErrors(diagnostics)) failed = true;
      if (json) all.push(...diagnostics);
      else if (diagnostics.length) io.stdout.write(formatDiagnostics(diagnostics, text) + (files.length > 1 ? '\n' : ''));
      else if (files.length > 1) io.stdout.write(`${f}: ok\n`);
    }
    if (json) io.stdout.write(JSON.stringify(all, null, 2) + '\n');
    else if (!failed && files.length === 1) io.stdout.write(`${files[0]}: ok\n`);
    return failed ? 1 : 0;
  },
};
