/**
 * Actions on the user's other devices: read the device list (owner read, docs/protocol.md §4.1), and
 * the callables of docs/protocol.md §5 — `signOutDevice` removes one device, `forceLogin` takes a slot by evicting
 * all others, `repairPresence` puts a drifted counter right. Only the functions may remove another
 * device's entry with a reason its client will understand (§4.6: "apps should still sign out another
 * device through signOutDevice"). The callables take no database: the functions find the caller's
 * instance themselves (their `PRESENCE_INSTANCES`, docs/protocol.md §10).
 */
import { get, onValue, ref } from 'firebase/database';
import { httpsCallable, type Functions } from 'firebase/functions';
import {
  isValidDeviceId,
  presencePath,
  resolveClientConfig,
  unknownPlatformMessage,
  type DeviceClass,
} from './contract';
import { DeviceLimitError } from './errors';
import { listDeviceEntries, presenceFromValue, type DeviceListEntry } from './presence';
import type { DeviceLimitConfigOptions } from './session-api';
import { presenceDatabaseFor, type PresenceDatabase } from './shards';

/**
 * The options of {@link listDevices}: this install's deviceId (to mark it `current`), and the app's
 * configuration, the same one its sessions are started with (only `paths` matters here).
 */
export interface ListDevicesOptions extends DeviceLimitConfigOptions {
  readonly currentDeviceId?: string | null;
}

/**
 * The user's devices holding a slot, oldest claim first; `current` marks `currentDeviceId`. `database`
 * is the app's `Database` or the shard configuration (docs/protocol.md §10), as for `startDeviceSession`. The third
 * argument is this install's deviceId, or the options (`{ currentDeviceId, paths }`).
 */
export async function listDevices(
  database: PresenceDatabase,
  uid: string,
  currentDeviceIdOrOptions: string | null | ListDevicesOptions = null,
): Promise<DeviceListEntry[]> {
  const options: ListDevicesOptions =
    typeof currentDeviceIdOrOptions === 'object' && currentDeviceIdOrOptions !== null
      ? currentDeviceIdOrOptions
      : { currentDeviceId: currentDeviceIdOrOptions };
  const { paths } = resolveClientConfig(options);
  const db = presenceDatabaseFor(database, uid, 'listDevices');
  const snapshot = await get(ref(db, presencePath(uid, paths)));
  return listDeviceEntries(presenceFromValue(snapshot.val()), options.currentDeviceId ?? null);
}

/** Live version of {@link listDevices}; returns the unsubscribe function. */
export function onDevicesChanged(
  database: PresenceDatabase,
  uid: string,
  listener: (devices: DeviceListEntry[]) => void,
  options: ListDevicesOptions & { readonly onError?: (error: DeviceLimitError) => void } = {},
): () => void {
  const { paths } = resolveClientConfig(options);
  const db = presenceDatabaseFor(database, uid, 'onDevicesChanged');
  return onValue(
    ref(db, presencePath(uid, paths)),
    (snapshot) => listener(listDeviceEntries(presenceFromValue(snapshot.val()), options.currentDeviceId ?? null)),
    (cause) =>
      options.onError?.(
        new DeviceLimitError('device-limit/permission-denied', `Reading ${presencePath(uid, paths)} was refused.`, {
          cause,
        }),
      ),
  );
}

async function call(functions: Functions, name: string, data: Record<string, unknown>): Promise<unknown> {
  try {
    const result = await httpsCallable(functions, name)(data);
    return result.data;
  } catch (cause) {
    const functionsCode =
      typeof (cause as { code?: unknown }).code === 'string' ? (cause as { code: string }).code : undefined;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new DeviceLimitError('device-limit/function-failed', `${name} failed: ${message}`, { cause, functionsCode });
  }
}

/** docs/protocol.md §5.2: signs one of the caller's devices out; its client reports `evicted` (`signed-out-remotely`). */
export async function signOutDevice(functions: Functions, deviceId: string): Promise<void> {
  if (!isValidDeviceId(deviceId))
    throw new DeviceLimitError('device-limit/invalid-argument', 'deviceId must match ^[A-Za-z0-9_-]{8,64}$.');
  await call(functions, 'signOutDevice', { deviceId });
}

/** The device that takes the slot in a force login. A {@link DeviceSession} fits. */
export interface ForceLoginDevice {
  readonly deviceId: string | null;
  /** One of the configured `platforms`. */
  readonly platform: string;
  readonly label: string;
  /** docs/protocol.md §11.3: the class the device declared (a DeviceSession's `deviceClass` option). */
  readonly deviceClass?: DeviceClass;
  /** When present (a DeviceSession), called after the function so the session resumes its new entry. */
  claim?(): void;
}

/**
 * docs/protocol.md §5.1: takes a slot for `device` and evicts every other device of the user (they report `evicted`
 * with `force-login`, and sessions signed in before this one are shut out by the rules gate). Given a
 * session, the session then registers its onDisconnect for the new entry and becomes `active`.
 * `options` is the app's configuration, as given to its sessions: `device.platform` is checked against
 * its `platforms` here, and against `DEVICE_LIMIT_PLATFORMS` by the function.
 */
export async function forceLogin(
  functions: Functions,
  device: ForceLoginDevice,
  options: DeviceLimitConfigOptions = {},
): Promise<void> {
  const { platforms } = resolveClientConfig(options);
  const { deviceId, platform, label } = device;
  if (!isValidDeviceId(deviceId)) {
    throw new DeviceLimitError(
      'device-limit/invalid-argument',
      'forceLogin needs the deviceId of this install (wait for the session to know it).',
    );
  }
  if (typeof platform !== 'string' || !platforms.includes(platform))
    throw new DeviceLimitError('device-limit/invalid-argument', unknownPlatformMessage(platform, platforms));
  const { deviceClass } = device;
  await call(functions, 'forceLogin', { deviceId, platform, label, ...(deviceClass ? { deviceClass } : {}) });
  device.claim?.();
}

/**
 * docs/protocol.md §5.4: asks the server to bring the caller's `count` back to the number of entries (and the entries
 * within the limit). A session given `functions` calls it by itself when a drifted count blocks its
 * claim; apps rarely need it directly.
 */
export async function repairPresence(functions: Functions): Promise<void> {
  await call(functions, 'repairPresence', {});
}
