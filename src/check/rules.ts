// The ordered list of check rules; a new rule is one file in rules/ plus one line here.
import type { Rule } from './CheckContext.js';
import { UniqueNamesRule } from './rules/UniqueNamesRule.js';
import { KnownNamesRule } from './rules/KnownNamesRule.js';
import { KnownMethodsRule } from './rules/KnownMethodsRule.js';
import { ParametersRule } from './rules/ParametersRule.js';
import { ExclusiveParamsRule } from './rules/ExclusiveParamsRule.js';
import { DeviceRule } from './rules/DeviceRule.js';
import { TaskListRule } from './rules/TaskListRule.js';
import { MergeInputsRule } from './rules/MergeInputsRule.js';
import { EvalNeedsModelRule } from './rules/EvalNeedsModelRule.js';
import { StatementsRule } from './rules/StatementsRule.js';
import { ArchitectureRule } from './rules/ArchitectureRule.js';
import { LocalPathsRule } from './rules/LocalPathsRule.js';
import { ModelPoolRule } from './rules/ModelPoolRule.js';

/** Every rule, run in this order on every program. */
export const RULES: readonly Rule[] = [
  UniqueNamesRule, KnownNamesRule, KnownMethodsRule, ParametersRule, ExclusiveParamsRule,
  DeviceRule, TaskListRule, MergeInputsRule, EvalNeedsModelRule, StatementsRule, ArchitectureRule, LocalPathsRule, ModelPoolRule,
];
