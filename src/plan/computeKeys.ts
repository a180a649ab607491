// Stage keys for a whole graph, in topological order (DESIGN.md §3): kind, method, resolved
// params, input keys with roles, dataset fingerprints, implementation version, seed, and for a
// pretrained model the content hash of its files. A stage whose key cannot be computed (model or
// dataset missing) gets a planning error that fails it, and its dependents, at run time.
import { join, dirname, resolve } from 'node:path';
import type { Graph, Stage } from '../compile/ir.js';
import type { Store } from '../store/Store.js';
import { stageKey, type KeyComponents, type KeyInput } from '../store/keyComponents.js';
import { stageImpl } from '../stages/registry.js';
import { resolveModel } from '../ml/models/locateModel.js';
import { BUILTIN_MODEL_TABLE } from '../registry/models.js';
import { modelContentHash, FileHashCache } from './modelContentHash.js';
import { TaskFingerprints, refKey } from './taskFingerprints.js';
import { dataRefOf, type DataRef } from '../ml/data/types.js';
import { findMethod } from '../registry/index.js';
import { canonicalJson, sha256 } from '../store/canonical.js';

export type StageKeyResult =
  | { readonly ok: true; readonly key: string; readonly components: KeyComponents }
  | { readonly ok: false; readonly error: string; readonly errorName?: string; readonly blockedBy?: string };

export interface KeyOptions {
  readonly fingerprints?: TaskFingerprints;
  readonly env?: NodeJS.ProcessEnv;
}

function tasksOf(s: Stage): string[] {
  // a merge that reads only weights (average, task_arithmetic, ties, ...) reads no task data:
  // its key must not depend on (or wait for) data sets it never opens
  if (s.kind === 'merge' && findMethod(s.method)?.needsTaskData !== true) return [];
  const t = new Set<string>();
  if (s.task) t.add(s.task);
  for (const x of s.tasks ?? []) t.add(x);
  return [...t].sort();
}

/** Keys of every stage of a graph. */
export async function computeKeys(graph: Graph, store: Store, opts: KeyOptions = {}): Promise<Map<string, StageKeyResult>> {
  const fps = opts.fingerprints ?? new TaskFingerprints(join(store.cache, 'fingerprints.json'));
  const hashCache = new FileHashCache(join(store.cache, 'filehash.json'));
  const out = new Map<string, StageKeyResult>();
  // fingerprint every task once, concurrently, before the (synchronous) key pass
  // a user-declared data set (`dataset d = imagefolder("dir")`) is loaded by its path, as the stages do
  const refName = (s: Stage, t: string): string => refKey(dataRefOf(t, s.datasets?.[t]));
  const allTasks = new Map<string, DataRef>();
  for (const s of graph.stages) for (const t of tasksOf(s)) allTasks.set(refName(s, t), dataRefOf(t, s.datasets?.[t]));
  const fpOf = new Map<string, Awaited<ReturnType<TaskFingerprints['get']>>>();
  await Promise.all([...allTasks].map(async ([k, ref]) => { fpOf.set(k, await fps.get(ref)); }));
  for (const s of graph.stages) {
    const inputs: KeyInput[] = [];
    let blocked: StageKeyResult | undefined;
    for (const i of s.inputs) {
      const r = out.get(i.stage);
      if (!r) throw new Error(`graph is not topologically ordered: ${s.id} reads ${i.stage} before it is defined`);
      if (!r.ok) { blocked = { ok: false, error: `input ${i.stage} cannot be keyed`, blockedBy: i.stage }; break; }
      inputs.push({ role: i.role, ...(i.task ? { task: i.task } : {}), stage: i.stage, key: r.key });
    }
    if (blocked) { out.set(s.id, blocked); continue; }
    const datasets: Record<string, string> = {};
    let dsError: string | undefined;
    for (const t of tasksOf(s)) {
      const f = fpOf.get(refName(s, t))!;
      const src = s.datasets?.[t];
      // a declared data set's loader and its parameters are part of what the stage reads
      if (f.ok) datasets[t] = src ? sha256(canonicalJson({ data: f.fingerprint, loader: src.loader, params: src.params })) : f.fingerprint;
      else { dsError = f.error; break; }
    }
    if (dsError) { out.set(s.id, { ok: false, error: dsError, errorName: 'DatasetUnavailable' }); continue; }
    const impl = stageImpl(s);
    let content: string | null = null;
    let params = s.params;
    if (impl.external === 'model-files' && s.method !== 'init') {
      // the files' content identifies the model; where it lives and what it is called do not
      const { path: _p, name: _n, ...rest } = s.params;
      params = rest;
      try { content = modelContentHash(resolveModel(s, BUILTIN_MODEL_TABLE, opts.env ?? process.env, graph.file ? dirname(resolve(graph.file)) : undefined), hashCache); } catch (e) {
        out.set(s.id, { ok: false, error: (e as Error).message, errorName: (e as Error).name });
        continue;
      }
    }
    const seed = s.params['seed'];
    const components: KeyComponents = {
      kind: s.kind, method: s.method, params, inputs, datasets, version: impl.version,
      seed: typeof seed === 'number' ? seed : null, content,
    };
    out.set(s.id, { ok: true, key: stageKey(components), components });
  }
  hashCache.flush();
  return out;
}
