// AST -> every semantic diagnostic at once (graphql-js style: one rule per file, one context).
import { sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Program } from '../syntax/ast.js';
import { CheckContext } from './CheckContext.js';
import { RULES } from './rules.js';

/** Run every rule over a parsed program; diagnostics in source order. `baseDir` anchors relative
 *  model paths (whose config.json says what architecture they are); default: the file's folder. */
export function checkWorkflow(program: Program, baseDir?: string): Diagnostic[] {
  const ctx = new CheckContext(program, baseDir);
  for (const rule of RULES) rule(ctx);
  return sortDiagnostics(ctx.diagnostics);
}
