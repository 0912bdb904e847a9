/**
 * The security rules of docs/protocol.md, generated from the contract: `buildRules` returns them as a
 * tree of named pieces with the invariant each rule keeps, `renderRulesFile` prints the commented
 * `database.rules.json`. The CLI (`device-limit rules generate`, `rules merge`) is built on these.
 */
export { buildRules, standaloneRules } from './build';
export type { BuiltRules } from './build';
export { toRulesJson, isRuleObject } from './document';
export type { RuleEntry, RuleObject, RuleValue, RulesJsonValue } from './document';
export { RulesOptionsError, isRulesOptionsError, RULES_OPTIONS_ERROR_CODE } from './errors';
export { EXAMPLE_APP_DATA_PATH, resolveRulesOptions } from './options';
export type { RulesOptions, RulesOptionsInput } from './options';
export { PIECES } from './pieces';
export { DEFAULT_LAYOUT, renderRulesFile, renderEntries, glossaryLines } from './render';
export type { Layout } from './render';
