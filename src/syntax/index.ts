// Public surface of syntax/: text -> AST.
export * from './parseWorkflow.js';
export type * from './ast.js';
export { KEYWORDS } from './tokens.js';
