// The run's copy of a report gets what the report stage cannot know without breaking its
// cache (its output must be byte-identical across runs): the run id and date, the workflow and
// its hash, fbw's version, the backend, the seeds, and the method and resolved parameters
// behind each row, read from the run's graph. The four files are rewritten in place.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Stage } from '../compile/ir.js';
import { workflowTitle, type Provenance, type Report, type RowSpec } from './buildReport.js';
import { reportFromJson } from './reportJson.js';
import { writeReport } from './writeReport.js';
import { fbwVersion } from '../util/version.js';

/** What the run knows about itself. */
export interface RunFacts {
  readonly run: string;
  readonly workflow: string;
  readonly backend: string;
  readonly store?: string;
  readonly now?: Date;
}

/** Provenance of a run over `stages` (the whole graph). */
export function runProvenance(facts: RunFacts, stages: readonly Stage[]): Provenance {
  let workflowSha256: string | undefined;
  try { workflowSha256 = createHash('sha256').update(readFileSync(facts.workflow)).digest('hex'); } catch { /* a graph given in memory */ }
  const seeds: Record<string, number> = {};
  for (const s of stages) if (typeof s.params['seed'] === 'number') seeds[s.id] = s.params['seed'];
  return {
    run: facts.run, created: (facts.now ?? new Date()).toISOString(), workflow: facts.workflow, ...(workflowSha256 ? { workflowSha256 } : {}),
    fbwVersion: fbwVersion(), backend: facts.backend, seeds, ...(facts.store ? { store: facts.store } : {}),
  };
}

/** Row label → the stage that made the evaluated model, for the evals feeding `report`. */
export function rowSpecs(report: Stage, stages: readonly Stage[]): Map<string, RowSpec> {
  const byId = new Map(stages.map((s) => [s.id, s]));
  const specs = new Map<string, RowSpec>();
  for (const input of report.inputs) {
    const ev = byId.get(input.stage);
    if (!ev || ev.kind !== 'eval') continue;
    const label = typeof ev.params['row'] === 'string' ? ev.params['row'] : ev.label;
    if (specs.has(label)) continue;
    const modelInput = ev.inputs.find((i) => i.role === 'model') ?? ev.inputs[0];
    const producer = modelInput ? byId.get(modelInput.stage) : undefined;
    if (!producer) continue;
    specs.set(label, { method: producer.method, params: producer.params as RowSpec['params'], stage: producer.id });
  }
  return specs;
}

/** A row's spec: by its label, or by the label before an eval's " [chosen on val: ...]" note (src/stages/eval.ts). */
function specOfRow(specs: ReadonlyMap<string, RowSpec>, label: string): RowSpec | undefined {
  const note = label.lastIndexOf(' [chosen on val: ');
  return specs.get(label) ?? (note > 0 ? specs.get(label.slice(0, note)) : undefined);
}

/** Add provenance and row specs to the report in `dir` (its report.json), rewriting every file. */
export async function stampReport(dir: string, provenance: Provenance, specs: ReadonlyMap<string, RowSpec>): Promise<Report> {
  const file = path.join(dir, 'report.json');
  const before = reportFromJson(readFileSync(file, 'utf8'), file);
  const stamped: Report = {
    ...before,
    title: before.title === 'fbw report' ? workflowTitle(provenance.workflow) : before.title,
    rows: before.rows.map((r) => { const spec = specOfRow(specs, r.method); return spec ? { ...r, spec } : r; }),
    provenance,
  };
  await writeReport(dir, stamped);
  return stamped;
}
