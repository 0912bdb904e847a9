/**
 * Callable `signOutDevice({ deviceId })` (docs/protocol.md §5.2): remove one of the caller's own
 * devices. The uid comes from the ID token, so a caller can only ever name their own devices. It
 * acts on the caller's database instance (docs/protocol.md §10).
 */
import { onCall } from 'firebase-functions/v2/https';
import { parseSignOutDeviceData, requireCaller } from '../core/validation';
import { presenceDatabaseFor } from '../database/instances';
import { signOutUserDevice } from '../database/sign-out-device';
import { withHttpsErrors } from './errors';

export const signOutDevice = onCall(
  withHttpsErrors<unknown, { deviceId: string }>(async (request) => {
    const caller = requireCaller(request.auth);
    const { deviceId } = parseSignOutDeviceData(request.data);
    await signOutUserDevice(presenceDatabaseFor(caller.uid), caller.uid, deviceId);
    return { deviceId };
  }),
);
