// A name is defined once (FBW0111): two meanings for one name would make the graph ambiguous.
import { error } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../CheckContext.js';

/** FBW0111: redefinitions. */
export const UniqueNamesRule: Rule = (ctx) => {
  for (const d of ctx.scope.definitions) {
    const first = ctx.scope.symbols.get(d.name.text)!;
    if (first !== d) ctx.report(error('FBW0111', d.name.span, `'${d.name.text}' is defined twice`, `the first definition is at line ${first.name.span.line}; rename one of them`));
  }
};
