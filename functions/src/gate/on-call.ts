/**
 * The gate for callable functions (firebase-functions v2 `onCall`). firebase-functions has already
 * verified the caller's ID token with the Admin SDK before the handler runs (`checkAuthToken` in
 * lib/common/providers/https.js calls `getAuth(getApp()).verifyIdToken`, and answers 401 itself when
 * it fails), so the wrapper starts from `request.auth.token` and does not verify it a second time.
 * The device id is a field of the call's data (`deviceId` by default) or, failing that, the
 * `X-Device-Id` header of the raw request.
 */
import {
  HttpsError,
  onCall,
  type CallableFunction,
  type CallableOptions,
  type CallableRequest,
  type CallableResponse,
} from 'firebase-functions/v2/https';
import { DeviceGate, type DeviceGateContext, type DeviceGateOptions } from './device-gate';
import { isDeviceGateUnavailableError, type GateRefusal } from './refusal';

export interface DeviceCallOptions extends DeviceGateOptions {
  /** The field of `request.data` that names the device; default `deviceId`. */
  readonly deviceIdField?: string;
}

export type DeviceCallHandler<T, R> = (
  request: CallableRequest<T>,
  device: DeviceGateContext,
  response?: CallableResponse,
) => R | Promise<R>;

export type GatedCallHandler<T, R> = ((request: CallableRequest<T>, response?: CallableResponse) => Promise<R>) & {
  readonly gate: DeviceGate;
};

const FUNCTIONS_CODE: Record<GateRefusal['status'], 'invalid-argument' | 'unauthenticated' | 'permission-denied'> = {
  INVALID_ARGUMENT: 'invalid-argument',
  UNAUTHENTICATED: 'unauthenticated',
  PERMISSION_DENIED: 'permission-denied',
};

/** The refusal as the callable protocol carries it: the client SDK's `FunctionsError.details.code`. */
export function refusalHttpsError(refusal: GateRefusal): HttpsError {
  const details =
    refusal.reason === undefined ? { code: refusal.code } : { code: refusal.code, reason: refusal.reason };
  return new HttpsError(FUNCTIONS_CODE[refusal.status], refusal.message, details);
}

/**
 * Wraps a callable handler: it runs only when the caller's device holds a slot, and gets
 * `{ uid, deviceId, token }` as its second argument. Pass the result to `onCall`:
 * `export const placeOrder = onCall({ region: 'europe-west1' }, withDeviceGate({}, (request, device) => …))`.
 */
export function withDeviceGate<T, R>(
  options: DeviceCallOptions,
  handler: DeviceCallHandler<T, R>,
): GatedCallHandler<T, R> {
  const gate = new DeviceGate(options);
  const field = options.deviceIdField ?? 'deviceId';
  const gated = async (request: CallableRequest<T>, response?: CallableResponse): Promise<R> => {
    if (!request.auth) {
      throw refusalHttpsError({
        httpStatus: 401,
        status: 'UNAUTHENTICATED',
        code: 'device-limit/unauthenticated',
        message: 'The function must be called while signed in.',
      });
    }
    const data = request.data as unknown;
    const fromData = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[field] : undefined;
    const deviceId = fromData ?? request.rawRequest?.headers?.[gate.deviceIdHeader];
    let result;
    try {
      result = await gate.checkVerified(request.auth.token, deviceId);
    } catch (error) {
      if (isDeviceGateUnavailableError(error)) throw new HttpsError('unavailable', error.message);
      throw error;
    }
    if (!result.allowed) throw refusalHttpsError(result.refusal);
    return handler(request, result.context, response);
  };
  return Object.assign(gated, { gate });
}

/**
 * `onCall` with the gate in front: `export const placeOrder = onDeviceCall({}, (request, device) => …)`.
 * The returned function also carries its `gate` (`stats`, `close()`).
 */
export function onDeviceCall<T = unknown, R = unknown>(
  options: DeviceCallOptions & { readonly callable?: CallableOptions<T> },
  handler: DeviceCallHandler<T, R>,
): CallableFunction<T, Promise<R>> & { readonly gate: DeviceGate } {
  const gated = withDeviceGate(options, handler);
  return Object.assign(onCall<T, Promise<R>>(options.callable ?? {}, gated), { gate: gated.gate });
}
