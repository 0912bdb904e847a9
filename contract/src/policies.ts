/**
 * Limit policies (docs/protocol.md §11): where a user's limit comes from. Pure helpers shared by the
 * rules builder, the functions and the client module, so all three read a custom claim the same way.
 */
import { DEFAULT_DEVICE_LIMIT, MAX_DEVICE_LIMIT, MIN_DEVICE_LIMIT } from './index';

/**
 * docs/protocol.md §11.1: the custom claim of the ID token that carries the user's plan limit, set
 * with the Admin SDK's `setCustomUserClaims(uid, { deviceLimit: 5 })` (or a billing integration).
 */
export const DEVICE_LIMIT_CLAIM = 'deviceLimit';

/**
 * docs/protocol.md §11.2: what a claim on a full account does. `refuse` is docs/protocol.md §4.2 (the claimer reports
 * `limit-reached`); `evict-least-recent` replaces the device active least recently.
 */
export const LIMIT_POLICIES = ['refuse', 'evict-least-recent'] as const;
export type LimitPolicy = (typeof LIMIT_POLICIES)[number];

export function isLimitPolicy(value: unknown): value is LimitPolicy {
  return typeof value === 'string' && (LIMIT_POLICIES as readonly string[]).includes(value);
}

/** A limit within the bounds of `/limits/{uid}`: an integer from 0 to MAX_DEVICE_LIMIT. */
export function isDeviceLimit(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= MIN_DEVICE_LIMIT && (value as number) <= MAX_DEVICE_LIMIT;
}

/**
 * The plan limit a token's claims carry, or null when they carry none the rules accept: anything but
 * an integer from 0 to MAX_DEVICE_LIMIT (a string, a fraction, 101, a boolean) is ignored, exactly as
 * the rules' `hasPlanLimit` piece ignores it. (A map or a list makes the rules refuse claims instead,
 * docs/security.md "Plan limits"; the server ignores it like any other malformed value.)
 */
export function planLimitFromClaims(claims: Readonly<Record<string, unknown>> | null | undefined): number | null {
  const value = claims?.[DEVICE_LIMIT_CLAIM];
  return isDeviceLimit(value) ? value : null;
}

/**
 * docs/protocol.md §11.1, the precedence: an admin's `/limits/{uid}` override when it is a number,
 * then the plan limit, then the default. `override` is the raw `/limits/{uid}` value.
 */
export function deviceLimitFor(
  override: unknown,
  planLimit: number | null | undefined,
  defaultLimit: number = DEFAULT_DEVICE_LIMIT,
): number {
  if (typeof override === 'number' && Number.isFinite(override)) return override;
  return planLimit ?? defaultLimit;
}

/**
 * docs/protocol.md §11.3: the device classes a per-class limit may name, e.g. "2 phones and 1 TV".
 * An entry's class is its `class` field when it has one, else the class of its platform below.
 */
export const DEVICE_CLASSES = ['mobile', 'tv', 'desktop', 'web', 'other'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/**
 * docs/protocol.md §11.3, the fixed table from platform to class; a platform not in it (a project's
 * own, docs/adopt.md) is `other`. The rules carry the same table (contract/src/rules/classes.ts).
 */
export const PLATFORM_CLASSES: Readonly<Record<string, DeviceClass>> = Object.freeze({
  web: 'web',
  ios: 'mobile',
  android: 'mobile',
  macos: 'desktop',
  windows: 'desktop',
  linux: 'desktop',
  tv: 'tv',
  other: 'other',
});

/**
 * The class a device may declare instead of its platform's: a TV app runs on `android`, `ios` (tvOS),
 * `web` (a TV browser app) or `other`, and the platform alone cannot tell it from a phone.
 */
export const DECLARABLE_CLASSES: readonly DeviceClass[] = ['tv'];

export function isDeviceClass(value: unknown): value is DeviceClass {
  return typeof value === 'string' && (DEVICE_CLASSES as readonly string[]).includes(value);
}

/** The class of `platform` by the fixed table. */
export function platformClass(platform: string): DeviceClass {
  return Object.prototype.hasOwnProperty.call(PLATFORM_CLASSES, platform)
    ? (PLATFORM_CLASSES[platform] as DeviceClass)
    : 'other';
}

/** Whether a device of `platform` may carry `deviceClass` (its platform's class, or a declarable one). */
export function isClassFor(platform: string, deviceClass: unknown): deviceClass is DeviceClass {
  return (
    isDeviceClass(deviceClass) && (deviceClass === platformClass(platform) || DECLARABLE_CLASSES.includes(deviceClass))
  );
}

/** The class of an entry as stored: its `class` field when it is a class, else its platform's. */
export function classOfEntry(entry: unknown): DeviceClass {
  const object = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
  if (isDeviceClass(object.class)) return object.class;
  return platformClass(typeof object.platform === 'string' ? object.platform : 'other');
}

/**
 * docs/protocol.md §11.4, sign-in approval: a device that meets a full account may leave a request
 * that the user's active devices approve or refuse. At most this many requests are pending at once
 * (`/presence/{uid}/requests/r0` … `/r2`).
 */
export const MAX_PENDING_REQUESTS = 3;

/** docs/protocol.md §11.4: a request can be answered for this long after it was made; then it has expired. */
export const REQUEST_TTL_MS = 2 * 60 * 1000; /* 2 min */

/** docs/protocol.md §11.4: a user's devices make at most one new request per this interval (`requestedAt`). */
export const REQUEST_INTERVAL_MS = 10 * 1000; /* 10 s */

/**
 * docs/protocol.md §11.4: the keys of the request slots, `r0` to `r2`. Not bare digits: the database would hand
 * `{ "0": …, "1": … }` back as an array.
 */
export const REQUEST_SLOTS: readonly string[] = Array.from({ length: MAX_PENDING_REQUESTS }, (_, i) => `r${i}`);

/** docs/protocol.md §11.4: the answers an active device gives. */
export const REQUEST_ANSWERS = ['approved', 'refused'] as const;
export type RequestAnswer = (typeof REQUEST_ANSWERS)[number];
