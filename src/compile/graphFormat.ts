// The compiled graph as a persisted format: a run record (runs/<id>/graph.json, what `fbw replay`
// re-runs) and a graph a user hands to `fbw run g.json` are both read through this one schema.
import { jsonFormat } from '../util/jsonFormat.js';
import { STAGE_KINDS } from '../registry/stageKind.js';
import type { Graph, Stage } from './ir.js';

const sourceRef = {
  type: 'object', required: ['file', 'line', 'column', 'offset', 'endOffset'],
  properties: { file: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' }, offset: { type: 'integer' }, endOffset: { type: 'integer' } },
};

/** JSON Schema of one Stage (ir.ts): the fields every phase relies on are required. */
export const STAGE_SCHEMA = {
  type: 'object',
  required: ['id', 'kind', 'method', 'params', 'inputs', 'output', 'label'],
  properties: {
    id: { type: 'string', minLength: 1 },
    kind: { enum: [...STAGE_KINDS] },
    method: { type: 'string' },
    task: { type: 'string' },
    tasks: { type: 'array', items: { type: 'string' } },
    params: { type: 'object' },
    inputs: { type: 'array', items: { type: 'object', required: ['stage', 'role'], properties: { stage: { type: 'string' }, role: { type: 'string' }, task: { type: 'string' } } } },
    output: { enum: ['model', 'head', 'metrics', 'report'] },
    architecture: { type: 'string' },
    device: { type: 'string' },
    devices: { type: 'integer', minimum: 1 },
    label: { type: 'string' },
    source: sourceRef,
    datasets: { type: 'object', additionalProperties: { type: 'object', required: ['loader', 'path', 'params'], properties: { loader: { enum: ['imagefolder', 'parquet'] }, path: { type: 'string' }, params: { type: 'object' } } } },
    saveTo: { type: 'string' },
  },
} as const;

/** `{ file?, stages }`: the graph itself (a run record wraps it, see store/journal.ts). */
export const GRAPH_SCHEMA = {
  type: 'object', required: ['stages'],
  properties: { file: { type: 'string' }, stages: { type: 'array', items: STAGE_SCHEMA } },
} as const;

/** A user-supplied compiled graph: `{ file?, stages }`, or a run record `{ graph: { ... } }`. */
export const userGraphFormat = jsonFormat<{ readonly file?: string; readonly stages: readonly Stage[] } | { readonly graph: Graph }>('compiled graph', {
  anyOf: [GRAPH_SCHEMA, { type: 'object', required: ['graph'], properties: { graph: GRAPH_SCHEMA } }],
});
