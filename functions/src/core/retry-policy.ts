/**
 * The database triggers (`enforceDeviceLimit`, `trimPresenceEvents`) are deployed with `retry: true`
 * (a failed invocation — a transaction that ran out of retries, a network error — is delivered again
 * instead of leaving a lowered limit unenforced or the trail unbounded). Retried functions must be
 * idempotent and must stop retrying eventually: the documented pattern is to drop events older than
 * a bound (https://cloud.google.com/functions/docs/bestpractices/retries). Both recompute from the
 * current data, so they are idempotent, and this is the bound.
 */
export const MAX_EVENT_AGE_MS = 10 * 60 * 1000; /* 10 min */

/** True when an event with CloudEvent `time` (RFC 3339) is too old to act on at `now`. */
export function isEventTooOld(time: string | undefined, now: number, maxAgeMs = MAX_EVENT_AGE_MS): boolean {
  if (time === undefined) return false;
  const at = Date.parse(time);
  return Number.isFinite(at) && now - at > maxAgeMs;
}
