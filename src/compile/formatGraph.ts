// The DAG as text for people (text), for docs (Mermaid), for Graphviz (DOT) and for tools (JSON).
// The JSON shape is a stable, documented contract (grammar/README.md): bump `version` on change.
import type { Graph, Stage } from './ir.js';

/** The formats `fbw graph --format` accepts. */
export const GRAPH_FORMATS = ['text', 'mermaid', 'dot', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** The JSON form of one stage: `inputs` are ids; `edges` keep each input's role and task. */
export function stageJson(s: Stage): object {
  return {
    id: s.id, kind: s.kind, method: s.method,
    ...(s.task !== undefined ? { task: s.task } : {}),
    ...(s.tasks !== undefined ? { tasks: s.tasks } : {}),
    params: s.params,
    inputs: s.inputs.map((i) => i.stage),
    edges: s.inputs.map((i) => ({ from: i.stage, role: i.role, ...(i.task !== undefined ? { task: i.task } : {}) })),
    output: s.output, label: s.label,
    ...(s.architecture !== undefined ? { architecture: s.architecture } : {}),
    ...(s.device !== undefined ? { device: s.device } : {}),
    ...(s.devices !== undefined ? { devices: s.devices } : {}),
    ...(s.datasets !== undefined ? { datasets: s.datasets } : {}),
    ...(s.saveTo !== undefined ? { saveTo: s.saveTo } : {}),
    ...(s.source !== undefined ? { source: { line: s.source.line, column: s.source.column } } : {}),
  };
}

const q = (s: string): string => JSON.stringify(s);

/** Render a graph in one of GRAPH_FORMATS (always ends with a newline). */
export function formatGraph(g: Graph, format: GraphFormat): string {
  switch (format) {
    case 'json': return JSON.stringify({ version: 1, file: g.file, stages: g.stages.map(stageJson) }, null, 2) + '\n';
    case 'text': {
      const w = Math.max(...g.stages.map((s) => s.id.length), 2);
      const lines = g.stages.map((s) => {
        const ins = s.inputs.length ? `  <- ${s.inputs.map((i) => i.stage).join(', ')}` : '';
        return `${s.id.padEnd(w)}  ${s.kind}${s.device ? ` on ${s.device}` : ''}  ${s.label}${ins}`;
      });
      return `${g.stages.length} stages (${g.file})\n${lines.join('\n')}\n`;
    }
    case 'mermaid': {
      const idx = new Map(g.stages.map((s, i) => [s.id, i] as const));
      const mid = (id: string): string => `n${idx.get(id)}`;
      const out = ['flowchart LR'];
      for (const s of g.stages) out.push(`  ${mid(s.id)}[${q(`${s.id}`)}]`);
      for (const s of g.stages) for (const i of s.inputs) out.push(`  ${mid(i.stage)} -->|${i.role}| ${mid(s.id)}`);
      return out.join('\n') + '\n';
    }
    case 'dot': {
      const out = ['digraph fbw {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
      for (const s of g.stages) out.push(`  ${q(s.id)} [label=${q(`${s.id}\n${s.label}`)}];`);
      for (const s of g.stages) for (const i of s.inputs) out.push(`  ${q(i.stage)} -> ${q(s.id)} [label=${q(i.role)}];`);
      out.push('}');
      return out.join('\n') + '\n';
    }
    default: return format satisfies never;
  }
}
