// Public surface of check/.
export { checkWorkflow } from './checkWorkflow.js';
export { Scope } from './scope.js';
export { RULES } from './rules.js';
