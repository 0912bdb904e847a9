/**
 * Callable `forceLogin({ deviceId, platform, label })` (docs/protocol.md §5.1): the signed-in caller's
 * device takes a slot and every other device of the same user is evicted. The uid and `auth_time`
 * come from the verified ID token, never from `data`. It acts on the caller's database instance
 * (docs/protocol.md §10), during a shard migration the one that still holds the caller's presence.
 */
import { onCall } from 'firebase-functions/v2/https';
import { PresenceError } from '../core/errors';
import { parseForceLoginData, requireCaller } from '../core/validation';
import { onPresenceInstance, raiseNotBeforeOfUser } from '../database/instances';
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
    const forceLoginRequest = {
      uid: caller.uid,
      authTime: caller.authTime,
      // §11.1: the caller's plan decides the limit, and is recorded like a client claim records it.
      planLimit: caller.planLimit,
      ...data,
    };
    // docs/protocol.md §10.3: on the instance that holds the caller's presence, decided in the force login's own
    // transaction during a migration; then its cut-off follows the user to the other instance.
    const result = await onPresenceInstance(caller.uid, (db, servedHere) =>
      forceLoginDevice(db, forceLoginRequest, servedHere),
    );
    await raiseNotBeforeOfUser(caller.uid, result.notBefore);
    return result;
  }),
);
