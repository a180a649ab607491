// Render a diagnostic the way compilers do, so users read it without learning a new format:
//   FILE:LINE:COL: error FBW####: message
//   <source line>
//   <caret line under the span>
//   hint: ...
import type { Diagnostic } from './diagnostic.js';

/** One diagnostic as text (no trailing newline); sourceText is the whole file the span points into. */
export function formatDiagnostic(d: Diagnostic, sourceText: string): string {
  const { line, column, offset, endOffset, file } = d.span;
  const lines = sourceText.split(/\r?\n/);
  const src = lines[line - 1] ?? '';
  const lineStart = offset - (column - 1);
  const lineEnd = lineStart + src.length;
  const end = Math.max(offset + 1, Math.min(endOffset, lineEnd));
  const width = Math.max(1, end - offset);
  // keep tabs in the caret prefix so the caret lines up under tabbed source
  const prefix = src.slice(0, column - 1).replace(/[^\t]/g, ' ');
  const out = [`${file}:${line}:${column}: ${d.severity} ${d.code}: ${d.message}`, src, prefix + '^'.repeat(width)];
  if (d.hint !== undefined) out.push(`hint: ${d.hint}`);
  return out.join('\n');
}

/** All diagnostics of one file, separated by blank lines, with a summary line. */
export function formatDiagnostics(ds: readonly Diagnostic[], sourceText: string): string {
  if (ds.length === 0) return '';
  const errors = ds.filter((d) => d.severity === 'error').length;
  const warnings = ds.length - errors;
  const parts = ds.map((d) => formatDiagnostic(d, sourceText));
  const summary = [errors ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  return parts.join('\n\n') + '\n\n' + summary + '\n';
}
