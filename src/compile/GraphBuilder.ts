// Accumulates stages with content-based dedup (identical kind, method, params and inputs -> one
// stage) and readable, unique ids (first free candidate; a numeric suffix as the last resort).
import type { Stage } from './ir.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A stage before its id is chosen. */
export type StageProto = Omit<Stage, 'id'>;

/** The stage list under construction; dedup and id choice live here so lowering stays declarative. */
export class GraphBuilder {
  private readonly stages: Mutable<Stage>[] = [];
  private readonly byContent = new Map<string, Mutable<Stage>>();
  private readonly ids = new Set<string>();
  /** next numeric suffix per base id, so the last-resort path stays O(1) */
  private readonly nextSuffix = new Map<string, number>();

  /** Add (or find) a stage; returns its id. `ids` are candidate ids in order of preference. */
  add(proto: StageProto, ids: readonly string[]): string {
    const key = contentKey(proto);
    const found = this.byContent.get(key);
    if (found) return found.id;
    let id = ids.find((c) => !this.ids.has(c));
    for (let n = this.nextSuffix.get(ids[0]!) ?? 2; id === undefined; n++) {
      if (!this.ids.has(`${ids[0]}~${n}`)) { id = `${ids[0]}~${n}`; this.nextSuffix.set(ids[0]!, n + 1); }
    }
    const stage: Mutable<Stage> = { id, ...proto };
    this.ids.add(id);
    this.byContent.set(key, stage);
    this.stages.push(stage);
    return id;
  }

  /** Mark a committed stage's output to be copied to `path` after it commits. */
  saveTo(id: string, path: string): void {
    const s = this.stages.find((x) => x.id === id);
    if (s) s.saveTo = path;
  }

  /** Change an eval stage's report row and label (after lowering, when rows would collide). */
  relabel(id: string, row: string, label: string): void {
    const s = this.stages.find((x) => x.id === id);
    if (s) { s.params = { ...s.params, row }; s.label = label; }
  }

  /** Stages added so far (insertion order is topological: inputs are always added first). */
  list(): readonly Stage[] {
    return this.stages;
  }
}

const paramsJson = new WeakMap<object, string>();

/** Everything that makes two stages the same computation (not id, label, source or device).
 *  Fine-tunes of one statement share one params object, so its JSON is computed once. */
function contentKey(p: StageProto): string {
  let pj = paramsJson.get(p.params);
  if (pj === undefined) { pj = JSON.stringify(p.params); paramsJson.set(p.params, pj); }
  let inputs = '';
  for (const i of p.inputs) inputs += `${i.stage}\u0001${i.role}\u0001${i.task ?? ''}\u0002`;
  return `${p.kind}\u0000${p.method}\u0000${p.task ?? ''}\u0000${p.tasks?.join('\u0001') ?? ''}\u0000${pj}\u0000${inputs}\u0000${p.datasets ? JSON.stringify(p.datasets) : ''}`;
}
