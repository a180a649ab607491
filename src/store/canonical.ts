// Canonical encodings for anything hashed into a key: equal values must give equal bytes
// whatever the key order of their objects, and no two different component lists may collide.
import { createHash } from 'node:crypto';
import type { Json } from '../util/json.js';

/** JSON with object keys sorted at every level, so equal values encode identically. */
export function canonicalJson(value: Json | undefined): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v as Json)).join(',')}]`;
  const obj = value as { readonly [k: string]: Json };
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * Length-prefixed encoding of named fields: `<len(name)>:<name><len(value)>:<value>` per field,
 * in the given order. Lengths are UTF-8 byte counts, so no field boundary can be forged.
 */
export function lengthPrefixed(fields: readonly (readonly [string, string])[]): string {
  let out = '';
  for (const [name, value] of fields) out += `${Buffer.byteLength(name, 'utf8')}:${name}${Buffer.byteLength(value, 'utf8')}:${value}`;
  return out;
}

/** sha256 hex of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
