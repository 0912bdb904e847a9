/**
 * Callable `forceLogin({ deviceId, platform, label })` (docs/protocol.md §5.1): the signed-in caller's
 * device takes a slot and every other device of the same user is evicted. The uid and `auth_time`
 * come from the verified ID token, never from `data`. It acts on the caller's database instance
 * (docs/protocol.md §10).
 */
import { onCall } from 'firebase-functions/v2/https';
import { PresenceError } from '../core/errors';
import { parseForceLoginData, requireCaller } from '../core/validation';
import { presenceDatabaseFor } from '../database/instances';
import { deviceLimitConfig } from '../params';
import { forceLoginDevice, type ForceLoginResult } from '../database/force-login';
import { withHttpsErrors } from './errors';

export const forceLogin = onCall(
  withHttpsErrors<unknown, ForceLoginResult>(async (request) => {
    const caller = requireCaller(request.auth);
    const data = parseForceLoginData(request.data, deviceLimitConfig.platforms);
    if (caller.authTime === undefined) {
      throw new PresenceError('unauthenticated', 'The ID token carries no auth_time claim.');
    }
    return forceLoginDevice(presenceDatabaseFor(caller.uid), {
      uid: caller.uid,
      authTime: caller.authTime,
      // §11.1: the caller's plan decides the limit, and is recorded like a client claim records it.
      planLimit: caller.planLimit,
      ...data,
    });
  }),
);
