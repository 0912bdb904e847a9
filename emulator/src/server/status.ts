/**
 * Errors → what each transport answers: a socket status (docs/wire-protocol.md §4.4) or a REST status and body.
 */
import { isDatabaseError } from '../errors';

/** Anything with a stable string `code` (DatabaseError, the tree's InvalidDataError, RulesError …). */
function errorCode(error: unknown): string | undefined {
  if (isDatabaseError(error)) return error.code;
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (typeof code === 'string') return code;
  return undefined;
}

const KNOWN_STATUSES = new Set([
  'permission_denied',
  'datastale',
  'invalid_data',
  'invalid_path',
  'invalid_query',
  'invalid_token',
  'bad_request',
  'invalid_rules',
]);

/** The socket reply for a failed request; a bug (no known code) is `internal_error`, never a crash. */
export function errorStatus(error: unknown): { status: string; message: string } {
  // Every DatabaseError code is a wire status by contract (errors.ts).
  if (isDatabaseError(error)) return { status: error.code, message: error.message };
  const code = errorCode(error);
  if (code !== undefined && KNOWN_STATUSES.has(code)) {
    return { status: code, message: (error as Error).message };
  }
  return { status: 'internal_error', message: 'Internal error' };
}

/**
 * REST status for an error code, as production answers: 401 for permission denied and bad tokens,
 * 400 for invalid paths, data and queries, 412 for a failed condition, 413 for a too-large write.
 */
export function httpStatusForCode(code: string): number {
  switch (code) {
    case 'permission_denied':
    case 'invalid_token':
      return 401;
    case 'datastale':
      return 412;
    case 'write_too_big':
      return 413;
    case 'internal_error':
      return 500;
    default:
      return 400;
  }
}
