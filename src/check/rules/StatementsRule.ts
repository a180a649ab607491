// Whole-statement checks: one report statement (FBW0121), statements that do nothing (FBW0123),
// model declarations that point at something loadable (FBW0124), a file with no statements
// (FBW0127) and `let` names nothing uses (FBW0128).
import { error, warning } from '../../diagnostics/diagnostic.js';
import type { CheckContext, Rule } from '../CheckContext.js';
import type { Span } from '../../diagnostics/diagnostic.js';

/** FBW0124: a checkpoint string that cannot be a safetensors model. */
function checkpointPath(ctx: CheckContext, path: string, span: Span): void {
  if (path.trim() === '') ctx.report(error('FBW0124', span, 'the model path is empty', 'a Hugging Face repo id, a snapshot folder or a .safetensors file'));
  else if (/\.(bin|pt|pth|ckpt|h5|onnx)$/i.test(path)) ctx.report(error('FBW0124', span, `fbw reads safetensors, not '${path.slice(path.lastIndexOf('.'))}' files`, 'convert the checkpoint to .safetensors, or point at a snapshot folder with model.safetensors'));
}

/** FBW0121/FBW0123/FBW0124/FBW0127/FBW0128. */
export const StatementsRule: Rule = (ctx) => {
  // nothing parsed and nothing broken: an empty (or all-comment) file would run zero stages
  if (ctx.program.statements.length === 0 && ctx.program.broken.length === 0) {
    ctx.report(warning('FBW0127', { file: ctx.program.file, line: 1, column: 1, offset: 0, endOffset: 1 }, 'the file has no statements: `fbw run` would do nothing', 'start with e.g. `model base = clip-tiny` and `finetune base on LOCAL_QUICK lora -> eval LOCAL_QUICK`'));
  }
  unusedLets(ctx);
  let report: number | undefined;
  for (const s of ctx.program.statements) {
    switch (s.kind) {
      case 'report':
        if (report !== undefined) ctx.report(error('FBW0121', s.span, 'only one report statement per file', `the first is at line ${report}`));
        else report = s.span.line;
        if (s.path.trim() === '') ctx.report(error('FBW0121', s.pathSpan, 'the report folder is empty', 'e.g. report "results/quickstart"'));
        break;
      case 'pipeline': {
        const p = s.pipeline;
        if (p.steps.length === 0 && (p.source.kind === 'ref' || p.source.kind === 'refs')) {
          ctx.report(warning('FBW0123', s.span, 'this statement has no effect', 'add a step, e.g. `then average` or `-> eval TA8`'));
        }
        break;
      }
      case 'model':
        if (s.value.kind === 'path') checkpointPath(ctx, s.value.path, s.value.span);
        break;
      case 'models':
        if (s.value.kind === 'map') for (const m of s.value.members) checkpointPath(ctx, m.path, m.span);
        break;
      case 'dataset': case 'pool': case 'let': break;
      default: s satisfies never;
    }
  }
};

/** Names a pipeline refers to (source model or refs). */
function namesUsed(ctx: CheckContext): Set<string> {
  const used = new Set<string>();
  for (const [p] of ctx.pipelines()) {
    const src = p.source;
    switch (src.kind) {
      case 'finetune': case 'pretrain': case 'eval': used.add(src.model.text); break;
      case 'ref': used.add(src.name.text); break;
      case 'refs': for (const n of src.names) used.add(n.text); break;
      default: src satisfies never;
    }
  }
  return used;
}

/** FBW0128: a `let` nothing refers to; its stages still run, but nothing evaluates or merges its result. */
function unusedLets(ctx: CheckContext): void {
  const used = namesUsed(ctx);
  for (const s of ctx.program.statements) {
    if (s.kind !== 'let' || used.has(s.name.text)) continue;
    const hasSteps = s.pipeline.steps.length > 0;
    ctx.report(warning('FBW0128', s.name.span, `'${s.name.text}' is defined but never used${hasSteps ? '' : '; its stages still run'}`, `use it (e.g. \`${s.name.text} -> eval TA8\` or \`[${s.name.text}, other] then average\`), or write the pipeline without \`let ${s.name.text} =\``));
  }
}
