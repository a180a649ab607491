// What a stage key is made of (DESIGN.md §3). Persisted in every manifest and in the stage
// index, so `fbw why` can say which component changed since the last committed result.
import type { Json } from '../util/json.js';
import { canonicalJson, lengthPrefixed, sha256 } from './canonical.js';

export interface KeyInput {
  readonly role: string;
  readonly task?: string;
  /** producing stage id: recorded for `fbw why`, not hashed (renaming a stage is not new work) */
  readonly stage: string;
  readonly key: string;
}

export interface KeyComponents {
  readonly kind: string;
  readonly method: string;
  readonly params: Json;
  readonly inputs: readonly KeyInput[];
  /** task -> dataset fingerprint, for stage.task / stage.tasks */
  readonly datasets: { readonly [task: string]: string };
  /** implementation version of the stage kind (stages/registry.ts) */
  readonly version: string;
  readonly seed: number | null;
  /** content hash of external files the stage reads (a pretrained model's weights), or null */
  readonly content: string | null;
}

const KEY_FORMAT = 'fbw-stage-key-v1';

/** The stage key: sha256 of the length-prefixed canonical encoding of its components. */
export function stageKey(c: KeyComponents): string {
  const inputs = c.inputs.map((i) => ({ role: i.role, task: i.task ?? null, key: i.key }));
  const bytes = lengthPrefixed([
    ['format', KEY_FORMAT],
    ['kind', c.kind],
    ['method', c.method],
    ['params', canonicalJson(c.params)],
    ['inputs', canonicalJson(inputs)],
    ['datasets', canonicalJson(c.datasets)],
    ['version', c.version],
    ['seed', canonicalJson(c.seed)],
    ['content', canonicalJson(c.content)],
  ]);
  return sha256(bytes);
}
