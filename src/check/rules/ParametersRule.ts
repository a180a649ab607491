// Every argument names a parameter of its method and its value (each sweep element on its own)
// fits the parameter's JSON Schema (FBW0105, FBW0106, FBW0107, FBW0117, FBW0118).
import { error } from '../../diagnostics/diagnostic.js';
import { findMethod } from '../../registry/index.js';
import type { CheckContext, Rule } from '../CheckContext.js';
import { finetuneSpec, mergeDefs, pretrainSpec } from '../methods.js';
import { checkArgs, paramSpace } from '../params.js';

/** Parameter names, values and sweeps against the methods' schemas. */
export const ParametersRule: Rule = (ctx: CheckContext) => {
  for (const s of ctx.program.statements) {
    if (s.kind !== 'dataset') continue;
    const def = findMethod(s.loader.name.text);
    if (!def || def.role !== 'dataset') continue;
    const r = checkArgs([s.loader], paramSpace([def]), `${def.name}()`);
    r.diagnostics.forEach((d) => ctx.report(d));
    if (!r.given.some((g) => g.name === 'path')) ctx.report(error('FBW0118', s.loader.span, `${def.name}() needs the data set's folder`, `e.g. dataset ${s.name.text} = ${def.name}("data/${s.name.text}")`));
  }
  for (const [p] of ctx.pipelines()) {
    const src = p.source;
    if (src.kind === 'finetune') {
      const spec = finetuneSpec(src.methods);
      if (spec) {
        const defs = spec.mode ? [spec.base, spec.mode] : [spec.base];
        checkArgs(spec.calls, paramSpace(defs), spec.mode ? `${spec.mode.name} ${spec.base.name}` : spec.base.name).diagnostics.forEach((d) => ctx.report(d));
      }
    } else if (src.kind === 'pretrain') {
      const def = pretrainSpec(src.methods);
      if (def) checkArgs(src.methods, paramSpace([def]), def.name).diagnostics.forEach((d) => ctx.report(d));
    }
    for (const step of p.steps) {
      if (step.kind !== 'merge') continue;
      mergeDefs(step.methods).forEach((def, i) => {
        if (def) checkArgs([step.methods[i]!], paramSpace([def]), def.name).diagnostics.forEach((d) => ctx.report(d));
      });
    }
  }
};
