/**
 * Errors the emulator answers with. `code` is the wire status the SDKs understand
 * (`permission_denied`, `datastale`, `invalid_data`, …): a router turns a DatabaseError into
 * `{"s": code, "d": message}` on a socket or into a REST error body. Messages copy production.
 */
export type DatabaseErrorCode =
  | 'permission_denied'
  | 'datastale'
  | 'invalid_data'
  | 'invalid_path'
  | 'invalid_query'
  /** an oversized write: the SDK surfaces `WRITE_TOO_BIG: <message>` (https://github.com/firebase/firebase-import/issues/46) */
  | 'write_too_big'
  | 'invalid_token'
  | 'bad_request';

export class DatabaseError extends Error {
  constructor(
    readonly code: DatabaseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DatabaseError';
  }
}

export function isDatabaseError(error: unknown): error is DatabaseError {
  return error instanceof DatabaseError;
}

/** The exact text the real server puts beside `permission_denied`; assertFails depends on it. */
export const PERMISSION_DENIED_MESSAGE = 'Permission denied';

export function permissionDenied(): DatabaseError {
  return new DatabaseError('permission_denied', PERMISSION_DENIED_MESSAGE);
}
