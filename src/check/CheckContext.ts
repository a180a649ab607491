// What every rule sees: the program, its scope, and a sink for diagnostics.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type * as A from '../syntax/ast.js';
import { Scope } from './scope.js';

/** The shared state of one check run. */
export class CheckContext {
  readonly scope: Scope;
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly program: A.Program, baseDir?: string) {
    this.scope = new Scope(program, baseDir);
  }
  report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }
  /** Every pipeline with the index of its statement (let bodies and bare pipelines). */
  *pipelines(): Generator<[A.Pipeline, number]> {
    for (const [i, s] of this.program.statements.entries()) {
      if (s.kind === 'let' || s.kind === 'pipeline') yield [s.pipeline, i];
    }
  }
}

/** A check rule: one concern, one file, reports through the context. */
export type Rule = (ctx: CheckContext) => void;
