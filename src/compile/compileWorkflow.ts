// The one call that chains the phases: parse -> check -> lower. The scheduler, `fbw graph` and
// `fbw check` all go through it, so they agree on what a file means.
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { parseWorkflow } from '../syntax/parseWorkflow.js';
import { checkWorkflow } from '../check/checkWorkflow.js';
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
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...checkWorkflow(parsed.ast, opts.baseDir)]);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { graph: lowerProgram(parsed.ast, opts), diagnostics };
}
