// The planner's public surface: keys, plans and the explanations behind `fbw plan` / `fbw why`.
export { planRun, formatPlan, checkpointStep, CHECKPOINT_STATE, type Plan, type PlannedStage, type PlanStatus, type PlanOptions } from './planRun.js';
export { computeKeys, type StageKeyResult, type KeyOptions } from './computeKeys.js';
export { diffComponents, formatChanges, type ComponentChange } from './diffComponents.js';
export { explainStage } from './explainStage.js';
export { TaskFingerprints, type Fingerprint } from './taskFingerprints.js';
export { loadWorkflow, type LoadedWorkflow } from './loadWorkflow.js';
