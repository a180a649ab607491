// The explanation behind `fbw why`: a stage's key components now versus at its last commit.
import type { Graph } from '../compile/ir.js';
import type { Store } from '../store/Store.js';
import { computeKeys, type KeyOptions } from './computeKeys.js';
import { diffComponents } from './diffComponents.js';

/** Lines explaining whether and why `stageId`'s key differs from its last committed result. */
export async function explainStage(graph: Graph, store: Store, stageId: string, opts: KeyOptions = {}): Promise<string[]> {
  const keys = await computeKeys(graph, store, opts);
  const out: string[] = [];
  const seen = new Set<string>();
  const explain = (id: string, depth: number): void => {
    if (seen.has(id)) return;
    seen.add(id);
    const pad = '  '.repeat(depth);
    const k = keys.get(id);
    if (!k) return;
    if (!k.ok) { out.push(`${pad}${id}: cannot be keyed: ${k.error}`); return; }
    const prev = store.readIndex(id);
    if (!prev) { out.push(`${pad}${id}: never committed in this store (key ${k.key.slice(0, 12)})`); return; }
    if (prev.key === k.key) {
      const v = store.verify(k.key);
      out.push(`${pad}${id}: unchanged — key ${k.key.slice(0, 12)} committed ${prev.committed}${prev.run ? ` by run ${prev.run}` : ''}${v.ok ? '' : `, but the artifact ${v.missing ? 'was removed' : `fails verification: ${v.reason}`}`}`);
      return;
    }
    const changes = diffComponents(prev.components, k.components);
    out.push(`${pad}${id}: key changed ${prev.key.slice(0, 12)} -> ${k.key.slice(0, 12)} (last commit ${prev.committed}); ${changes.length} component${changes.length === 1 ? '' : 's'} changed:`);
    for (const c of changes) {
      out.push(`${pad}  ${c.component}: ${c.before} -> ${c.after}`);
      if (c.inputStage) explain(c.inputStage, depth + 2);
    }
  };
  explain(stageId, 0);
  return out;
}
