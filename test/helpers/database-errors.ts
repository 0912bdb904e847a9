import { isDatabaseError } from '../../emulator/src/errors';

/**
 * Runs `fn` and returns the DatabaseError code it threw (with its message when `withMessage`), or
 * undefined when it did not throw. Any other error is rethrown: a bug must not pass as a denial.
 */
export function errorCodeOf(fn: () => unknown, withMessage = false): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (isDatabaseError(error)) return withMessage ? `${error.code}: ${error.message}` : error.code;
    throw error;
  }
}
