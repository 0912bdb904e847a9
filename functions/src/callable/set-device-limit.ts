/**
 * Callable `setDeviceLimit({ uid, limit })` (docs/protocol.md §5.5), for admins only: callers whose
 * ID token has the custom claim `admin: true` (set with the Admin SDK's `setCustomUserClaims`).
 * `limit` is an integer 0..100, or null to return the user to the default.
 */
import { onCall } from 'firebase-functions/v2/https';
import { PresenceError } from '../core/errors';
import { parseSetDeviceLimitData, requireCaller } from '../core/validation';
import { defaultDatabase } from '../database/app';
import { applyDeviceLimit, type SetDeviceLimitResult } from '../database/set-device-limit';
import { withHttpsErrors } from './errors';

export const setDeviceLimit = onCall(
  withHttpsErrors<unknown, SetDeviceLimitResult & { uid: string }>(async (request) => {
    const caller = requireCaller(request.auth);
    if (!caller.isAdmin) {
      throw new PresenceError('permission-denied', 'Only an admin (custom claim admin: true) may set device limits.');
    }
    const { uid, limit } = parseSetDeviceLimitData(request.data);
    const result = await applyDeviceLimit(defaultDatabase(), uid, limit);
    return { uid, ...result };
  }),
);
