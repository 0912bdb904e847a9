/**
 * Options the rules builder cannot turn into rules. One class, one stable code; the message names
 * the option (as the CLI flag a user typed it with) and says what would be accepted.
 */
export const RULES_OPTIONS_ERROR_CODE = 'rules/invalid-options';

export class RulesOptionsError extends Error {
  readonly code = RULES_OPTIONS_ERROR_CODE;
  constructor(
    /** the option at fault, e.g. `paths.presence` or `defaultLimit` */
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'RulesOptionsError';
  }
}

export function isRulesOptionsError(error: unknown): error is RulesOptionsError {
  return error instanceof RulesOptionsError;
}
