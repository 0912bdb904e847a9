/**
 * The limit policy: which number bounds a user's slots (docs/protocol.md §2, §5.4, §5.5).
 */
import { DEFAULT_DEVICE_LIMIT, MAX_DEVICE_LIMIT, MIN_DEVICE_LIMIT } from './contract';

/** True for a limit `setDeviceLimit` may write: an integer in 0..100. */
export function isValidDeviceLimit(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= MIN_DEVICE_LIMIT && (value as number) <= MAX_DEVICE_LIMIT;
}

/**
 * The limit in force given the raw `/limits/{uid}` value. The rules use `/limits/{uid}` when it is a
 * number and the default otherwise (`isNumber() ? val() : 2`); the server reads it the same way so
 * both sides agree. A negative or fractional number cannot be written by `setDeviceLimit`; if one
 * was written by hand it is clamped rather than ignored, matching what the rules would allow.
 */
export function effectiveDeviceLimit(raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return DEFAULT_DEVICE_LIMIT;
  return Math.max(MIN_DEVICE_LIMIT, Math.floor(raw));
}
