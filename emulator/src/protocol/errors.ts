/**
 * A frame or envelope the protocol cannot accept. Unlike a DatabaseError (answered with a status on
 * the request's `r`), a ProtocolError means the stream itself is broken or not from an SDK: the router
 * logs it and closes that one connection, never the process.
 */
export type ProtocolErrorCode =
  /** not JSON, not an object, or a required envelope key (`t`, `d`) missing */
  | 'malformed_message'
  /** a frame-count header out of range, or a reassembled message above the inbound limit */
  | 'bad_frame'
  /** long polling: unknown session id, wrong password, or a bad segment */
  | 'bad_long_poll';

export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function isProtocolError(error: unknown): error is ProtocolError {
  return error instanceof ProtocolError;
}
