import type { ReadRequest, RulesDecision, RulesGate, WriteRequest } from '../database/access';
import type { CoverageReport } from './coverage-types';

export interface CompileOptions {
  /** log/return the unindexed-query warning (default true) */
  readonly indexWarnings?: boolean;
}

/** Compiled rules (work in progress: the final implementation replaces this file). */
export class Ruleset implements RulesGate {
  constructor(readonly source: string) {}
  canRead(_request: ReadRequest): RulesDecision {
    return { allowed: false, explanation: 'rules engine not implemented yet' };
  }
  canWrite(_request: WriteRequest): RulesDecision {
    return { allowed: false, explanation: 'rules engine not implemented yet' };
  }
  coverage(): CoverageReport {
    return { expressions: [] };
  }
  resetCoverage(): void {}
}

export function compileRules(source: string, _options?: CompileOptions): Ruleset {
  return new Ruleset(source);
}
