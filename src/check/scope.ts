// Name resolution shared by the rules and the compiler: what a name means at a given statement.
// Definitions are visible only after their statement (a use before it is FBW0110).
import { dirname, isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type * as A from '../syntax/ast.js';
import type { Span } from '../diagnostics/diagnostic.js';
import { findBuiltinDataset, findBuiltinModel, findBuiltinModelPool, modelFolderArchitecture, BUILTIN_POOLS, type BuiltinModel } from '../registry/index.js';
import { looksLikeHubId, resolveHubSnapshot } from '../ml/models/hubCache.js';

/** What a `model` / `dataset` / `pool` / `let` statement defines. */
export type SymbolKind = 'model' | 'models' | 'dataset' | 'pool' | 'let';

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
  | { readonly kind: 'let'; readonly symbol: Symbol; readonly stmt: Extract<A.Statement, { kind: 'let' }> }
  | { readonly kind: 'pool'; readonly symbol: Symbol; readonly stmt: Extract<A.Statement, { kind: 'models' }> };

/** Where a declared checkpoint is: a local folder or .safetensors file, or a Hugging Face repo id
 *  (resolved in the hub cache; `dir` when it is there). */
export type CheckpointSource =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'hub'; readonly repo: string; readonly dir?: string; readonly looked: readonly string[] };

/** One member of a model pool, its task canonical. */
export interface PoolMemberMeaning { readonly task: string; readonly value: string; readonly span: Span | undefined; readonly taskName: A.Name | undefined }

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

/** A symbol's kind for "X is ..., not a Y" messages. */
const describe = (s: Symbol): string => (s.kind === 'let' ? 'a pipeline (let)' : s.kind === 'models' ? 'a model pool (models)' : `a ${s.kind}`);

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
        case 'model': case 'models': case 'dataset': case 'pool': case 'let': {
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
      if (s.stmt.kind === 'models' && allowLet) return ok({ kind: 'pool', symbol: s, stmt: s.stmt });
      return no({ kind: 'wrong', symbol: s, actual: describe(s) });
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
      return no({ kind: 'wrong', symbol: s, actual: describe(s) });
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
      return no({ kind: 'wrong', symbol: s, actual: describe(s) });
    }
    const p = BUILTIN_POOLS[name];
    if (p) return ok({ names: p, at });
    if (findBuiltinDataset(name)) return ok({ names: [name], at });
    if (v) return no(v.why);
    if (findBuiltinModel(name)) return no({ kind: 'wrong', actual: 'a model' });
    return no({ kind: 'unknown' });
  }

  /** The base a model pool (or a `model x = "..." from base`) was fine-tuned from, as written
   *  (`from base`), or the built-in pool's own base; undefined when neither says. */
  baseOf(stmt: Extract<A.Statement, { kind: 'models' | 'model' }>): string | undefined {
    if (stmt.from) return stmt.from.text;
    if (stmt.kind === 'models' && stmt.value.kind === 'builtin') return findBuiltinModelPool(stmt.value.name.text)?.base;
    return undefined;
  }

  /** Members of a model pool (task names canonical where they resolve). */
  poolMembers(stmt: Extract<A.Statement, { kind: 'models' }>, at: number): PoolMemberMeaning[] {
    if (stmt.value.kind === 'builtin') {
      const p = findBuiltinModelPool(stmt.value.name.text);
      return p ? Object.entries(p.members).map(([task, repo]) => ({ task, value: repo, span: undefined, taskName: undefined })) : [];
    }
    return stmt.value.members.map((m) => {
      const t = this.task(m.task.text, at);
      const task = t.ok ? (t.value.kind === 'builtin' ? t.value.canonical : t.value.symbol.name.text) : m.task.text;
      return { task, value: m.path, span: m.span, taskName: m.task };
    });
  }

  private readonly sourceCache = new Map<string, CheckpointSource>();

  /** Where a declared checkpoint string points: an existing path (relative to the workflow), else
   *  a hub repo id when it is spelled like one, else the path (which the pretrained stage reports). */
  checkpoint(value: string, env: NodeJS.ProcessEnv = process.env): CheckpointSource {
    const known = this.sourceCache.get(value);
    if (known) return known;
    const p = isAbsolute(value) ? value : resolve(this.baseDir, value);
    let out: CheckpointSource;
    if (existsSync(p) || !looksLikeHubId(value)) out = { kind: 'path', path: p };
    else {
      const r = resolveHubSnapshot(value, env);
      out = { kind: 'hub', repo: value, ...(r.dir ? { dir: r.dir } : {}), looked: [p, ...r.looked] };
    }
    this.sourceCache.set(value, out);
    return out;
  }

  private readonly archCache = new Map<string, string | undefined>();

  /** Architecture of a `model NAME = "path"` declaration, from its config.json when the path exists
   *  (a ResNet is a plain classifier: no zero-shot heads); undefined when unknown. */
  declaredArchitecture(stmt: Extract<A.Statement, { kind: 'model' }>): string | undefined {
    if (stmt.value.kind !== 'path') return undefined;
    const src = this.checkpoint(stmt.value.path);
    const p = src.kind === 'path' ? src.path : src.dir;
    if (p === undefined) return undefined;
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
