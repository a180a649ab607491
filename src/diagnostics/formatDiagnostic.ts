// Render a diagnostic the way compilers do, so users read it without learning a new format:
//   FILE:LINE:COL: error FBW####: message
//   <source line>
//   <caret line under the span>
//   hint: ...
import type { Diagnostic } from './diagnostic.js';

/**
 * How diagnostics are drawn for a terminal: a line-number gutter beside the code frame, and
 * ANSI colours unless NO_COLOR (as rustc and Elm do). Plain output (pipes, files, tests) has neither.
 */
export interface DiagnosticStyle {
  readonly gutter: boolean;
  readonly color: boolean;
}

/** The style for a stream: gutter on a TTY, colour on a TTY unless NO_COLOR is set (and non-empty). */
export function styleFor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): DiagnosticStyle | undefined {
  if (!stream.isTTY) return undefined;
  return { gutter: true, color: !(env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') };
}

const paint = (on: boolean, codes: string, text: string): string => (on && text !== '' ? `\u001b[${codes}m${text}\u001b[0m` : text);

/** One diagnostic as text (no trailing newline); sourceText is the whole file the span points into. */
export function formatDiagnostic(d: Diagnostic, sourceText: string, style?: DiagnosticStyle): string {
  const { line, column, offset, endOffset, file } = d.span;
  // the span knows where its line starts: slice that one line (splitting the whole source for
  // every diagnostic made 16,000 errors take 49 s)
  const lineStart = Math.max(0, offset - (column - 1));
  const nl = sourceText.indexOf('\n', lineStart);
  const src = sourceText.slice(lineStart, nl < 0 ? sourceText.length : nl).replace(/\r$/, '');
  const lineEnd = lineStart + src.length;
  const end = Math.max(offset + 1, Math.min(endOffset, lineEnd));
  const width = Math.max(1, end - offset);
  // keep tabs in the caret prefix so the caret lines up under tabbed source
  const prefix = src.slice(0, column - 1).replace(/[^\t]/g, ' ');
  if (style) {
    const c = style.color;
    const sev = d.severity === 'error' ? '1;31' : '1;33';
    const num = String(line);
    const pad = ' '.repeat(num.length);
    const out = [
      `${paint(c, '1', `${file}:${line}:${column}:`)} ${paint(c, sev, `${d.severity} ${d.code}`)}: ${paint(c, '1', d.message)}`,
      `${paint(c, '34', ` ${num} |`)} ${src}`,
      `${paint(c, '34', ` ${pad} |`)} ${prefix}${paint(c, sev, '^'.repeat(width))}`,
    ];
    if (d.hint !== undefined) out.push(`${paint(c, '1;36', 'hint:')} ${d.hint}`);
    return out.join('\n');
  }
  const out = [`${file}:${line}:${column}: ${d.severity} ${d.code}: ${d.message}`, src, prefix + '^'.repeat(width)];
  if (d.hint !== undefined) out.push(`hint: ${d.hint}`);
  return out.join('\n');
}

/** How many diagnostics of one file are printed; the rest are counted (after 50 the first ones are the ones to fix). */
export const MAX_DIAGNOSTICS_SHOWN = 50;

/** All diagnostics of one file, separated by blank lines, with a summary line; at most `max` printed. */
export function formatDiagnostics(ds: readonly Diagnostic[], sourceText: string, max: number = MAX_DIAGNOSTICS_SHOWN, style?: DiagnosticStyle): string {
  if (ds.length === 0) return '';
  const errors = ds.filter((d) => d.severity === 'error').length;
  const warnings = ds.length - errors;
  // when capping, errors take the places first (a warning never hides an error); source order kept
  let shown = ds;
  if (ds.length > max) {
    const keep = new Set(ds.filter((d) => d.severity === 'error').slice(0, max));
    for (const d of ds) if (keep.size < max && d.severity !== 'error') keep.add(d);
    shown = ds.filter((d) => keep.has(d));
  }
  const parts = shown.map((d) => formatDiagnostic(d, sourceText, style));
  if (shown.length < ds.length) parts.push(`… and ${(ds.length - shown.length).toLocaleString('en-US')} more (fix these first; \`fbw check --json\` lists all)`);
  const summary = [errors ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  return parts.join('\n\n') + '\n\n' + summary + '\n';
}
