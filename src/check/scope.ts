// Name resolution shared by the rules and the compiler: what a name means at a given statement.
// Definitions are visible only after their statement (a use before it is FBW0110).
import { dirname, isAbsolute, resolve } from 'node:path';
import type * as A from '../syntax/ast.js';
import { findBuiltinDataset, findBuiltinModel, modelFolderArchitecture, BUILTIN_POOLS, type BuiltinModel } from '../registry/index.js';

/** What a `model` / `dataset` / `pool` / `let` statement defines. */
export type SymbolKind = 'model' | 'dataset' | 'pool' | 'let';

/** One definition. */
export interface Symbol {
  readonly kind: SymbolKind;
  readonly name: A.Name;
  /** index of the defining statement */
  readonly at: number;
  readonly stmt: A.Statement;
}

/** What a model name means. */
export type ModelMeaning =
  | { readonly kind: 'builtin'; readonly model: BuiltinModel; readonly name: string }
  | { readonly kind: 'declared'; readonly symbol: Symbol; readonly stmt: Extract<A.Statement, { kind: 'model' }> }
  | { readonly kind: 'let'; readonly symbol: Symbol; readonly stmt: Extract<A.Statement, { kind: 'let' }> };

/** What a task name means. */
export type TaskMeaning =
  | { readonly kind: 'builtin'; readonly canonical: string }
  | { readonly kind: 'declared'; readonly symbol: Symbol; readonly stmt: Extract<A.Statement, { kind: 'dataset' }> };

/** Why a name did not resolve. */
export type Unresolved =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'later'; readonly symbol: Symbol }
  | { readonly kind: 'wrong'; readonly symbol?: Symbol; readonly actual: string }
  | { readonly kind: 'broken' };

/** A resolution result: the meaning, or why there is none. */
export type Lookup<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: Unresolved };

const ok = <T>(value: T): Lookup<T> => ({ ok: true, value });
const no = <T>(why: Unresolved): Lookup<T> => ({ ok: false, why });

/** The symbol table of one program. */
export class Scope {
  /** first definition of each name */
  readonly symbols = new Map<string, Symbol>();
  /** every definition, in order (duplicates included) */
  readonly definitions: Symbol[] = [];
  readonly broken: Set<string>;

  /** `baseDir`: the folder relative model paths resolve against (default: the file's folder) */
  constructor(readonly program: A.Program, readonly baseDir: string = dirname(resolve(program.file))) {
    this.broken = new Set(program.broken.map((n) => n.text));
    program.statements.forEach((stmt, at) => {
      switch (stmt.kind) {
        case 'model': case 'dataset': case 'pool': case 'let': {
          const sym: Symbol = { kind: stmt.kind, name: stmt.name, at, stmt };
          this.definitions.push(sym);
          if (!this.symbols.has(stmt.name.text)) this.symbols.set(stmt.name.text, sym);
          break;
        }
        case 'report': case 'pipeline': break;
        default: stmt satisfies never;
      }
    });
  }

  private visible(name: string, at: number): Lookup<Symbol> | undefined {
    const s = this.symbols.get(name);
    if (!s) return this.broken.has(name) ? no({ kind: 'broken' }) : undefined;
    return s.at < at ? ok(s) : no({ kind: 'later', symbol: s });
  }

  /** A model name: declared `model`, built-in, or (when allowLet) a `let` holding models. */
  model(name: string, at: number, allowLet = false): Lookup<ModelMeaning> {
    const v = this.visible(name, at);
    if (v && v.ok) {
      const s = v.value;
      if (s.stmt.kind === 'model') return ok({ kind: 'declared', symbol: s, stmt: s.stmt });
      if (s.stmt.kind === 'let' && allowLet) return ok({ kind: 'let', symbol: s, stmt: s.stmt });
      return no({ kind: 'wrong', symbol: s, actual: s.kind === 'let' ? 'a pipeline (let)' : `a ${s.kind}` });
    }
    const b = findBuiltinModel(name);
    if (b) return ok({ kind: 'builtin', model: b, name: b.name });
    if (v) return no(v.why);
    if (findBuiltinDataset(name)) return no({ kind: 'wrong', actual: 'a dataset' });
    if (BUILTIN_POOLS[name]) return no({ kind: 'wrong', actual: 'a pool' });
    return no({ kind: 'unknown' });
  }

  /** One task (data set) name. */
  task(name: string, at: number): Lookup<TaskMeaning> {
    const v = this.visible(name, at);
    if (v && v.ok) {
      const s = v.value;
      if (s.stmt.kind === 'dataset') return ok({ kind: 'declared', symbol: s, stmt: s.stmt });
      return no({ kind: 'wrong', symbol: s, actual: s.kind === 'let' ? 'a pipeline (let)' : `a ${s.kind}` });
    }
    const b = findBuiltinDataset(name);
    if (b) return ok({ kind: 'builtin', canonical: b.name });
    if (v) return no(v.why);
    if (BUILTIN_POOLS[name]) return no({ kind: 'wrong', actual: 'a pool (use it without brackets)' });
    if (findBuiltinModel(name)) return no({ kind: 'wrong', actual: 'a model' });
    return no({ kind: 'unknown' });
  }

  /** A bare task-list name: a pool, or a single data set. Returns the member names as written. */
  pool(name: string, at: number): Lookup<{ readonly names: readonly (A.Name | string)[]; readonly at: number }> {
    const v = this.visible(name, at);
    if (v && v.ok) {
      const s = v.value;
      if (s.stmt.kind === 'pool') {
        // `pool quick = LOCAL_QUICK`: an alias of another pool (or one data set), resolved where it was written
        if (s.stmt.tasks.kind === 'ref') return this.pool(s.stmt.tasks.name.text, s.at);
        return ok({ names: s.stmt.tasks.items, at: s.at });
      }
      if (s.stmt.kind === 'dataset') return ok({ names: [name], at });
      return no({ kind: 'wrong', symbol: s, actual: s.kind === 'let' ? 'a pipeline (let)' : `a ${s.kind}` });
    }
    const p = BUILTIN_POOLS[name];
    if (p) return ok({ names: p, at });
    if (findBuiltinDataset(name)) return ok({ names: [name], at });
    if (v) return no(v.why);
    if (findBuiltinModel(name)) return no({ kind: 'wrong', actual: 'a model' });
    return no({ kind: 'unknown' });
  }

  private readonly archCache = new Map<string, string | undefined>();

  /** Architecture of a `model NAME = "path"` declaration, from its config.json when the path exists
   *  (a ResNet is a plain classifier: no zero-shot heads); undefined when unknown. */
  declaredArchitecture(stmt: Extract<A.Statement, { kind: 'model' }>): string | undefined {
    if (stmt.value.kind !== 'path') return undefined;
    const p = isAbsolute(stmt.value.path) ? stmt.value.path : resolve(this.baseDir, stmt.value.path);
    if (!this.archCache.has(p)) this.archCache.set(p, modelFolderArchitecture(p));
    return this.archCache.get(p);
  }

  /** A pipeline reference: a `let` name, or a model (a pretrained model is a one-model value). */
  ref(name: string, at: number): Lookup<ModelMeaning> {
    return this.model(name, at, true);
  }

  /** Canonical task names of a task list, or undefined if any member does not resolve.
   *  `keepRepeats`: a pretrain's list, where a task named k times is sampled k times as often. */
  tasks(list: A.TaskList, at: number, keepRepeats = false): string[] | undefined {
    const names: (A.Name | string)[] = [];
    let where = at;
    if (list.kind === 'list') names.push(...list.items);
    else {
      const p = this.pool(list.name.text, at);
      if (!p.ok) return undefined;
      // a pool's members are resolved where the pool was defined
      names.push(...p.value.names);
      where = p.value.at;
    }
    const out: string[] = [];
    for (const n of names) {
      const text = typeof n === 'string' ? n : n.text;
      const t = this.task(text, where);
      if (!t.ok) return undefined;
      out.push(t.value.kind === 'builtin' ? t.value.canonical : t.value.symbol.name.text);
    }
    return keepRepeats ? out : [...new Set(out)];
  }
}
