/**
 * The limit policy: which number bounds a user's slots (docs/protocol.md §2, §5.4, §5.5, §11.1). The
 * precedence is the rules' `limitFor`: an admin's `/limits/{uid}` override, then the plan limit, then
 * the default. The plan limit is the `deviceLimit` claim of the caller's ID token when there is one
 * (the callables), and otherwise the server's copy `/presence/{uid}/planLimit` that claims and
 * callables keep (the sweep, `enforceDeviceLimit`, an admin's repair).
 */
import { isDeviceLimit, planLimitFromClaims } from '@device-limit/contract';
import { DEFAULT_DEVICE_LIMIT, MAX_DEVICE_LIMIT, MIN_DEVICE_LIMIT } from './contract';
import { isJsonObject } from './presence';

export { planLimitFromClaims };

/** True for a limit `setDeviceLimit` may write: an integer in 0..100. */
export function isValidDeviceLimit(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= MIN_DEVICE_LIMIT && (value as number) <= MAX_DEVICE_LIMIT;
}

/**
 * The limit in force given the raw `/limits/{uid}` value alone. The rules use `/limits/{uid}` when it
 * is a number and the default otherwise (`isNumber() ? val() : 2`); the server reads it the same way
 * so both sides agree. A negative or fractional number cannot be written by `setDeviceLimit`; if one
 * was written by hand it is clamped rather than ignored, matching what the rules would allow.
 */
export function effectiveDeviceLimit(raw: unknown): number {
  return deviceLimitFor(raw, null);
}

/**
 * docs/protocol.md §11.1: `/limits/{uid}` (raw value) when it is a number, else `planLimit`, else the
 * default (`DEVICE_LIMIT_DEFAULT`, the same number the rules were generated with).
 */
export function deviceLimitFor(
  override: unknown,
  planLimit: number | null,
  defaultLimit: number = DEFAULT_DEVICE_LIMIT,
): number {
  if (typeof override !== 'number' || !Number.isFinite(override)) return planLimit ?? defaultLimit;
  return Math.max(MIN_DEVICE_LIMIT, Math.floor(override));
}

/**
 * The server's copy `/presence/{uid}/planLimit` (docs/protocol.md §11.1), or null when absent. The rules only let a
 * client write its own token's valid claim there; anything else (an admin's hand edit) is ignored,
 * as the rules ignore a malformed claim.
 */
export function planLimitOf(presence: unknown): number | null {
  const value = isJsonObject(presence) ? presence.planLimit : undefined;
  return isDeviceLimit(value) ? value : null;
}
