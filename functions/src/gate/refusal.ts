/**
 * How the gate says no. A refusal is a result, not a thrown error: the decision returns it and the
 * adapters (Express, onCall) encode it. The body mirrors the callable protocol's error object
 * (https://firebase.google.com/docs/functions/callable-reference: `{"error": {"status", "message"}}`)
 * with the client module's `code` added, so `@device-limit/client` can act on it (`device-limit/evicted`
 * moves the session to `evicted`). The codes are members of the client's `DeviceLimitErrorCode`
 * (client-sdk/src/errors.ts); test/gate/codes.test.ts checks that they stay so.
 */

export type DeviceGateCode =
  /** No ID token, or one the Admin SDK does not accept (expired, malformed, revoked): refresh, retry. */
  | 'device-limit/unauthenticated'
  /** No device id in the request, or one that is not a deviceId (docs/protocol.md §3). */
  | 'device-limit/invalid-argument'
  /** The device held a slot and lost it, or the session was cut off by a force login. */
  | 'device-limit/evicted'
  /** The device holds no slot for this user (never claimed, released, waiting at the limit). */
  | 'device-limit/no-slot';

export const DEVICE_GATE_CODES: readonly DeviceGateCode[] = [
  'device-limit/unauthenticated',
  'device-limit/invalid-argument',
  'device-limit/evicted',
  'device-limit/no-slot',
];

export interface GateRefusal {
  readonly httpStatus: 400 | 401 | 403;
  /** The canonical status name (google.rpc.Code), as in a callable's error body. */
  readonly status: 'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
  readonly code: DeviceGateCode;
  readonly message: string;
  /** For `device-limit/evicted`: the eviction notice's reason (docs/protocol.md §4.8), e.g. `force-login`. */
  readonly reason?: string;
}

/** The JSON body of a refused HTTP request. */
export interface GateRefusalBody {
  readonly error: {
    readonly status: GateRefusal['status'];
    readonly code: DeviceGateCode;
    readonly message: string;
    readonly reason?: string;
  };
}

export function refusalBody(refusal: GateRefusal): GateRefusalBody {
  const { status, code, message, reason } = refusal;
  return { error: reason === undefined ? { status, code, message } : { status, code, message, reason } };
}

export function unauthenticated(message: string): GateRefusal {
  return { httpStatus: 401, status: 'UNAUTHENTICATED', code: 'device-limit/unauthenticated', message };
}

export function invalidDeviceId(message: string): GateRefusal {
  return { httpStatus: 400, status: 'INVALID_ARGUMENT', code: 'device-limit/invalid-argument', message };
}

/**
 * The gate could not decide: the presence listener gave no first value in time or was cancelled, the
 * database connection has been down too long, or the token could not be checked for a reason that
 * is not the token's fault (e.g. the Auth public keys could not be fetched). The Express middleware
 * passes it to `next(error)`; the onCall wrapper answers `unavailable`. It is never a refusal, so a
 * client does not refresh its token or give up its session because of an outage.
 */
export class DeviceGateUnavailableError extends Error {
  override readonly name = 'DeviceGateUnavailableError';

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isDeviceGateUnavailableError(value: unknown): value is DeviceGateUnavailableError {
  return value instanceof DeviceGateUnavailableError;
}
