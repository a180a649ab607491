// Every name resolves: models, data sets, pools and `let` names, defined before use (FBW0101,
// FBW0102, FBW0103, FBW0110, FBW0116), with a did-you-mean hint built from what is in scope.
import { error } from '../../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../../diagnostics/codes.js';
import { datasetNames, modelNames, poolNames } from '../../registry/index.js';
import type * as A from '../../syntax/ast.js';
import { KEYWORDS } from '../../syntax/tokens.js';
import { didYouMean } from '../../util/suggest.js';
import type { CheckContext, Rule } from '../CheckContext.js';
import type { Lookup, Symbol, SymbolKind } from '../scope.js';

type Expect = 'model' | 'task' | 'tasks' | 'ref';

const NOUN: { readonly [E in Expect]: string } = { model: 'model', task: 'dataset', tasks: 'pool or dataset', ref: 'name' };

function declared(ctx: CheckContext, kinds: readonly SymbolKind[], at: number): string[] {
  return ctx.scope.definitions.filter((s) => kinds.includes(s.kind) && s.at < at).map((s) => s.name.text);
}

function candidates(ctx: CheckContext, expect: Expect, at: number): { names: string[]; datasets: Set<string> } {
  const ds = [...datasetNames(), ...declared(ctx, ['dataset'], at)];
  switch (expect) {
    case 'model': return { names: [...modelNames(), ...declared(ctx, ['model'], at)], datasets: new Set() };
    case 'task': return { names: ds, datasets: new Set(ds) };
    case 'tasks': return { names: [...poolNames(), ...declared(ctx, ['pool'], at), ...ds], datasets: new Set(ds) };
    case 'ref': return { names: [...modelNames(), ...declared(ctx, ['model', 'models', 'let'], at), ...KEYWORDS], datasets: new Set() };
    default: return expect satisfies never;
  }
}

function check<T>(ctx: CheckContext, name: A.Name, expect: Expect, at: number, r: Lookup<T>): void {
  if (r.ok) return;
  const why = r.why;
  switch (why.kind) {
    case 'broken': return;
    case 'later': {
      const self = why.symbol.at === at;
      const loop = self ? undefined : cycleBack(ctx, why.symbol, at);
      const how = expect === 'model' ? 'fine-tuning starts from a model (model NAME = ...); to train on several tasks in sequence use `continual`' : 'a let can only use names defined above it';
      if (self) ctx.report(error('FBW0110', name.span, `'${name.text}' refers to itself: a let cannot use the name it defines`, how));
      else if (loop) ctx.report(error('FBW0110', name.span, `'${name.text}' is part of a cycle: ${loop.join(' uses ')}`, `break the cycle: ${how}`));
      else ctx.report(error('FBW0110', name.span, `'${name.text}' is used before its definition`, `it is defined at line ${why.symbol.name.span.line}; move that statement above this one`));
      return;
    }
    case 'wrong': {
      // `let T = [mnist, cars]` reads as a merge of lets; a list of data sets is a pool
      const poolHint = 'a list of datasets is named with `pool NAME = [a, b]`; let names a pipeline';
      const tasksAsRef = expect === 'ref' && /dataset|pool/.test(why.actual);
      const letAsTasks = why.symbol?.kind === 'let' && (expect === 'tasks' || expect === 'task');
      const extra = why.symbol?.kind === 'let' && expect === 'model' ? '; fine-tuning starts from a model (model NAME = ...), not from a let' : letAsTasks ? `; ${poolHint}` : '';
      ctx.report(error('FBW0116', name.span, `'${name.text}' is ${why.actual}, not a ${NOUN[expect]}`, why.symbol ? `it is defined at line ${why.symbol.name.span.line}${extra}` : tasksAsRef ? poolHint : undefined));
      return;
    }
    case 'unknown': {
      const { names, datasets } = candidates(ctx, expect, at);
      const s = didYouMean(name.text, names);
      if (s && KEYWORDS.includes(s)) {
        ctx.report(error('FBW0002', name.span, `unknown keyword '${name.text}'`, `did you mean '${s}'?`));
        return;
      }
      const code: DiagnosticCode = expect === 'model' ? 'FBW0101' : expect === 'task' ? 'FBW0102' : expect === 'tasks' && s !== undefined && datasets.has(s) ? 'FBW0102' : 'FBW0103';
      const noun = code === 'FBW0102' ? 'dataset' : NOUN[expect];
      const hint = s ? `did you mean '${s}'?` : expect === 'model' ? `built-in models: ${modelNames().slice(0, 4).join(', ')}; or declare one: model mine = "path/to/snapshot"` : expect === 'ref' ? 'define it first with let or model' : undefined;
      ctx.report(error(code, name.span, `unknown ${noun} '${name.text}'`, hint));
      return;
    }
    default: why satisfies never;
  }
}

/** Names a statement's pipeline refers to (its source model or refs). */
function refsOf(stmt: A.Statement): A.Name[] {
  if (stmt.kind !== 'let' && stmt.kind !== 'pipeline') return [];
  const src = stmt.pipeline.source;
  switch (src.kind) {
    case 'finetune': case 'pretrain': case 'eval': return [src.model];
    case 'ref': return [src.name];
    case 'refs': return [...src.names];
    default: return src satisfies never;
  }
}

/**
 * When statement `at` uses a later let that (through later lets) uses statement `at`'s own
 * name, the path of names around the cycle (`b uses c uses b`); moving statements cannot fix it.
 */
function cycleBack(ctx: CheckContext, later: Symbol, at: number): string[] | undefined {
  const start = ctx.program.statements[at];
  if (start?.kind !== 'let') return undefined;
  const seen = new Set<number>();
  const walk = (sym: Symbol, path: string[]): string[] | undefined => {
    if (seen.has(sym.at)) return undefined;
    seen.add(sym.at);
    for (const n of refsOf(sym.stmt)) {
      if (n.text === start.name.text) return [...path, n.text];
      const next = ctx.scope.symbols.get(n.text);
      if (next && next.kind === 'let') { const r = walk(next, [...path, n.text]); if (r) return r; }
    }
    return undefined;
  };
  return walk(later, [start.name.text, later.name.text]);
}

function taskList(ctx: CheckContext, list: A.TaskList, at: number): void {
  if (list.kind === 'ref') check(ctx, list.name, 'tasks', at, ctx.scope.pool(list.name.text, at));
  else for (const n of list.items) check(ctx, n, 'task', at, ctx.scope.task(n.text, at));
}

function pipeline(ctx: CheckContext, p: A.Pipeline, at: number): void {
  const src = p.source;
  switch (src.kind) {
    case 'finetune':
      check(ctx, src.model, 'model', at, ctx.scope.model(src.model.text, at));
      taskList(ctx, src.tasks, at);
      break;
    case 'pretrain': // from a built-in (random init) or from a model value (a second phase)
      check(ctx, src.model, 'model', at, ctx.scope.model(src.model.text, at, true));
      taskList(ctx, src.tasks, at);
      break;
    case 'eval':
      check(ctx, src.model, 'model', at, ctx.scope.model(src.model.text, at, true));
      taskList(ctx, src.tasks, at);
      break;
    case 'ref': check(ctx, src.name, 'ref', at, ctx.scope.ref(src.name.text, at)); break;
    case 'refs': for (const n of src.names) check(ctx, n, 'ref', at, ctx.scope.ref(n.text, at)); break;
    default: src satisfies never;
  }
  for (const s of p.steps) if (s.kind === 'eval') taskList(ctx, s.tasks, at);
}

/** FBW0101/0102/0103/0110/0116: unknown, misplaced or not-yet-defined names. */
export const KnownNamesRule: Rule = (ctx) => {
  ctx.program.statements.forEach((s, at) => {
    switch (s.kind) {
      case 'model':
        if (s.value.kind === 'builtin') check(ctx, s.value.name, 'model', at, ctx.scope.model(s.value.name.text, at));
        if (s.from) check(ctx, s.from, 'model', at, ctx.scope.model(s.from.text, at));
        break;
      case 'models':
        // a built-in pool's name is checked by ModelPoolRule (it has its own list of names)
        if (s.from) check(ctx, s.from, 'model', at, ctx.scope.model(s.from.text, at));
        if (s.value.kind === 'map') for (const m of s.value.members) check(ctx, m.task, 'task', at, ctx.scope.task(m.task.text, at));
        break;
      case 'pool': taskList(ctx, s.tasks, at); break;
      case 'let': case 'pipeline': pipeline(ctx, s.pipeline, at); break;
      case 'dataset': case 'report': break;
      default: s satisfies never;
    }
  });
};
