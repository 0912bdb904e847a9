/**
 * Input validation for the callables. Every field is checked against the same bounds as the rules
 * (docs/protocol.md §2, §3), unknown fields are refused, and the uid always comes from the verified
 * ID token, never from `data` (except the target uid of `setDeviceLimit` and `repairPresence`, which
 * only an admin may set to another user's).
 */
import {
  DEVICE_ID_PATTERN,
  FORBIDDEN_KEY_CHARACTERS,
  LABEL_MAX_LENGTH,
  LABEL_MIN_LENGTH,
  MAX_DEVICE_LIMIT,
  MIN_DEVICE_LIMIT,
  PLATFORMS,
  UID_MAX_LENGTH,
} from './contract';
import { isClassFor, platformClass, type DeviceClass } from '@device-limit/contract';
import { PresenceError } from './errors';
import { isValidDeviceLimit, planLimitFromClaims } from './limit-policy';
import { isJsonObject, type JsonObject } from './presence';

/** The part of a callable request's `auth` the functions use (firebase-functions' `AuthData`). */
export interface CallerAuth {
  readonly uid: string;
  readonly token: Readonly<Record<string, unknown>>;
}

export interface Caller {
  readonly uid: string;
  /** `auth_time` claim of the ID token, in seconds; undefined if the token has none. */
  readonly authTime: number | undefined;
  /** The custom claim `admin: true` (set with the Admin SDK's `setCustomUserClaims`). */
  readonly isAdmin: boolean;
  /** The custom claim `deviceLimit` when it is a valid limit, else null (docs/protocol.md §11.1). */
  readonly planLimit: number | null;
}

export function requireCaller(auth: CallerAuth | undefined): Caller {
  if (!auth || typeof auth.uid !== 'string' || auth.uid.length === 0) {
    throw new PresenceError('unauthenticated', 'The function must be called while signed in.');
  }
  const authTime = auth.token.auth_time;
  return {
    uid: auth.uid,
    authTime: typeof authTime === 'number' && Number.isFinite(authTime) ? authTime : undefined,
    isAdmin: auth.token.admin === true,
    planLimit: planLimitFromClaims(auth.token),
  };
}

function requireObject(data: unknown, allowed: readonly string[]): JsonObject {
  if (!isJsonObject(data)) throw new PresenceError('invalid-argument', 'The request data must be an object.');
  const unknown = Object.keys(data).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new PresenceError('invalid-argument', `Unknown field(s): ${unknown.join(', ')}.`);
  }
  return data;
}

export function parseDeviceId(value: unknown, field = 'deviceId'): string {
  if (typeof value !== 'string' || !DEVICE_ID_PATTERN.test(value)) {
    throw new PresenceError('invalid-argument', `${field} must match ${DEVICE_ID_PATTERN.source}.`);
  }
  return value;
}

/** `platforms`: the configured list (`DEVICE_LIMIT_PLATFORMS`), the one the rules were generated with. */
export function parsePlatform(value: unknown, platforms: readonly string[] = PLATFORMS): string {
  if (typeof value !== 'string' || !platforms.includes(value)) {
    throw new PresenceError('invalid-argument', `platform must be one of ${platforms.join(', ')}.`);
  }
  return value;
}

export function parseLabel(value: unknown): string {
  if (typeof value !== 'string' || value.length < LABEL_MIN_LENGTH || value.length > LABEL_MAX_LENGTH) {
    throw new PresenceError(
      'invalid-argument',
      `label must be a string of ${LABEL_MIN_LENGTH} to ${LABEL_MAX_LENGTH} characters.`,
    );
  }
  return value;
}

export function parseUid(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > UID_MAX_LENGTH ||
    FORBIDDEN_KEY_CHARACTERS.test(value)
  ) {
    throw new PresenceError(
      'invalid-argument',
      `uid must be a non-empty string of at most ${UID_MAX_LENGTH} characters without . $ # [ ] / or control characters.`,
    );
  }
  return value;
}

export interface ForceLoginData {
  readonly deviceId: string;
  /** One of the configured platforms. */
  readonly platform: string;
  readonly label: string;
  /** docs/protocol.md §11.3: the device's class, its platform's or a declarable one (tv). */
  readonly deviceClass?: DeviceClass;
}

export function parseForceLoginData(data: unknown, platforms: readonly string[] = PLATFORMS): ForceLoginData {
  const object = requireObject(data, ['deviceId', 'platform', 'label', 'deviceClass']);
  const platform = parsePlatform(object.platform, platforms);
  const parsed = { deviceId: parseDeviceId(object.deviceId), platform, label: parseLabel(object.label) };
  if (object.deviceClass === undefined || object.deviceClass === null) return parsed;
  if (!isClassFor(platform, object.deviceClass)) {
    throw new PresenceError(
      'invalid-argument',
      `deviceClass must be the class of the platform ${platform} (${platformClass(platform)}) or tv.`,
    );
  }
  return { ...parsed, deviceClass: object.deviceClass };
}

export interface SignOutDeviceData {
  readonly deviceId: string;
}

export function parseSignOutDeviceData(data: unknown): SignOutDeviceData {
  const object = requireObject(data, ['deviceId']);
  return { deviceId: parseDeviceId(object.deviceId) };
}

export interface SetDeviceLimitData {
  readonly uid: string;
  /** null returns the user to the default limit (removes `/limits/{uid}`). */
  readonly limit: number | null;
}

export function parseSetDeviceLimitData(data: unknown): SetDeviceLimitData {
  const object = requireObject(data, ['uid', 'limit']);
  if (!('limit' in object)) {
    throw new PresenceError('invalid-argument', 'limit is required (an integer, or null for the default).');
  }
  const limit = object.limit;
  if (limit !== null && !isValidDeviceLimit(limit)) {
    throw new PresenceError(
      'invalid-argument',
      `limit must be an integer from ${MIN_DEVICE_LIMIT} to ${MAX_DEVICE_LIMIT}, or null for the default.`,
    );
  }
  return { uid: parseUid(object.uid), limit };
}

export interface RepairPresenceData {
  /** The user to repair; absent means the caller. */
  readonly uid?: string;
}

/** `repairPresence({ uid? })` (docs/protocol.md §5.4); a call without data (`null`) means `{}`. */
export function parseRepairPresenceData(data: unknown): RepairPresenceData {
  if (data === null || data === undefined) return {};
  const object = requireObject(data, ['uid']);
  return object.uid === undefined || object.uid === null ? {} : { uid: parseUid(object.uid) };
}

/**
 * Whose presence a repair may touch (docs/protocol.md §5.4, §8): the owner's own, or any user's for
 * an admin (custom claim `admin == true`).
 */
export function repairTarget(caller: Caller, data: RepairPresenceData): string {
  const uid = data.uid ?? caller.uid;
  if (uid !== caller.uid && !caller.isAdmin) {
    throw new PresenceError(
      'permission-denied',
      "Only an admin (custom claim admin: true) may repair another user's presence.",
    );
  }
  return uid;
}
