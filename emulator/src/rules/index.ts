/**
 * The Realtime Database security-rules engine: parse `database.rules.json`, typecheck every
 * expression, evaluate reads and writes through the {@link RulesGate} seam.
 */
export { compileRules, Ruleset } from './ruleset';
export type { CompileOptions } from './ruleset';
export { RulesError, isRulesError } from './errors';
export { renderCoverageHtml } from './coverage';
export type { CoverageReport, ExpressionCoverage } from './coverage-types';
export { RulesRegistry, OPEN_RULES_SOURCE } from './registry';
export type { DatabaseProvider } from './registry';
export { rulesJsonValue } from './json';
