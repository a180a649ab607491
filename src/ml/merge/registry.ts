// The ordered list of merging methods: `fbw merge --help` shows them in this order, and a new
// method is one file in this folder plus one line here.
import type { MergeMethod } from './method.js';
import { UnknownMergeMethod } from './errors.js';
import { didYouMean } from '../../util/suggest.js';
import { simpleAverage } from './simpleAverage.js';
import { weightedAverage } from './weightedAverage.js';
import { taskArithmetic } from './taskArithmetic.js';
import { ties } from './ties.js';
import { dareTaskArithmetic, dareTies, dareSimpleAverage } from './dare.js';

/** Every streaming (state-dict level) merging method, in display order. */
export const mergeMethods: readonly MergeMethod[] = [
  simpleAverage,
  weightedAverage,
  taskArithmetic,
  ties,
  dareTaskArithmetic,
  dareTies,
  dareSimpleAverage,
];

/** Look a method up by name or alias ('average', 'ties', 'dare', ...); unknown names get a hint. */
export function findMergeMethod(name: string): MergeMethod {
  const key = name.toLowerCase().replace(/-/g, '_');
  const m = mergeMethods.find((x) => x.name === key || x.aliases?.includes(key));
  if (m) return m;
  const all = mergeMethods.flatMap((x) => [x.name, ...(x.aliases ?? [])]);
  throw new UnknownMergeMethod(name, didYouMean(name, all), mergeMethods.map((x) => x.name));
}
