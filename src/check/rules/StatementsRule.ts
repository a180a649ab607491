// Whole-statement checks: one report statement (FBW0121), statements that do nothing (FBW0123),
// and model declarations that point at something loadable (FBW0124).
import { error, warning } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../CheckContext.js';

/** FBW0121/FBW0123/FBW0124. */
export const StatementsRule: Rule = (ctx) => {
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
        if (s.value.kind === 'path') {
          const path = s.value.path;
          if (path.trim() === '') ctx.report(error('FBW0124', s.value.span, 'the model path is empty', 'a Hugging Face snapshot folder or a .safetensors file'));
          else if (/\.(bin|pt|pth|ckpt|h5|onnx)$/i.test(path)) ctx.report(error('FBW0124', s.value.span, `fbw reads safetensors, not '${path.slice(path.lastIndexOf('.'))}' files`, 'convert the checkpoint to .safetensors, or point at a snapshot folder with model.safetensors'));
        }
        break;
      case 'dataset': case 'pool': case 'let': break;
      default: s satisfies never;
    }
  }
};
