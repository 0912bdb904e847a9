/**
 * Invalid rules. The real server answers `PUT /.settings/rules.json` with 400 and a message naming
 * the rule and the position in the expression; we name the rule path (e.g. `/rules/users/$uid/.write`)
 * and the 1-based line:column inside the expression (or inside the rules file for JSON errors).
 */
export class RulesError extends Error {
  readonly code = 'invalid_rules';
  constructor(
    message: string,
    /** the rule path, e.g. `/rules/users/$uid/.write`; empty for file-level errors */
    readonly rulePath = '',
  ) {
    super(message);
    this.name = 'RulesError';
  }
}

export function isRulesError(error: unknown): error is RulesError {
  return error instanceof RulesError;
}
