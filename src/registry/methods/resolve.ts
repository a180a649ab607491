// Arguments → a method's resolved parameters, by the catalogue's schema and nothing else. Two
// doors: values a user gave (`fbw merge`, a YAML config: aliases converted, each value validated,
// defaults filled, errors name the parameter) and the params the compiler already resolved into a
// stage (every parameter present and of its schema's type, or the stage is a defect: no silent
// default below the catalogue).
import { Ajv, type ValidateFunction } from 'ajv';
import { cloneJson, type Json } from '../../util/json.js';
import { didYouMean } from '../../util/suggest.js';
import type { ArgsOf, JsonSchema, MethodDef, Props } from './MethodDef.js';

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map<JsonSchema, ValidateFunction>();

/** ajv's validator of one parameter schema (compiled once). */
export function validatorFor(schema: JsonSchema): ValidateFunction {
  let v = validators.get(schema);
  if (!v) { v = ajv.compile(schema); validators.set(schema, v); }
  return v;
}

/** A parameter a user gave that is unknown, of the wrong type, out of range or not applicable. */
export class MethodParamError extends Error {
  constructor(readonly method: string, readonly param: string, reason: string) {
    super(`${method}: parameter '${param}' ${reason}`);
    this.name = 'MethodParamError';
  }
}

/** A stage whose resolved params do not fit its method's schema: a bug in fbw, not a user error. */
export class ResolvedParamsDefect extends Error {
  constructor(method: string, reason: string) {
    super(`defect: ${method}: ${reason} (stage params are resolved by the compiler from the catalogue)`);
    this.name = 'ResolvedParamsDefect';
  }
}

/** The value of a parameter's schema `default` (a deep copy), or undefined when it has none. */
export function defaultOf(schema: JsonSchema): Json | undefined {
  const d = schema['default'];
  return d === undefined ? undefined : cloneJson(d as Json) /* a schema's default is JSON: the catalogue is plain data */;
}

/** Every parameter's default (a method called with no arguments). */
export function defaultArgs<P extends Props>(def: MethodDef<P>): ArgsOf<P> {
  const out: { [k: string]: Json | undefined } = {};
  for (const [k, s] of Object.entries(def.schema.properties)) out[k] = defaultOf(s);
  return out as ArgsOf<P>;
}

/** One value against one parameter schema: undefined when valid, else ajv's reason. */
export function invalidReason(schema: JsonSchema, value: Json): string | undefined {
  const v = validatorFor(schema);
  if (v(value)) return undefined;
  const e = v.errors?.[0];
  if (!e) return 'is invalid';
  const where = e.instancePath ? ` (at ${e.instancePath.slice(1).replace(/\//g, '.')})` : '';
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
    const hint = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
    return `must be one of ${allowed.join(', ')}${where}${hint ? ` — did you mean '${hint}'?` : ''}`;
  }
  if (e.keyword === 'type') return `must be ${String((e.params as { type: unknown }).type).split(',').join(' or ')}${where}`;
  return `${e.message ?? 'is invalid'}${where}`;
}

/** The canonical name of a parameter spelled `name` (itself, or what its alias sets), if any. */
export function canonicalParam(def: MethodDef, name: string): string | undefined {
  if (name in def.schema.properties) return name;
  return def.paramAliases?.[name]?.to;
}

/** Parameters that do not apply to the selector's value (dare's TIES knobs with on=task_arithmetic). */
export function inapplicable(def: MethodDef, args: { readonly [k: string]: Json | undefined }, given: Iterable<string>): { param: string; selector: string; value: Json; values: readonly Json[] }[] {
  const out: { param: string; selector: string; value: Json; values: readonly Json[] }[] = [];
  for (const p of given) {
    const rule = def.appliesWhen?.[p];
    if (!rule) continue;
    const value = args[rule.param] ?? defaultOf(def.schema.properties[rule.param] ?? {}) ?? null;
    if (!rule.values.includes(value)) out.push({ param: p, selector: rule.param, value, values: rule.values });
  }
  return out;
}

/**
 * Values a user gave → the method's full arguments: aliases converted to their parameter, each value
 * validated against its schema, defaults filled. `preset` (a variant such as dare_ties) applies first.
 */
export function resolveArgs<P extends Props>(def: MethodDef<P>, raw: { readonly [k: string]: Json }, preset: { readonly [k: string]: Json } = {}): ArgsOf<P> {
  const props = def.schema.properties as Props;
  const names = Object.keys(props);
  const given = new Map<string, Json>(Object.entries(preset));
  const spelled = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    let name = k;
    let value = v;
    if (!(k in props)) {
      const alias = def.paramAliases?.[k];
      if (!alias) {
        const hint = didYouMean(k, [...names, ...Object.keys(def.paramAliases ?? {})]);
        throw new MethodParamError(def.name, k, `is unknown${hint ? ` — did you mean '${hint}'?` : ''} (parameters: ${names.join(', ') || 'none'})`);
      }
      const bad = invalidReason(alias.schema, v);
      if (bad) throw new MethodParamError(def.name, k, `${bad} (got ${JSON.stringify(v)}; ${alias.doc})`);
      name = alias.to;
      value = alias.convert ? alias.convert(v) : v;
    }
    if (spelled.has(name)) throw new MethodParamError(def.name, k, `sets '${name}', which is already given as '${spelled.get(name)}'`);
    spelled.set(name, k);
    const bad = invalidReason(props[name]!, value);
    if (bad) throw new MethodParamError(def.name, k === name ? k : `${k}' ('${name}`, `${bad} (got ${JSON.stringify(value)})`);
    given.set(name, value);
  }
  const out: { [k: string]: Json | undefined } = {};
  for (const k of names) {
    const d = defaultOf(props[k]!);
    const g = given.get(k);
    // an object-valued parameter (classifier's optimizer) lays the given fields over its default, as the compiler does
    out[k] = g === undefined ? d : isObject(g) && isObject(d) ? { ...d, ...g } : g;
  }
  for (const [a, b] of def.exclusive ?? []) if (given.has(b) && !given.has(a)) out[a] = null;
  const [wrong] = inapplicable(def, out, spelled.keys());
  if (wrong) throw new MethodParamError(def.name, wrong.param, `applies only with ${wrong.selector}=${wrong.values.join('|')} (this ${def.name} has ${wrong.selector}=${String(wrong.value)})`);
  return out as ArgsOf<P>;
}

function isObject(j: Json | undefined): j is { readonly [k: string]: Json } {
  return typeof j === 'object' && j !== null && !Array.isArray(j);
}

/** parameters the compiler moves out of params onto the stage itself */
const STAGE_FIELDS: ReadonlySet<string> = new Set(['devices', 'gradient_checkpointing']);

/**
 * A stage's params (resolved by the compiler from this catalogue) → typed arguments. A parameter
 * that is missing or does not fit its schema is a defect and throws: never a silent default.
 * Keys the method does not know (e.g. a mode's own parameters pooled into the stage) are ignored.
 */
export function argsOfStage<P extends Props>(def: MethodDef<P>, params: { readonly [k: string]: Json }): ArgsOf<P> {
  const out: { [k: string]: Json } = {};
  for (const [k, s] of Object.entries(def.schema.properties as Props)) {
    const v = params[k];
    if (v === undefined) {
      if (STAGE_FIELDS.has(k)) continue;
      throw new ResolvedParamsDefect(def.name, `parameter '${k}' is missing`);
    }
    const bad = invalidReason(s, v);
    if (bad) throw new ResolvedParamsDefect(def.name, `parameter '${k}' ${bad} (got ${JSON.stringify(v)})`);
    out[k] = v;
  }
  return out as ArgsOf<P>;
}
