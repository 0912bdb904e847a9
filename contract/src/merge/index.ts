/**
 * `device-limit rules merge`: our rules into an existing rules file, as text, everything else kept.
 */
export { mergeRules, planMerge } from './merge';
export type { MergeOptions, MergePlan } from './merge';
export { MERGE_ERROR_CODES, RulesMergeError, formatProblem, isRulesMergeError } from './errors';
export type { MergeErrorCode, MergeProblem } from './errors';
export { JsoncSyntaxError, jsoncValue, lineColumn, parseJsonc, parseJsoncValue } from './jsonc';
export type { JsoncComment, JsoncDocument, JsoncEntry, JsoncNode, JsoncObject } from './jsonc';
