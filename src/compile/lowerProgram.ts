// Checked AST -> typed DAG. Semantics of `finetune M on TASKS METHOD then MERGES -> eval POOL`:
// one `pretrained` stage per model, one zero-shot head per (model, task), one fine-tune per task
// (or one continual / multitask stage), one merge per method and sweep point (inputs: base + all
// fine-tuned models), and for `-> eval POOL` the zero-shot baseline on every pool task, each
// fine-tuned model on its own task, each merged model on every pool task; one report per file.
import { dirname, isAbsolute, resolve } from 'node:path';
import type { DatasetSource, Graph, Json, SourceRef, Stage, StageInput } from './ir.js';
import { GraphBuilder } from './GraphBuilder.js';
import { Scope } from '../check/scope.js';
import { finetuneSpec, mergeDefs, pretrainSpec } from '../check/methods.js';
import { checkArgs, paramSpace, resolveParams, sweepPoints, type GivenParam } from '../check/params.js';
import { findMethod, RESNET_ARCHITECTURE, type MethodDef } from '../registry/index.js';
import type * as A from '../syntax/ast.js';

/** Options of lowering (and of compileWorkflow). */
export interface LowerOptions {
  /** folder that relative paths in the workflow are resolved against (default: the file's folder) */
  readonly baseDir?: string;
}

/** A pretrained model a branch descends from. */
interface Base { readonly id: string; readonly name: string; readonly architecture?: string }

type Role = 'pretrained' | 'finetuned' | 'merged' | 'single';

interface ModelOut {
  readonly id: string;
  readonly role: Role;
  /** eval row label */
  readonly row: string;
  /** short name for eval stage ids */
  readonly short: string;
  readonly task?: string;
  readonly device?: string;
}

interface Branch {
  readonly base: Base;
  readonly models: readonly ModelOut[];
  /** the per-task fine-tuned models this branch came from (for the individual rows) */
  readonly finetunes: readonly ModelOut[];
  /** sweep point of the fine-tune, for ids: '' or '[r=4]' */
  readonly suffix: string;
  /** the `let` name the branch was bound to, for readable ids when methods repeat */
  readonly origin?: string;
}

type Value = { readonly kind: 'models'; readonly branches: readonly Branch[] } | { readonly kind: 'metrics' };

/** `k=v` as a user would write it. */
function showJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(showJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${showJson(x)}`).join(', ')}}`;
  return typeof v === 'string' ? (/^[A-Za-z_][\w-]*$/.test(v) ? v : JSON.stringify(v)) : String(v);
}

/** A ResNet base (a plain image classifier, no text tower): no zero-shot heads anywhere. */
const isResNet = (b: Base): boolean => b.architecture === RESNET_ARCHITECTURE;

const showArgs = (pairs: readonly (readonly [string, Json])[]): string => pairs.map(([k, v]) => `${k}=${showJson(v)}`).join(', ');
/** Same, for stage ids (used in file names): no spaces. */
const idArgs = (pairs: readonly (readonly [string, Json])[]): string => pairs.map(([k, v]) => `${k}=${showJson(v).replace(/ /g, '')}`).join(',');

class Lowering {
  readonly b = new GraphBuilder();
  readonly scope: Scope;
  readonly evals: { id: string; task: string }[] = [];
  private readonly evalIds = new Set<string>();
  readonly trained: string[] = [];
  private readonly letValues = new Map<string, Value>();
  private reportDir: string | null = null;
  /** the let being lowered, if any */
  private letName: string | undefined;
  private readonly heads = new Map<string, string>();
  /** several per-task fine-tune statements in one file: their "individual" report rows name the
   *  method, or the report would fold different methods into one row */
  private readonly nameIndividualRows: boolean;

  constructor(readonly program: A.Program, readonly baseDir: string) {
    this.scope = new Scope(program, baseDir);
    const perTask = program.statements.filter((s) => ((s.kind === 'let' || s.kind === 'pipeline') && s.pipeline.source.kind === 'finetune'
      && !s.pipeline.source.methods.some((m) => m.name.text === 'continual' || m.name.text === 'multitask')) || s.kind === 'models');
    this.nameIndividualRows = perTask.length > 1;
  }

  private path(p: string): string {
    return isAbsolute(p) ? p : resolve(this.baseDir, p);
  }

  run(): Graph {
    this.program.statements.forEach((s, at) => {
      switch (s.kind) {
        case 'let':
          this.letName = s.name.text;
          this.letValues.set(s.name.text, this.pipeline(s.pipeline, at));
          this.letName = undefined;
          break;
        case 'pipeline': this.pipeline(s.pipeline, at); break;
        case 'report': this.reportDir = this.path(s.path); break;
        case 'model': case 'models': case 'dataset': case 'pool': break;
        default: s satisfies never;
      }
    });
    this.nameBaselineRows();
    if (this.evals.length > 0) {
      const inputs: StageInput[] = [
        ...this.evals.map((e) => ({ stage: e.id, role: 'metrics', task: e.task })),
        ...this.trained.map((id) => ({ stage: id, role: 'train_log' })),
      ];
      const tasks = [...new Set(this.evals.map((e) => e.task))];
      // the report's key covers its tasks' data, declared sets by their folders like every other stage
      const declared = this.datasets(tasks, this.program.statements.length - 1);
      this.b.add({ kind: 'report', method: 'table', tasks, params: { dir: this.reportDir }, inputs, output: 'report', label: 'report', ...declared }, ['report']);
    }
    return { file: this.program.file, stages: this.b.list() };
  }

  // ---- names -------------------------------------------------------------------------------

  /** The pretrained stage of a model name (built-in or declared). */
  private base(name: string, at: number): Base {
    const m = this.scope.model(name, at);
    if (!m.ok) throw new Error(`defect: unresolved model '${name}' after check`);
    const v = m.value;
    switch (v.kind) {
      case 'builtin': {
        const bm = v.model;
        const id = this.b.add({ kind: 'pretrained', method: 'builtin', params: { name: bm.name, repo: bm.repo, architecture: bm.architecture }, inputs: [], output: 'model', architecture: bm.architecture, label: bm.name }, [`model.${bm.name}`]);
        return { id, name: bm.name, architecture: bm.architecture };
      }
      case 'declared': {
        const d = v.stmt.value;
        if (d.kind === 'builtin') return this.base(d.name.text, v.symbol.at);
        const from = this.scope.baseOf(v.stmt);
        if (from !== undefined) {
          // a fine-tune of `from` used as a starting point: completed with from's towers where it lacks them
          const fb = this.base(from, v.symbol.at);
          return { id: this.member(name, d.path, fb, v.stmt.span), name, ...(fb.architecture ? { architecture: fb.architecture } : {}) };
        }
        const path = this.path(d.path);
        // a ResNet folder (config.json model_type "resnet") is known at compile time: it gets no zero-shot heads
        const architecture = this.scope.declaredArchitecture(v.stmt);
        const arch = architecture ? { architecture } : {};
        const id = this.b.add({ kind: 'pretrained', method: 'local', params: { name, path }, inputs: [], output: 'model', ...arch, label: name, source: v.stmt.span }, [`model.${name}`]);
        return { id, name, ...arch };
      }
      case 'let': case 'pool': throw new Error(`defect: '${name}' is a ${v.kind} where a model is needed`);
      default: return v satisfies never;
    }
  }

  /** The stage of a checkpoint fine-tuned from `base` (a pool member, or `model a = "..." from base`):
   *  a hub repo id is resolved in the hub cache when it runs; a vision-only checkpoint is completed
   *  there with the base's text tower, so every later stage sees a whole CLIP. */
  private member(name: string, value: string, base: Base, source: SourceRef | undefined): string {
    const src = this.scope.checkpoint(value);
    const params: { [k: string]: Json } = src.kind === 'hub' ? { name, repo: src.repo } : { name, path: src.path };
    const arch = base.architecture ? { architecture: base.architecture } : {};
    return this.b.add({ kind: 'pretrained', method: src.kind === 'hub' ? 'hub' : 'local', params, inputs: [{ stage: base.id, role: 'base' }], output: 'model', ...arch, label: name, ...(source ? { source } : {}) }, [`model.${name}`]);
  }

  /** A model pool as a branch: its base, and one fine-tuned model per task (like a per-task fine-tune). */
  private pool(stmt: Extract<A.Statement, { kind: 'models' }>, at: number): Value {
    const base = this.base(this.scope.baseOf(stmt)!, at);
    const pool = stmt.name.text;
    const models: ModelOut[] = this.scope.poolMembers(stmt, at).map((m) => {
      const id = this.member(`${pool}.${m.task}`, m.value, base, m.span ?? stmt.span);
      const row = ['fine-tuned (individual)', ...(this.nameIndividualRows ? [pool] : [])].join(' ');
      return { id, role: 'finetuned', row, short: pool, task: m.task };
    });
    return { kind: 'models', branches: [{ base, models, finetunes: models, suffix: '', origin: pool }] };
  }

  /** Several models evaluated as the zero-shot baseline would share the row 'pretrained (zero-shot)'
   *  and the report would keep one: name each after its model. */
  private nameBaselineRows(): void {
    const row = 'pretrained (zero-shot)';
    const evals = this.b.list().filter((s) => s.kind === 'eval' && s.params['row'] === row);
    const models = new Set(evals.map((s) => s.inputs.find((i) => i.role === 'model')!.stage));
    if (models.size < 2) return;
    for (const e of evals) {
      const m = this.b.list().find((s) => s.id === e.inputs.find((i) => i.role === 'model')!.stage)!;
      this.b.relabel(e.id, `${row} ${m.label}`, `${row} ${m.label} on ${e.task}`);
    }
  }

  private tasks(list: A.TaskList, at: number): string[] {
    const t = this.scope.tasks(list, at);
    if (!t) throw new Error('defect: unresolved task list after check');
    return t;
  }

  /** Declared data sets among `tasks`, for stage.datasets. */
  private datasets(tasks: readonly string[], at: number): { datasets?: { [t: string]: DatasetSource } } {
    if (tasks.length === 1) {
      // names are unique after check, so a task's source never changes: cache it
      let c = this.datasetCache.get(tasks[0]!);
      if (c === undefined) { c = this.datasetsOf(tasks, at); this.datasetCache.set(tasks[0]!, c); }
      return c;
    }
    return this.datasetsOf(tasks, at);
  }

  private readonly datasetCache = new Map<string, { datasets?: { [t: string]: DatasetSource } }>();

  private datasetsOf(tasks: readonly string[], at: number): { datasets?: { [t: string]: DatasetSource } } {
    const out: { [t: string]: DatasetSource } = {};
    for (const t of tasks) {
      const r = this.scope.task(t, at + 1);
      if (!r.ok || r.value.kind !== 'declared') continue;
      const loader = r.value.stmt.loader;
      const def = findMethod(loader.name.text)!;
      const given = checkArgs([loader], paramSpace([def]), def.name).given;
      const params = resolveParams(paramSpace([def]), new Map(given.map((g) => [g.name, g.values[0]!])));
      const { path, ...rest } = params;
      out[t] = { loader: def.name as DatasetSource['loader'], path: this.path(String(path)), params: rest };
    }
    return Object.keys(out).length ? { datasets: out } : {};
  }

  private head(base: Base, task: string, at: number): string {
    const k = `${base.id}\u0000${task}`;
    const known = this.heads.get(k);
    if (known !== undefined) return known;
    const id = this.b.add({ kind: 'zeroshot_head', method: 'zeroshot', task, params: {}, inputs: [{ stage: base.id, role: 'model' }], output: 'head', ...(base.architecture ? { architecture: base.architecture } : {}), label: `zero-shot head ${task}`, ...this.datasets([task], at) }, [`head.${base.name}.${task}`]);
    this.heads.set(k, id);
    return id;
  }

  private device(d: A.Device | undefined): { device?: string } {
    return d ? { device: d.index === undefined ? d.name.text : `${d.name.text}:${d.index}` } : {};
  }

  // ---- pipelines ---------------------------------------------------------------------------

  private pipeline(p: A.Pipeline, at: number): Value {
    let v = this.source(p.source, at);
    for (const step of p.steps) {
      switch (step.kind) {
        case 'merge': v = this.merge(v, step, at); break;
        case 'eval': this.evaluate(v, this.tasks(step.tasks, at), at, this.device(step.device)); v = { kind: 'metrics' }; break;
        case 'save':
          if (v.kind === 'models') for (const br of v.branches) for (const m of br.models) this.b.saveTo(m.id, this.path(step.path));
          break;
        default: step satisfies never;
      }
    }
    return v;
  }

  private refValue(name: string, at: number): Value {
    const r = this.scope.ref(name, at);
    if (!r.ok) throw new Error(`defect: unresolved '${name}' after check`);
    if (r.value.kind === 'let') {
      const v = this.letValues.get(name) ?? { kind: 'metrics' as const };
      return v.kind === 'models' ? { kind: 'models', branches: v.branches.map((b) => ({ ...b, origin: b.origin ?? name })) } : v;
    }
    if (r.value.kind === 'pool') return this.pool(r.value.stmt, r.value.symbol.at);
    const from = r.value.kind === 'declared' ? this.scope.baseOf(r.value.stmt) : undefined;
    if (r.value.kind === 'declared' && from !== undefined && r.value.stmt.value.kind === 'path') {
      // `model a = "..." from base`: a fine-tuned model, evaluated on every task and merged against base
      const fromBase = this.base(from, r.value.symbol.at);
      const id = this.member(name, r.value.stmt.value.path, fromBase, r.value.stmt.span);
      return { kind: 'models', branches: [{ base: fromBase, models: [{ id, role: 'single', row: name, short: name }], finetunes: [], suffix: '' }] };
    }
    const base = this.base(name, at);
    const m: ModelOut = { id: base.id, role: 'pretrained', row: 'pretrained (zero-shot)', short: base.name };
    return { kind: 'models', branches: [{ base, models: [m], finetunes: [], suffix: '' }] };
  }

  private source(src: A.Source, at: number): Value {
    switch (src.kind) {
      case 'finetune': return this.finetune(src, at);
      case 'pretrain': return this.pretrain(src, at);
      case 'eval': {
        const v = this.refValue(src.model.text, at);
        this.evaluate(v, this.tasks(src.tasks, at), at, this.device(src.device));
        return { kind: 'metrics' };
      }
      case 'ref': return this.refValue(src.name.text, at);
      case 'refs': {
        const vals = src.names.map((n) => this.refValue(n.text, at));
        const branches = vals.flatMap((v) => (v.kind === 'models' ? v.branches : []));
        // several names feed one merge: one branch holding every model
        const first = branches[0];
        if (!first) return { kind: 'metrics' };
        return { kind: 'models', branches: [{ base: first.base, models: branches.flatMap((b) => b.models), finetunes: branches.flatMap((b) => b.finetunes), suffix: '' }] };
      }
      default: return src satisfies never;
    }
  }

  /** Given params of one call set, their sweep points, and the resolved params of each point. */
  private points(calls: readonly A.Call[], defs: readonly MethodDef[]): { params: { [k: string]: Json }; explicit: [string, Json][]; swept: [string, Json][] }[] {
    const space = paramSpace(defs);
    const given: readonly GivenParam[] = checkArgs(calls, space, '').given;
    return sweepPoints(given).map(({ point, swept }) => ({ params: resolveParams(space, point), explicit: [...point.entries()], swept }));
  }

  private finetune(src: Extract<A.Source, { kind: 'finetune' }>, at: number): Value {
    const spec = finetuneSpec(src.methods)!;
    const base = this.base(src.model.text, at);
    const tasks = this.tasks(src.tasks, at);
    const defs = spec.mode ? [spec.base, spec.mode] : [spec.base];
    const dev = this.device(src.device);
    const branches: Branch[] = [];
    for (const pt of this.points(spec.calls, defs)) {
      const { devices, gradient_checkpointing, ...params } = pt.params;
      const nDev = typeof devices === 'number' && devices > 1 ? { devices } : {};
      const gc = gradient_checkpointing === true ? { gradient_checkpointing: true } : {};
      const suffix = pt.swept.length ? `[${idArgs(pt.swept)}]` : '';
      const callText = `${spec.base.name}${pt.explicit.length ? `(${showArgs(pt.explicit)})` : ''}`;
      const arch = base.architecture ? { architecture: base.architecture } : {};
      if (spec.mode) {
        const inputs: StageInput[] = [{ stage: base.id, role: 'base' }, ...tasks.map((t) => ({ stage: this.head(base, t, at), role: 'head', task: t }))];
        const kind = spec.mode.stageKind as 'continual' | 'multitask';
        const short = `${kind}.${spec.base.name}${suffix}`;
        const id = this.b.add({ kind, method: spec.base.name, tasks, params, inputs, output: 'model', ...arch, ...dev, ...nDev, ...gc, label: `${kind} ${callText}`, source: src.span, ...this.datasets(tasks, at) }, [short, `${short}.${base.name}`]);
        this.trained.push(id);
        const m: ModelOut = { id, role: 'single', row: kind === 'multitask' ? 'multi-task' : 'continual', short, ...dev };
        branches.push({ base, models: [m], finetunes: [], suffix, ...(this.letName ? { origin: this.letName } : {}) });
      } else {
        const models: ModelOut[] = tasks.map((t) => {
          // a ResNet trains its own classifier: no zero-shot head
          const inputs: StageInput[] = [{ stage: base.id, role: 'base' }, ...(isResNet(base) ? [] : [{ stage: this.head(base, t, at), role: 'head', task: t }])];
          const variant = `${spec.base.name}${params['head'] === 'linear' ? '+linear' : ''}`;
          const stem = `finetune.${variant}${suffix}`;
          const all = `finetune.${variant}[${idArgs(pt.explicit.filter(([k]) => k !== 'head'))}]`;
          const id = this.b.add({ kind: 'finetune', method: spec.base.name, task: t, params, inputs, output: 'model', ...arch, ...dev, ...nDev, ...gc, label: `${callText} on ${t}`, source: src.span, ...this.datasets([t], at) }, [`${stem}.${t}`, ...(this.letName ? [`${stem}.${this.letName}.${t}`] : []), `${stem}.${base.name}.${t}`, `${all}.${t}`, `${all}.${base.name}.${t}`]);
          this.trained.push(id);
          const short = id.endsWith(`.${t}`) ? id.slice('finetune.'.length, -(t.length + 1)) : id.slice('finetune.'.length);
          return { id, role: 'finetuned', row: ['fine-tuned (individual)', ...(this.nameIndividualRows ? [callText] : []), ...(suffix ? [suffix] : [])].join(' '), short, task: t, ...dev };
        });
        branches.push({ base, models, finetunes: models, suffix, ...(this.letName ? { origin: this.letName } : {}) });
      }
    }
    return { kind: 'models', branches };
  }

  /** Where a pretrain starts: a built-in name (or a `model` alias of one) is a random init of its
   *  architecture; a model folder or a `let` holding one model is continued from (a second phase). */
  private pretrainStart(name: string, at: number): { id: string; name: string; architecture?: string } {
    const r = this.scope.ref(name, at);
    if (!r.ok) throw new Error(`defect: unresolved model '${name}' after check`);
    const v = r.value;
    let bm = v.kind === 'builtin' ? v.model : undefined;
    if (v.kind === 'declared' && v.stmt.value.kind === 'builtin') {
      const inner = this.scope.ref(v.stmt.value.name.text, v.symbol.at);
      if (inner.ok && inner.value.kind === 'builtin') bm = inner.value.model;
    }
    if (bm) {
      const arch = bm.architecture ? { architecture: bm.architecture } : {};
      const id = this.b.add({ kind: 'pretrained', method: 'init', params: { name: bm.name, architecture: bm.architecture ?? null }, inputs: [], output: 'model', ...arch, label: `${bm.name} (random init)` }, [`init.${bm.name}`]);
      return { id, name: bm.name, ...arch };
    }
    if (v.kind === 'declared') return this.base(name, at);
    const val = this.refValue(name, at);
    const m = val.kind === 'models' ? val.branches[0]?.models[0] : undefined;
    if (!m) throw new Error(`defect: pretrain from '${name}', which holds no model, after check`);
    const archOf = val.kind === 'models' ? val.branches[0]!.base.architecture : undefined;
    return { id: m.id, name, ...(archOf ? { architecture: archOf } : {}) };
  }

  private pretrain(src: Extract<A.Source, { kind: 'pretrain' }>, at: number): Value {
    const def = pretrainSpec(src.methods)!;
    const start = this.pretrainStart(src.model.text, at);
    const name = start.name;
    const architecture = start.architecture;
    const arch = architecture ? { architecture } : {};
    const init = start.id;
    // repeats are kept: a task named k times is sampled k times as often
    const tasks = this.scope.tasks(src.tasks, at, true);
    if (!tasks) throw new Error('defect: unresolved task list after check');
    const dev = this.device(src.device);
    const branches: Branch[] = [];
    for (const pt of this.points(src.methods, [def])) {
      const { devices, gradient_checkpointing, ...params } = pt.params;
      const nDev = typeof devices === 'number' && devices > 1 ? { devices } : {};
      const gc = gradient_checkpointing === true ? { gradient_checkpointing: true } : {};
      const suffix = pt.swept.length ? `[${idArgs(pt.swept)}]` : '';
      const short = `pretrain.${def.name}${suffix}`;
      const id = this.b.add({ kind: 'pretrain', method: def.name, tasks, params, inputs: [{ stage: init, role: 'base' }], output: 'model', ...arch, ...dev, ...nDev, ...gc, label: `pretrain ${name} ${def.name}${pt.explicit.length ? `(${showArgs(pt.explicit)})` : ''}`, source: src.span, ...this.datasets([...new Set(tasks)], at) }, [`${short}.${name}`]);
      this.trained.push(id);
      // the pretrained model is the base of whatever follows: its own text tower builds the heads
      const own: Base = { id, name: `${name}-pretrained${suffix}`, ...arch };
      branches.push({ base: own, models: [{ id, role: 'pretrained', row: 'pretrained (zero-shot)', short: own.name }], finetunes: [], suffix });
    }
    return { kind: 'models', branches };
  }

  private merge(v: Value, step: Extract<A.Step, { kind: 'merge' }>, at: number): Value {
    if (v.kind !== 'models') throw new Error('defect: merge of metrics after check');
    const defs = mergeDefs(step.methods);
    const dev = this.device(step.device);
    const branches: Branch[] = v.branches.map((br) => {
      const models: ModelOut[] = [];
      const tasks = br.models.map((m) => m.task).filter((t): t is string => t !== undefined);
      step.methods.forEach((call, i) => {
        const def = defs[i]!;
        for (const pt of this.points([call], [def])) {
          const { devices, gradient_checkpointing, ...params } = pt.params;
          const nDev = typeof devices === 'number' && devices > 1 ? { devices } : {};
          const gc = gradient_checkpointing === true ? { gradient_checkpointing: true } : {};
          const inputs: StageInput[] = [{ stage: br.base.id, role: 'base' }, ...br.models.map((m) => (m.task !== undefined ? { stage: m.id, role: 'model', task: m.task } : { stage: m.id, role: 'model' }))];
          if (def.needsTaskData || def.stageKind === 'ensemble') for (const t of new Set(tasks)) inputs.push({ stage: this.head(br.base, t, at), role: 'head', task: t });
          const sweep = pt.swept.length ? `[${idArgs(pt.swept)}]` : '';
          const label = `${call.name.text === def.name ? def.name : call.name.text}${pt.explicit.length ? `(${showArgs(pt.explicit)})` : ''}`;
          const kind = def.stageKind === 'ensemble' ? 'ensemble' : 'merge';
          const stem = `${kind}.${def.name}${sweep}`;
          const id = this.b.add({ kind, method: def.name, tasks: [...new Set(tasks)], params, inputs, output: 'model', ...(br.base.architecture ? { architecture: br.base.architecture } : {}), ...dev, ...nDev, ...gc, label, source: step.span }, [...(br.suffix ? [] : [stem]), `${stem}${br.suffix}`, ...(br.origin ? [`${stem}${br.suffix}.${br.origin}`] : []), `${kind}.${def.name}[${idArgs(pt.explicit)}]${br.suffix}`, `${stem}.${br.base.name}${br.suffix}`]);
          models.push({ id, role: 'merged', row: br.suffix ? `${label} ${br.suffix}` : label, short: id.replace(/^(merge|ensemble)\./, ''), ...dev });
        }
      });
      return { ...br, models };
    });
    return { kind: 'models', branches };
  }

  private evalStage(m: ModelOut, base: Base, task: string, at: number, dev: { device?: string }): void {
    // a ResNet is evaluated with its own classifier: no zero-shot head
    const inputs: StageInput[] = [{ stage: m.id, role: 'model' }, ...(isResNet(base) ? [] : [{ stage: this.head(base, task, at), role: 'head', task }])];
    const id = this.b.add({ kind: 'eval', method: 'accuracy', task, params: { row: m.row }, inputs, output: 'metrics', ...(base.architecture ? { architecture: base.architecture } : {}), ...dev, label: `${m.row} on ${task}`, ...this.datasets([task], at) }, [`eval.${m.short}.${task}`, `eval.${m.short}.${base.name}.${task}`]);
    if (!this.evalIds.has(id)) { this.evalIds.add(id); this.evals.push({ id, task }); }
  }

  private evaluate(v: Value, pool: readonly string[], at: number, dev: { device?: string }): void {
    if (v.kind !== 'models') throw new Error('defect: eval of metrics after check');
    for (const br of v.branches) {
      // the zero-shot baseline of the base model on every pool task
      const pre: ModelOut = { id: br.base.id, role: 'pretrained', row: 'pretrained (zero-shot)', short: br.base.name };
      for (const t of pool) this.evalStage(pre, br.base, t, at, dev);
      for (const f of br.finetunes) this.evalStage(f, br.base, f.task!, at, dev);
      for (const m of br.models) {
        switch (m.role) {
          case 'pretrained': case 'finetuned': break; // covered above
          case 'merged': case 'single': for (const t of pool) this.evalStage(m, br.base, t, at, dev); break;
          default: m.role satisfies never;
        }
      }
    }
  }
}

/** Lower a program that checked clean to its DAG (stages in topological order). */
export function lowerProgram(program: A.Program, opts: LowerOptions = {}): Graph {
  return new Lowering(program, opts.baseDir ?? dirname(resolve(program.file))).run();
}

export type { Stage };
