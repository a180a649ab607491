// The ordered list of data-driven merging methods (they need models, heads and task data, so
// they run in the merge stage, not in `fbw merge`). A new one is one file plus one line here.
import type { ModelMergeMethod } from './modelMerge.js';
import { fisherMerging } from './fisher.js';
import { regmean } from './regmean.js';
import { taskWiseAdaMerging, layerWiseAdaMerging } from './adamerging.js';

/** Every data-driven merging method, in display order. */
export const modelMergeMethods: readonly ModelMergeMethod[] = [
  fisherMerging,
  regmean,
  taskWiseAdaMerging,
  layerWiseAdaMerging,
];

/** The data-driven method called `name` (or an alias), if any. */
export function findModelMergeMethod(name: string): ModelMergeMethod | undefined {
  const key = name.toLowerCase().replace(/-/g, '_');
  return modelMergeMethods.find((m) => m.name === key || m.aliases?.includes(key));
}
