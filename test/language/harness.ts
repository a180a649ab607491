// Helpers that keep each language test to one line: compile a snippet, read a fixture, collect codes.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileWorkflow } from '../../src/compile/compileWorkflow.js';
import type { Graph, Stage } from '../../src/compile/ir.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';

/** The repository root (tests run from dist/test/language). */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Compile a snippet as if it were /virtual/t.fbw. */
export function compile(text: string): { graph?: Graph; diagnostics: readonly Diagnostic[] } {
  return compileWorkflow(text, 't.fbw', { baseDir: '/virtual' });
}

/** `CODE line:col` of each diagnostic, in order. */
export function codes(text: string): string[] {
  return compile(text).diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`);
}

/** The graph of a snippet that must compile. */
export function graphOf(text: string): Graph {
  const r = compile(text);
  if (!r.graph) throw new Error(`expected a graph, got:\n${r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`).join('\n')}`);
  return r.graph;
}

/** One stage by id (throws with the list of ids when absent). */
export function stage(g: Graph, id: string): Stage {
  const s = g.stages.find((x) => x.id === id);
  if (!s) throw new Error(`no stage '${id}' in: ${g.stages.map((x) => x.id).join(', ')}`);
  return s;
}

/** Files of a folder under the repo root with one extension, sorted. */
export function files(dir: string, ext = '.fbw'): { name: string; path: string; text: string }[] {
  const d = join(root, dir);
  return readdirSync(d).filter((f) => f.endsWith(ext)).sort().map((f) => ({ name: f, path: join(d, f), text: readFileSync(join(d, f), 'utf8') }));
}
