// Diagnostics are plain data so the checker, the CLI, tests and editors all share one shape.
import type { SourceRef } from './sourceRef.js';
import type { DiagnosticCode } from './codes.js';

/** A located range in a .fbw file (the IR's stages carry the same SourceRef, so they can point back at source). */
export type Span = SourceRef;

/** Errors fail `fbw check`; warnings are printed only. */
export type Severity = 'error' | 'warning';

/** One problem in the user's text: what, where, and (where it helps) how to fix it. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly hint?: string;
}

/** Build an error diagnostic; hint omitted when undefined so JSON output stays compact. */
export function error(code: DiagnosticCode, span: Span, message: string, hint?: string): Diagnostic {
  return hint === undefined ? { code, severity: 'error', message, span } : { code, severity: 'error', message, span, hint };
}

/** Build a warning diagnostic (reported, but does not fail `fbw check`). */
export function warning(code: DiagnosticCode, span: Span, message: string, hint?: string): Diagnostic {
  return hint === undefined ? { code, severity: 'warning', message, span } : { code, severity: 'warning', message, span, hint };
}

/** Diagnostics in source order (then by code), the order every printer uses. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.span.offset - b.span.offset || a.code.localeCompare(b.code));
}

/** True when at least one diagnostic is an error. */
export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
