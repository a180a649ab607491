// `fbw graph FILE [--format text|mermaid|dot|json]`: the compiled DAG, before anything runs.
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { compileWorkflow } from '../../compile/compileWorkflow.js';
import { formatGraph, GRAPH_FORMATS, type GraphFormat } from '../../compile/formatGraph.js';
import { readTextFile } from '../../util/readTextFile.js';
import { formatDiagnostics } from '../../diagnostics/formatDiagnostic.js';
import { didYouMean } from '../../util/suggest.js';

/** Prints the DAG; exit 1 when the file has errors (they are printed to stderr). */
export const graph: Command = {
  name: 'graph',
  summary: 'print the stage DAG of a workflow (text, mermaid, dot, json)',
  help: `Usage: fbw graph FILE [--format text|mermaid|dot|json]

Compiles the workflow and prints its stages with resolved parameters and inputs.
  text     one stage per line with its inputs (default)
  mermaid  a Mermaid flowchart (paste into Markdown)
  dot      Graphviz DOT (fbw graph f.fbw --format dot | dot -Tsvg > g.svg)
  json     {"version": 1, "file", "stages": [{"id", "kind", "method", "task", "params", "inputs": [ids], ...}]}
           (the schema is documented in grammar/README.md)

Examples:
  fbw graph workflows/example.fbw --format json
  fbw graph workflows/quickstart.fbw --format mermaid`,
  flags: ['format'],
  async run(args, io) {
    let format: GraphFormat = 'text';
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--format' || a.startsWith('--format=')) {
        const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
        if (v === undefined || !(GRAPH_FORMATS as readonly string[]).includes(v)) {
          const s = v ? didYouMean(v, GRAPH_FORMATS) : undefined;
          io.stderr.write(`fbw graph: --format must be one of ${GRAPH_FORMATS.join(', ')}${v ? `, not '${v}'` : ''}${s ? ` — did you mean '${s}'?` : ''}\n`);
          return 2;
        }
        format = v as GraphFormat;
      } else files.push(a);
    }
    if (files.length !== 1) {
      io.stderr.write(`fbw graph: expected one FILE, got ${files.length}\nUsage: fbw graph FILE [--format text|mermaid|dot|json]\n`);
      return 2;
    }
    const f = files[0]!;
    const read = await readTextFile(resolve(io.cwd, f));
    if (!read.ok) {
      io.stderr.write(`fbw graph: ${f}: ${read.reason}\n`);
      return read.binary ? 1 : 2;
    }
    const text = read.text;
    const r = compileWorkflow(text, f, { baseDir: resolve(io.cwd, f, '..') });
    if (r.diagnostics.length) io.stderr.write(formatDiagnostics(r.diagnostics, text));
    if (!r.graph) return 1;
    io.stdout.write(formatGraph(r.graph, format));
    return 0;
  },
};
