// What a pipeline produces, worked out before anything runs: a set of models (how many, from
// which base, of which architecture) or evaluation results. Rules use it for type errors
// (merge needs >= 2 models of one architecture, eval needs a model, save needs one model).
import type * as A from '../syntax/ast.js';
import type { Scope } from './scope.js';
import { finetuneSpec } from './methods.js';
import { findMethod } from '../registry/index.js';

/** A set of models flowing through a pipeline. */
export interface ModelsType {
  readonly kind: 'models';
  /** number of models, or undefined when an unresolved name makes it unknowable */
  readonly count: number | undefined;
  /** identity of the pretrained model each model descends from ('clip', 'model:mine', ...) */
  readonly bases: readonly string[];
  /** architecture ids where known ('clip-vit-b32', ...); undefined for local files */
  readonly architectures: readonly (string | undefined)[];
  /** what the models are, for messages: 'pretrained model', 'fine-tuned models', ... */
  readonly what: string;
}

/** What a pipeline produces; 'unknown' when an unresolved name (already reported) hides it. */
export type ValueType = ModelsType | { readonly kind: 'metrics' } | { readonly kind: 'unknown' };

/** Called for each step with the value flowing into it. */
export type StepVisitor = (step: A.Step, incoming: ValueType) => void;

const UNKNOWN: ValueType = { kind: 'unknown' };

/** Type of a pretrained model name (built-in, declared or a let). */
export function modelNameType(scope: Scope, name: string, at: number, seen: Set<string> = new Set()): ValueType {
  const m = scope.ref(name, at);
  if (!m.ok) return UNKNOWN;
  switch (m.value.kind) {
    case 'builtin': return { kind: 'models', count: 1, bases: [m.value.name], architectures: [m.value.model.architecture], what: `pretrained model '${name}'` };
    case 'declared': {
      const v = m.value.stmt.value;
      if (v.kind === 'builtin') {
        const inner = modelNameType(scope, v.name.text, m.value.symbol.at, seen);
        return inner.kind === 'models' ? { ...inner, what: `pretrained model '${name}'` } : inner;
      }
      // `model a = "..." from base`: a fine-tune of base, mergeable with base's other fine-tunes
      const from = scope.baseOf(m.value.stmt);
      if (from !== undefined) {
        const b = modelNameType(scope, from, m.value.symbol.at, seen);
        return b.kind === 'models' ? { ...b, count: 1, what: `fine-tuned model '${name}'` } : b;
      }
      return { kind: 'models', count: 1, bases: [`model:${name}`], architectures: [scope.declaredArchitecture(m.value.stmt)], what: `pretrained model '${name}'` };
    }
    case 'pool': {
      const from = scope.baseOf(m.value.stmt);
      if (from === undefined) return UNKNOWN;
      const b = modelNameType(scope, from, m.value.symbol.at, seen);
      if (b.kind !== 'models') return b;
      const n = scope.poolMembers(m.value.stmt, m.value.symbol.at).length;
      return { kind: 'models', count: n, bases: Array(n).fill(b.bases[0]), architectures: Array(n).fill(b.architectures[0]), what: `model pool '${name}'` };
    }
    case 'let': {
      if (seen.has(name)) return UNKNOWN;
      seen.add(name);
      return pipelineType(m.value.stmt.pipeline, scope, m.value.symbol.at, undefined, seen);
    }
    default: return m.value satisfies never;
  }
}

function sourceType(src: A.Source, scope: Scope, at: number, seen: Set<string>): ValueType {
  switch (src.kind) {
    case 'finetune': {
      const base = modelNameType(scope, src.model.text, at, seen);
      if (base.kind !== 'models') return UNKNOWN;
      const spec = finetuneSpec(src.methods);
      const tasks = scope.tasks(src.tasks, at);
      const single = spec?.mode !== undefined;
      const count = single ? 1 : tasks?.length;
      const n = count ?? 0;
      return { kind: 'models', count, bases: Array(n).fill(base.bases[0]), architectures: Array(n).fill(base.architectures[0]), what: single ? `the ${spec!.mode!.name} model` : 'fine-tuned models' };
    }
    case 'pretrain': {
      const b = modelNameType(scope, src.model.text, at, seen);
      if (b.kind !== 'models') return UNKNOWN;
      return { kind: 'models', count: 1, bases: [`pretrain:${src.model.text}`], architectures: b.architectures.slice(0, 1), what: 'the pretrained model' };
    }
    case 'eval': return { kind: 'metrics' };
    case 'ref': return modelNameType(scope, src.name.text, at, seen);
    case 'refs': {
      const parts = src.names.map((n) => modelNameType(scope, n.text, at, new Set(seen)));
      if (parts.some((p) => p.kind === 'metrics')) return { kind: 'metrics' };
      if (parts.some((p) => p.kind !== 'models')) return UNKNOWN;
      const ms = parts as ModelsType[];
      const count = ms.some((m) => m.count === undefined) ? undefined : ms.reduce((a, m) => a + m.count!, 0);
      return { kind: 'models', count, bases: ms.flatMap((m) => m.bases), architectures: ms.flatMap((m) => m.architectures), what: 'the listed models' };
    }
    default: return src satisfies never;
  }
}

function sweepCount(call: A.Call): number {
  const def = findMethod(call.name.text);
  let n = 1;
  for (const a of call.args) {
    if (a.value.kind !== 'list' || !a.name) continue;
    const s = def?.schema.properties[a.name.text];
    const t = s?.['type'];
    const arrayValued = t === 'array' || (Array.isArray(t) && t.includes('array'));
    if (!arrayValued || a.value.items.every((x) => x.kind === 'list')) n *= Math.max(1, a.value.items.length);
  }
  return n;
}

/** Type of a whole pipeline; `visit` sees each step with its incoming value. */
export function pipelineType(p: A.Pipeline, scope: Scope, at: number, visit?: StepVisitor, seen: Set<string> = new Set()): ValueType {
  let cur = sourceType(p.source, scope, at, seen);
  for (const step of p.steps) {
    visit?.(step, cur);
    switch (step.kind) {
      case 'merge': {
        if (cur.kind !== 'models') { cur = cur.kind === 'metrics' ? UNKNOWN : cur; break; }
        const n = step.methods.reduce((a, c) => a + sweepCount(c), 0);
        cur = { kind: 'models', count: n, bases: Array(n).fill(cur.bases[0]), architectures: Array(n).fill(cur.architectures[0]), what: n === 1 ? 'the merged model' : 'the merged models' };
        break;
      }
      case 'eval': cur = cur.kind === 'unknown' ? cur : { kind: 'metrics' }; break;
      case 'save': break;
      default: step satisfies never;
    }
  }
  return cur;
}
