// The one call that chains the phases: parse -> check -> lower. The scheduler, `fbw graph` and
// `fbw check` all go through it, so they agree on what a file means.
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { parseWorkflow } from '../syntax/parseWorkflow.js';
import { checkWorkflow } from '../check/checkWorkflow.js';
import type { DiagnosticCode } from '../diagnostics/codes.js';

/** Warnings about the file as a whole, dropped when it has errors. */
const WHOLE_FILE_WARNINGS: ReadonlySet<DiagnosticCode> = new Set(['FBW0127', 'FBW0128']);
import type { Graph } from './ir.js';
import { lowerProgram, type LowerOptions } from './lowerProgram.js';

/** The graph (when error-free) and every diagnostic, warnings included. */
export interface CompileResult {
  /** present when there are no errors (warnings allowed) */
  readonly graph?: Graph;
  readonly diagnostics: readonly Diagnostic[];
}

/** Text -> typed DAG, or every diagnostic. Never throws on bad input. */
export function compileWorkflow(text: string, file: string, opts: LowerOptions = {}): CompileResult {
  const parsed = parseWorkflow(text, file);
  const all = sortDiagnostics([...parsed.diagnostics, ...checkWorkflow(parsed.ast, opts.baseDir)]);
  // "never used" and "no statements" are only true of a file that parsed and checked: next to
  // errors (a statement that did not parse uses names too) they would mislead
  if (hasErrors(all)) return { diagnostics: all.filter((d) => !WHOLE_FILE_WARNINGS.has(d.code)) };
  const diagnostics = all;
  return { graph: lowerProgram(parsed.ast, opts), diagnostics };
}
