/**
 * The one error class of the functions' domain logic. Its codes are the canonical codes of
 * callable functions (`FunctionsErrorCode` in firebase-functions' `https` module, after
 * google.rpc.Code), so the callable layer maps it 1:1 to `HttpsError` without this module
 * importing firebase-functions.
 */
export type PresenceErrorCode =
  'invalid-argument' | 'unauthenticated' | 'permission-denied' | 'not-found' | 'failed-precondition' | 'aborted';

export class PresenceError extends Error {
  override readonly name = 'PresenceError';

  constructor(
    readonly code: PresenceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isPresenceError(error: unknown): error is PresenceError {
  return error instanceof PresenceError;
}
