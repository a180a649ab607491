// What changed between two key component lists, in words a user reads in `fbw why` and `fbw plan`.
import type { Json } from '../compile/ir.js';
import { canonicalJson } from '../store/canonical.js';
import type { KeyComponents } from '../store/keyComponents.js';

export interface ComponentChange {
  /** 'params.learning_rate', 'input base', 'dataset mnist', 'version', 'seed', 'content', ... */
  readonly component: string;
  readonly before: string;
  readonly after: string;
  /** for an input: the producing stage id, so the explanation can recurse */
  readonly inputStage?: string;
}

const show = (v: Json | undefined): string => (v === undefined ? '(absent)' : canonicalJson(v));

function diffJson(path: string, a: Json | undefined, b: Json | undefined, out: ComponentChange[]): void {
  const isObj = (v: Json | undefined): v is { readonly [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diffJson(`${path}.${k}`, a[k], b[k], out);
    return;
  }
  if (show(a) !== show(b)) out.push({ component: path, before: show(a), after: show(b) });
}

/** Every component that differs between the committed result (`before`) and now (`after`). */
export function diffComponents(before: KeyComponents, after: KeyComponents): ComponentChange[] {
  const out: ComponentChange[] = [];
  if (before.kind !== after.kind) out.push({ component: 'kind', before: before.kind, after: after.kind });
  if (before.method !== after.method) out.push({ component: 'method', before: before.method, after: after.method });
  diffJson('params', before.params, after.params, out);
  const label = (i: { role: string; task?: string }) => `input ${i.role}${i.task ? ` (${i.task})` : ''}`;
  const bIn = new Map(before.inputs.map((i) => [label(i) + '#' + i.stage, i]));
  const aIn = new Map(after.inputs.map((i) => [label(i) + '#' + i.stage, i]));
  for (const [k, a] of aIn) {
    const b = bIn.get(k);
    if (!b) out.push({ component: `${label(a)} from ${a.stage}`, before: '(absent)', after: a.key.slice(0, 12), inputStage: a.stage });
    else if (b.key !== a.key) out.push({ component: `${label(a)} from ${a.stage}`, before: b.key.slice(0, 12), after: a.key.slice(0, 12), inputStage: a.stage });
  }
  for (const [k, b] of bIn) if (!aIn.has(k)) out.push({ component: `${label(b)} from ${b.stage}`, before: b.key.slice(0, 12), after: '(absent)' });
  for (const t of [...new Set([...Object.keys(before.datasets), ...Object.keys(after.datasets)])].sort()) {
    const b = before.datasets[t], a = after.datasets[t];
    if (b !== a) out.push({ component: `dataset ${t}`, before: b ? b.slice(0, 12) : '(absent)', after: a ? a.slice(0, 12) : '(absent)' });
  }
  if (before.version !== after.version) out.push({ component: 'version', before: before.version, after: after.version });
  if (before.seed !== after.seed) out.push({ component: 'seed', before: String(before.seed), after: String(after.seed) });
  if (before.content !== after.content) out.push({ component: 'content (model files)', before: before.content?.slice(0, 12) ?? '(none)', after: after.content?.slice(0, 12) ?? '(none)' });
  return out;
}

/** One line per change: `params.learning_rate: 0.00001 -> 0.0001`. */
export function formatChanges(changes: readonly ComponentChange[]): string[] {
  return changes.map((c) => `${c.component}: ${c.before} -> ${c.after}`);
}
