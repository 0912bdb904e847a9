/**
 * The callables' error mapping: a PresenceError becomes the HttpsError with the same canonical
 * code, so the client SDK sees e.g. `functions/not-found`. Anything else is rethrown unchanged and
 * firebase-functions reports it as `internal` without leaking its message.
 */
import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import { isPresenceError } from '../core/errors';

export function toHttpsError(error: unknown): unknown {
  return isPresenceError(error) ? new HttpsError(error.code, error.message) : error;
}

export function withHttpsErrors<T, R>(
  handler: (request: CallableRequest<T>) => Promise<R>,
): (request: CallableRequest<T>) => Promise<R> {
  return async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      throw toHttpsError(error);
    }
  };
}
