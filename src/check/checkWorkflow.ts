// AST -> every semantic diagnostic at once (graphql-js style: one rule per file, one context).
import { sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Program } from '../syntax/ast.js';
import { CheckContext } from './CheckContext.js';
import { RULES } from './rules.js';

/** Run every rule over a parsed program; diagnostics in source order. */
export function checkWorkflow(program: Program): Diagnostic[] {
  const ctx = new CheckContext(program);
  for (const rule of RULES) rule(ctx);
  return sortDiagnostics(ctx.diagnostics);
}
