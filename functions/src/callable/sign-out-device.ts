/**
 * Callable `signOutDevice({ deviceId })` (docs/protocol.md §5.2): remove one of the caller's own
 * devices. The uid comes from the ID token, so a caller can only ever name their own devices. It
 * acts on the instance that holds the caller's presence (docs/protocol.md §10, §10.3 in a migration).
 */
import { onCall } from 'firebase-functions/v2/https';
import { parseSignOutDeviceData, requireCaller } from '../core/validation';
import { onPresenceInstance } from '../database/instances';
import { signOutUserDevice } from '../database/sign-out-device';
import { withHttpsErrors } from './errors';

export const signOutDevice = onCall(
  withHttpsErrors<unknown, { deviceId: string }>(async (request) => {
    const caller = requireCaller(request.auth);
    const { deviceId } = parseSignOutDeviceData(request.data);
    await onPresenceInstance(caller.uid, (db, servedHere) => signOutUserDevice(db, caller.uid, deviceId, servedHere));
    return { deviceId };
  }),
);
