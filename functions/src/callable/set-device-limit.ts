/**
 * Callable `setDeviceLimit({ uid, limit })` (docs/protocol.md §5.5), for admins only: callers whose
 * ID token has the custom claim `admin: true` (set with the Admin SDK's `setCustomUserClaims`).
 * `limit` is an integer 0..100, or null to return the user to the default. The limit is written on
 * the user's database instance (docs/protocol.md §10), where the rules of their claims read it; during a
 * shard migration on both of the user's instances (docs/protocol.md §10.3).
 */
import { onCall } from 'firebase-functions/v2/https';
import { PresenceError } from '../core/errors';
import { parseSetDeviceLimitData, requireCaller } from '../core/validation';
import { limitPath } from '../core/contract';
import { onPresenceInstance, presenceDatabasesOfUser } from '../database/instances';
import { deviceLimitConfig } from '../params';
import { applyDeviceLimit, type SetDeviceLimitResult } from '../database/set-device-limit';
import { withHttpsErrors } from './errors';

export const setDeviceLimit = onCall(
  withHttpsErrors<unknown, SetDeviceLimitResult & { uid: string }>(async (request) => {
    const caller = requireCaller(request.auth);
    if (!caller.isAdmin) {
      throw new PresenceError('permission-denied', 'Only an admin (custom claim admin: true) may set device limits.');
    }
    const { uid, limit } = parseSetDeviceLimitData(request.data);
    // docs/protocol.md §10.3: during a migration the limit is on both of the user's instances before either enforces
    // it, so whichever serves the user next applies it and not the default.
    const others = presenceDatabasesOfUser(uid);
    if (others.length > 1) {
      await Promise.all(others.map((db) => db.ref(limitPath(uid, deviceLimitConfig.paths)).set(limit)));
    }
    const result = await onPresenceInstance(uid, (db, servedHere) => applyDeviceLimit(db, uid, limit, servedHere));
    return { uid, ...result };
  }),
);
