// Local model and data set paths that do not exist (FBW0129, a warning: the data may arrive
// before the run). Relative paths resolve against the .fbw file's folder, as the run does;
// `fbw run` refuses to start while one is missing, so the user learns it here first.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { warning, type Span } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../CheckContext.js';
import { downloadCommand } from '../../ml/models/hubCache.js';

/** FBW0129. */
export const LocalPathsRule: Rule = (ctx) => {
  const missing = (what: string, path: string, span: Span): void => {
    const abs = isAbsolute(path) ? path : resolve(ctx.scope.baseDir, path);
    if (path.trim() === '' || existsSync(abs)) return;
    ctx.report(warning('FBW0129', span, `${what} "${path}" does not exist (looked at ${abs}; relative paths are relative to this .fbw file's folder)`, '`fbw run` will not start until it exists: fix the path, or create it first'));
  };
  // a declaration that already has an error (a .bin path, a misspelt loader) gets that one only
  const hasError = (span: Span) => ctx.diagnostics.some((d) => d.severity === 'error' && d.span.offset >= span.offset && d.span.offset < span.endOffset);
  for (const s of ctx.program.statements) {
    if ((s.kind === 'model' || s.kind === 'dataset') && hasError(s.span)) continue;
    // `model a = "..." from base` is checked (as an error) with the model pools
    if (s.kind === 'model' && s.value.kind === 'path' && !s.from) {
      const src = ctx.scope.checkpoint(s.value.path);
      if (src.kind === 'path') missing(`model '${s.name.text}':`, s.value.path, s.value.span);
      else if (!src.dir) ctx.report(warning('FBW0129', s.value.span, `model '${s.name.text}': "${s.value.path}" does not exist (looked at ${src.looked[0]}; nor is it a repo in the Hugging Face hub cache: ${src.looked.slice(1).join(', ')})`, `fix the path, or (a hub repo id) fetch it once with \`${downloadCommand(src.repo)}\`; fbw never downloads`));
    }
    if (s.kind === 'dataset') {
      // the folder is the first positional argument or path=
      const arg = s.loader.args.find((a) => a.name?.text === 'path') ?? s.loader.args.find((a) => a.name === undefined);
      if (arg?.value.kind === 'string') missing(`dataset '${s.name.text}':`, arg.value.value, arg.value.span);
    }
  }
};
