// The visitor from Chevrotain's typed CST to the readonly AST. It only runs on statements that
// parsed without errors, so every required child is present.
import type { CstNode, IToken } from 'chevrotain';
import type { Span } from '../diagnostics/diagnostic.js';
import type * as A from './ast.js';
import type * as C from './cst.js';

/** Span of one token. */
export function tokenSpan(file: string, t: IToken): Span {
  return { file, line: t.startLine ?? 1, column: t.startColumn ?? 1, offset: t.startOffset, endOffset: (t.endOffset ?? t.startOffset) + 1 };
}

function nodeSpan(file: string, n: CstNode): Span {
  const l = n.location!;
  return { file, line: l.startLine ?? 1, column: l.startColumn ?? 1, offset: l.startOffset, endOffset: (l.endOffset ?? l.startOffset) + 1 };
}

/** The text of a string literal, escapes resolved. */
export function unquote(image: string): string {
  return image.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/** Converts the CST of one statement; `file` goes into every span. */
export class CstToAst {
  constructor(private readonly file: string) {}

  private name(t: IToken): A.Name { return { text: t.image, span: tokenSpan(this.file, t) }; }
  private span(n: CstNode): Span { return nodeSpan(this.file, n); }

  statement(n: C.StatementCstNode): A.Statement {
    const c = n.children;
    if (c.modelDecl) {
      const m = c.modelDecl[0]!;
      const str = m.children.StringLit?.[0];
      const value = str
        ? { kind: 'path' as const, path: unquote(str.image), span: tokenSpan(this.file, str) }
        : { kind: 'builtin' as const, name: this.name(m.children.Identifier[1]!) };
      const from = m.children.From ? m.children.Identifier[str ? 1 : 2] : undefined;
      return { kind: 'model', name: this.name(m.children.Identifier[0]!), value, ...(from ? { from: this.name(from) } : {}), span: this.span(m) };
    }
    if (c.modelsDecl) {
      const m = c.modelsDecl[0]!;
      const ids = m.children.Identifier;
      const from = m.children.From ? ids[1] : undefined;
      const map = m.children.modelMap?.[0];
      const value: A.ModelsValue = map
        ? {
          kind: 'map',
          members: (map.children.modelEntry ?? []).map((e) => {
            const s = e.children.StringLit[0]!;
            return { task: this.name(e.children.Identifier[0]!), path: unquote(s.image), span: tokenSpan(this.file, s) };
          }),
          span: this.span(map),
        }
        : { kind: 'builtin', name: this.name(ids[ids.length - 1]!) };
      return { kind: 'models', name: this.name(ids[0]!), ...(from ? { from: this.name(from) } : {}), value, span: this.span(m) };
    }
    if (c.datasetDecl) {
      const d = c.datasetDecl[0]!;
      return { kind: 'dataset', name: this.name(d.children.Identifier[0]!), loader: this.call(d.children.call[0]!), span: this.span(d) };
    }
    if (c.poolDecl) {
      const p = c.poolDecl[0]!;
      return { kind: 'pool', name: this.name(p.children.Identifier[0]!), tasks: this.taskList(p.children.taskList[0]!), span: this.span(p) };
    }
    if (c.letStmt) {
      const l = c.letStmt[0]!;
      return { kind: 'let', name: this.name(l.children.Identifier[0]!), pipeline: this.pipeline(l.children.pipeline[0]!), span: this.span(l) };
    }
    if (c.reportStmt) {
      const r = c.reportStmt[0]!;
      const s = r.children.StringLit[0]!;
      return { kind: 'report', path: unquote(s.image), pathSpan: tokenSpan(this.file, s), span: this.span(r) };
    }
    const p = c.pipeline![0]!;
    return { kind: 'pipeline', pipeline: this.pipeline(p), span: this.span(p) };
  }

  pipeline(n: C.PipelineCstNode): A.Pipeline {
    return { source: this.source(n.children.source[0]!), steps: (n.children.step ?? []).map((s) => this.step(s)), span: this.span(n) };
  }

  source(n: C.SourceCstNode): A.Source {
    const c = n.children;
    if (c.finetuneSource || c.pretrainSource) {
      const f = (c.finetuneSource ?? c.pretrainSource)![0]!;
      const fc = f.children;
      const dev = fc.device?.[0];
      return {
        kind: c.finetuneSource ? 'finetune' : 'pretrain',
        model: this.name(fc.Identifier[0]!),
        tasks: this.taskList(fc.taskList[0]!),
        methods: (fc.call ?? []).map((x) => this.call(x)),
        ...(dev ? { device: this.device(dev) } : {}),
        span: this.span(f),
      };
    }
    if (c.evalSource) {
      const e = c.evalSource[0]!;
      const dev = e.children.device?.[0];
      return { kind: 'eval', model: this.name(e.children.Identifier[0]!), tasks: this.taskList(e.children.taskList[0]!), ...(dev ? { device: this.device(dev) } : {}), span: this.span(e) };
    }
    if (c.refList) {
      const r = c.refList[0]!;
      return { kind: 'refs', names: r.children.Identifier.map((t) => this.name(t)), span: this.span(r) };
    }
    const t = c.Identifier![0]!;
    return { kind: 'ref', name: this.name(t), span: tokenSpan(this.file, t) };
  }

  step(n: C.StepCstNode): A.Step {
    const c = n.children;
    if (c.mergeStep) {
      const m = c.mergeStep[0]!;
      const list = m.children.callList?.[0];
      const methods = list ? (list.children.call ?? []).map((x) => this.call(x)) : [this.call(m.children.call![0]!)];
      const dev = m.children.device?.[0];
      return { kind: 'merge', methods, fanout: list !== undefined, ...(dev ? { device: this.device(dev) } : {}), span: this.span(m) };
    }
    if (c.evalStep) {
      const e = c.evalStep[0]!;
      const dev = e.children.device?.[0];
      return { kind: 'eval', tasks: this.taskList(e.children.taskList[0]!), ...(dev ? { device: this.device(dev) } : {}), span: this.span(e) };
    }
    const s = c.saveStep![0]!;
    const str = s.children.StringLit[0]!;
    return { kind: 'save', path: unquote(str.image), pathSpan: tokenSpan(this.file, str), span: this.span(s) };
  }

  call(n: C.CallCstNode): A.Call {
    return { name: this.name(n.children.Identifier[0]!), args: (n.children.arg ?? []).map((a) => this.arg(a)), span: this.span(n) };
  }

  private paramName(n: C.ParamNameCstNode): IToken {
    const c = n.children;
    return (c.Identifier ?? c.On ?? c.Save ?? c.Eval ?? c.Model ?? c.Models ?? c.From ?? c.Dataset ?? c.Report)![0]!;
  }

  arg(n: C.ArgCstNode): A.Arg {
    const pn = n.children.paramName?.[0];
    const id = pn ? this.paramName(pn) : undefined;
    const value = this.value(n.children.value[0]!);
    return id ? { name: this.name(id), value, span: this.span(n) } : { value, span: this.span(n) };
  }

  value(n: C.ValueCstNode): A.Value {
    const c = n.children;
    const span = this.span(n);
    if (c.NumberLit) return { kind: 'number', value: Number(c.NumberLit[0]!.image), span };
    if (c.StringLit) return { kind: 'string', value: unquote(c.StringLit[0]!.image), span };
    if (c.True) return { kind: 'bool', value: true, span };
    if (c.False) return { kind: 'bool', value: false, span };
    if (c.Null) return { kind: 'null', span };
    if (c.Identifier) return { kind: 'word', value: c.Identifier[0]!.image, span };
    if (c.list) return { kind: 'list', items: (c.list[0]!.children.value ?? []).map((v) => this.value(v)), span };
    const o = c.object![0]!;
    return { kind: 'object', entries: (o.children.entry ?? []).map((e) => ({ key: this.name(this.paramName(e.children.paramName[0]!)), value: this.value(e.children.value[0]!) })), span };
  }

  taskList(n: C.TaskListCstNode): A.TaskList {
    const ids = n.children.Identifier ?? [];
    if (n.children.LBracket) return { kind: 'list', items: ids.map((t) => this.name(t)), span: this.span(n) };
    return { kind: 'ref', name: this.name(ids[0]!), span: this.span(n) };
  }

  device(n: C.DeviceCstNode): A.Device {
    const num = n.children.NumberLit?.[0];
    const name = this.name(n.children.Identifier[0]!);
    return num ? { name, index: Number(num.image), span: this.span(n) } : { name, span: this.span(n) };
  }
}
