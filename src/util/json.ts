// The JSON value type, shared by every floor that stores or hashes plain data (resolved
// parameters, configs, keys); it lives at the bottom so no lower floor reaches up to the IR for it.

/** A JSON value, as stored in resolved parameters and persisted files. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** A deep copy of a JSON value (a default handed out must not be shared with the catalogue). */
export function cloneJson<T extends Json>(j: T): T {
  return structuredClone(j);
}
