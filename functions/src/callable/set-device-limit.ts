/**
 * Callable `setDeviceLimit({ uid, limit })` (docs/protocol.md §5.5), for admins only: callers whose
 * ID token has the custom claim `admin: true` (set with the Admin SDK's `setCustomUserClaims`).
 * `limit` is an integer 0..100, or null to return the user to the default. The limit is written on
 * the user's database instance (docs/protocol.md §10), where the rules of their claims read it.
 */
import { onCall } from 'firebase-functions/v2/https';
import { PresenceError } from '../core/errors';
import { parseSetDeviceLimitData, requireCaller } from '../core/validation';
import { presenceDatabaseFor } from '../database/instances';
import { applyDeviceLimit, type SetDeviceLimitResult } from '../database/set-device-limit';
import { withHttpsErrors } from './errors';

export const setDeviceLimit = onCall(
  withHttpsErrors<unknown, SetDeviceLimitResult & { uid: string }>(async (request) => {
    const caller = requireCaller(request.auth);
    if (!caller.isAdmin) {
      throw new PresenceError('permission-denied', 'Only an admin (custom claim admin: true) may set device limits.');
    }
    const { uid, limit } = parseSetDeviceLimitData(request.data);
    const result = await applyDeviceLimit(presenceDatabaseFor(uid), uid, limit);
    return { uid, ...result };
  }),
);
