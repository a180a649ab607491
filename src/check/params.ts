// Method arguments -> resolved parameters. Each argument (and each element of a sweep) is
// validated with ajv against its parameter's JSON Schema, so an error points at the exact value.
// Shared by the checker (diagnostics) and the compiler (resolved params, sweep points).
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import { cloneJson, type Json } from '../util/json.js';
import { error, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { JsonSchema, MethodDef } from '../registry/index.js';
import type * as A from '../syntax/ast.js';
import { didYouMean } from '../util/suggest.js';

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<JsonSchema, ValidateFunction>();

function validatorFor(schema: JsonSchema): ValidateFunction {
  let v = validators.get(schema);
  if (!v) { v = ajv.compile(schema); validators.set(schema, v); }
  return v;
}

/** The literal as JSON (bare words are strings: `bias=none`, `on=ties`). */
export function toJson(v: A.Value): Json {
  switch (v.kind) {
    case 'number': case 'string': case 'bool': case 'word': return v.value;
    case 'null': return null;
    case 'list': return v.items.map(toJson);
    case 'object': return Object.fromEntries(v.entries.map((e) => [e.key.text, toJson(e.value)]));
    default: return v satisfies never;
  }
}

function acceptsArray(s: JsonSchema): boolean {
  const t = s['type'];
  return t === 'array' || (Array.isArray(t) && t.includes('array'));
}

/** A parameter's properties across the calls of one statement (`continual lora(...)` pools both). */
export interface ParamSpace {
  readonly defs: readonly MethodDef[];
  readonly props: ReadonlyMap<string, JsonSchema>;
}

const spaces = new Map<string, ParamSpace>();

/** The parameter space of one or more method definitions (later defs win on shared names); memoised. */
export function paramSpace(defs: readonly MethodDef[]): ParamSpace {
  const key = defs.map((d) => d.name).join('+');
  const cached = spaces.get(key);
  if (cached) return cached;
  const space = buildSpace(defs);
  spaces.set(key, space);
  return space;
}

function buildSpace(defs: readonly MethodDef[]): ParamSpace {
  const props = new Map<string, JsonSchema>();
  for (const d of defs) for (const [k, s] of Object.entries(d.schema.properties)) props.set(k, s);
  return { defs, props };
}

/** One parameter as the user gave it: a single value or a sweep over values. */
export interface GivenParam {
  readonly name: string;
  readonly values: readonly Json[];
  readonly sweep: boolean;
  readonly span: Span;
}

/** The user's parameters (for lowering) and the diagnostics (for checking). */
export interface ArgsResult {
  readonly given: readonly GivenParam[];
  readonly diagnostics: readonly Diagnostic[];
}

function describe(e: ErrorObject, schema: JsonSchema): { msg: string; hint?: string } {
  const path = e.instancePath.slice(1).split('/').filter(Boolean);
  const where = path.length === 0 ? '' : /^\d+$/.test(path[0]!) ? ` (item ${Number(path[0]) + 1})` : ` (field ${path.join('.')})`;
  switch (e.keyword) {
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return { msg: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}${where}` };
    }
    case 'type': return { msg: `must be ${String((e.params as { type: unknown }).type).replace(',', ' or ')}${where}` };
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const props = Object.keys((schema['properties'] as object | undefined) ?? {});
      const s = didYouMean(extra, props);
      return { msg: `has no field '${extra}'${where}`, hint: s ? `did you mean '${s}'?` : `fields: ${props.join(', ')}` };
    }
    default: return { msg: `${e.message ?? 'is invalid'}${where}` };
  }
}

/** The span of the part of `node` that ajv's instancePath points at (a list item, an object field). */
function narrow(node: A.Value, path: string): Span {
  const seg = path.split('/').filter(Boolean)[0];
  if (seg === undefined) return node.span;
  if (node.kind === 'list' && /^\d+$/.test(seg)) return node.items[Number(seg)]?.span ?? node.span;
  if (node.kind === 'object') return node.entries.find((e) => e.key.text === seg)?.value.span ?? node.span;
  return node.span;
}

function check(name: string, node: A.Value, schema: JsonSchema, out: Diagnostic[]): void {
  const value = toJson(node);
  const v = validatorFor(schema);
  if (v(value)) return;
  const errs = v.errors ?? [];
  // ajv reports each branch of a type union; the first error says enough
  const e = errs.find((x) => x.keyword !== 'type') ?? errs[0]!;
  const span = e.keyword === 'additionalProperties' && node.kind === 'object'
    ? node.entries.find((x) => x.key.text === (e.params as { additionalProperty: string }).additionalProperty)?.key.span ?? node.span
    : narrow(node, e.instancePath);
  const { msg, hint } = describe(e, e.instancePath ? ((schema['properties'] as { [k: string]: JsonSchema } | undefined)?.[e.instancePath.slice(1).split('/')[0]!] ?? schema) : schema);
  let h = hint;
  // the offending part of the value: a list item or an object field when ajv points inside it
  const bad = e.instancePath ? e.instancePath.slice(1).split('/').reduce<unknown>((v, k) => (v as { [k: string]: unknown } | undefined)?.[k], value) : value;
  if (e.keyword === 'enum' && typeof bad === 'string') {
    const s = didYouMean(bad, ((e.params as { allowedValues: unknown[] }).allowedValues).map(String));
    if (s) h = `did you mean '${s}'?`;
  }
  // one shape for every value hint: what the parameter means, then its default
  if (h === undefined) {
    const parts = [schema['description'] !== undefined ? String(schema['description']) : '', schema['default'] !== undefined ? `the default is ${JSON.stringify(schema['default'])}` : ''].filter(Boolean);
    if (parts.length > 0) h = parts.join('; ');
  }
  const shown = e.keyword === 'additionalProperties' ? value : bad;
  out.push(error('FBW0106', span, `invalid value ${JSON.stringify(shown)} for parameter '${name}': ${msg}`, h));
}

/**
 * Parameter names from other tools (FusionBench/Hydra configs, PEFT, PyTorch habits) and the
 * fbw parameter they mean: what "did you mean" suggests before edit distance does, which
 * would turn `lr` into `r` (LoRA's rank). Suggested only when the method has that parameter.
 */
export const OTHER_TOOLS_SPELLINGS: { readonly [spelling: string]: string } = {
  lr: 'learning_rate',
  learningrate: 'learning_rate',
  rank: 'r',
  lora_r: 'r',
  lora_rank: 'r',
  alpha: 'lora_alpha',
  dropout: 'lora_dropout',
  steps: 'num_steps',
  max_steps: 'num_steps',
  epochs: 'num_steps',
  bs: 'batch_size',
  batch: 'batch_size',
  wd: 'weight_decay',
  scaling_coef: 'scaling_factor',
  scaling_coefficient: 'scaling_factor',
  lambda: 'scaling_factor',
  lam: 'scaling_factor',
  density: 'threshold',
  topk: 'threshold',
  top_k: 'threshold',
};

/** Validate the arguments of the calls of one statement against a parameter space. */
export function checkArgs(calls: readonly A.Call[], space: ParamSpace, what: string): ArgsResult {
  const out: Diagnostic[] = [];
  const given: GivenParam[] = [];
  const seen = new Map<string, Span>();
  const positional = space.defs.find((d) => d.positional)?.positional;
  for (const call of calls) {
    call.args.forEach((arg, i) => {
      let name = arg.name?.text;
      if (name === undefined) {
        if (positional && i === 0) name = positional;
        else {
          out.push(error('FBW0117', arg.span, `parameters of ${what} are named`, space.props.size ? `write name=value, e.g. ${[...space.props.keys()][0]}=...` : `${what} takes no parameters`));
          return;
        }
      }
      const nameSpan = arg.name?.span ?? arg.span;
      const spelled = name;
      // another spelling of a parameter, maybe in another unit (ties(k=0.2) = threshold=20)
      const alias = space.props.has(name) ? undefined : space.defs.map((d) => d.paramAliases?.[spelled]).find((a) => a !== undefined);
      if (alias) name = alias.to;
      const schema = alias ? alias.schema : space.props.get(name);
      if (!schema) {
        const usual = OTHER_TOOLS_SPELLINGS[name];
        const s = (usual !== undefined && space.props.has(usual) ? usual : undefined)
          ?? didYouMean(name, space.props.keys()) ?? [...space.props.keys()].find((k) => k.endsWith(`_${name}`) || k.startsWith(`${name}_`));
        const all = [...space.props.keys()];
        out.push(error('FBW0105', nameSpan, `unknown parameter '${name}' for ${what}`, s ? `did you mean '${s}'?` : all.length ? `parameters: ${all.join(', ')}` : `${what} takes no parameters`));
        return;
      }
      const prev = seen.get(name);
      if (prev) {
        out.push(error('FBW0107', nameSpan, `parameter '${name}' is given twice${spelled !== name ? ` (here as '${spelled}')` : ''}`, `the first is at line ${prev.line}, column ${prev.column}`));
        return;
      }
      seen.set(name, nameSpan);
      const conv = (j: Json): Json => (alias?.convert ? alias.convert(j) : j);
      const v = arg.value;
      const isSweep = v.kind === 'list' && (!acceptsArray(schema) || (v.items.length > 0 && v.items.every((x) => x.kind === 'list')));
      if (isSweep && v.kind === 'list') {
        if (v.items.length === 0) { out.push(error('FBW0120', v.span, `the sweep over '${spelled}' is empty`, 'give at least one value')); return; }
        for (const item of v.items) check(spelled, item, schema, out);
        given.push({ name, values: v.items.map((x) => conv(toJson(x))), sweep: true, span: arg.span });
      } else {
        check(spelled, v, schema, out);
        given.push({ name, values: [conv(toJson(v))], sweep: false, span: arg.span });
      }
    });
  }
  // parameters that apply only for some values of a selector (dare's TIES knobs need on=ties)
  for (const def of space.defs) {
    for (const g of given) {
      const rule = def.appliesWhen?.[g.name];
      if (!rule) continue;
      const sel = given.find((x) => x.name === rule.param);
      const values = sel ? sel.values : [(def.schema.properties[rule.param]?.['default'] ?? null) as Json];
      const bad = values.find((x) => !rule.values.includes(x));
      if (bad !== undefined) {
        out.push(error('FBW0105', g.span, `parameter '${g.name}' applies only to ${def.name}(${rule.param}=${rule.values.join('|')}), not ${rule.param}=${String(bad)}`,
          `write ${def.name}(${rule.param}=${String(rule.values[0])}, ...) or drop '${g.name}'`));
      }
    }
  }
  return { given, diagnostics: out };
}

function clone(j: Json): Json {
  return cloneJson(j);
}

function isObj(j: Json | undefined): j is { readonly [k: string]: Json } {
  return typeof j === 'object' && j !== null && !Array.isArray(j);
}

/** Defaults of every parameter in the space, with one point of the user's values laid over them. */
export function resolveParams(space: ParamSpace, point: ReadonlyMap<string, Json>): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const [k, s] of space.props) out[k] = s['default'] === undefined ? null : clone(s['default'] as Json);
  for (const [k, v] of point) {
    const d = out[k];
    out[k] = isObj(d) && isObj(v) ? { ...d, ...v } : clone(v);
  }
  for (const def of space.defs) {
    for (const [a, b] of def.exclusive ?? []) if (point.has(b) && !point.has(a)) out[a] = null;
  }
  return out;
}

/** Cartesian product of the sweeps: every point, in source order of the swept parameters. */
export function sweepPoints(given: readonly GivenParam[]): { point: Map<string, Json>; swept: [string, Json][] }[] {
  let points: { point: Map<string, Json>; swept: [string, Json][] }[] = [{ point: new Map(), swept: [] }];
  for (const g of given) {
    const next: typeof points = [];
    for (const p of points) {
      for (const v of g.values) {
        const point = new Map(p.point);
        point.set(g.name, v);
        next.push({ point, swept: g.sweep ? [...p.swept, [g.name, v]] : p.swept });
      }
    }
    points = next;
  }
  return points;
}
