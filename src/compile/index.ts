// Public surface of compile/ (and of the language as a whole).
export { compileWorkflow, type CompileResult } from './compileWorkflow.js';
export { lowerProgram, type LowerOptions } from './lowerProgram.js';
export type * from './ir.js';
export { parseWorkflow } from '../syntax/parseWorkflow.js';
export { checkWorkflow } from '../check/checkWorkflow.js';
export { formatDiagnostic, formatDiagnostics } from '../diagnostics/formatDiagnostic.js';
export type { Diagnostic, Span, Severity } from '../diagnostics/diagnostic.js';
