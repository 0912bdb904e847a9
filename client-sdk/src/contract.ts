/**
 * The data contract of docs/protocol.md, as constants and pure helpers. Nothing here imports
 * `firebase`: the writes themselves are built in `database.ts`.
 */

/**
 * The default per-user limit (docs/protocol.md §2, "The default limit N = 2"). The authoritative
 * value lives in `database.rules.json`; `test/rules/default-limit.test.ts` checks this copy.
 */
export const DEFAULT_DEVICE_LIMIT = 2;

/** docs/protocol.md §3: a database key of safe characters, 8 to 64 long. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** docs/protocol.md §2: the fixed set the rules accept for `platform`. */
export const PLATFORMS = ['web', 'ios', 'android', 'macos', 'windows', 'linux', 'other'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** docs/protocol.md §2: `label` is 1 to 64 characters. */
export const LABEL_MAX_LENGTH = 64;

/** docs/protocol.md §7: the client's default heartbeat rate. */
export const HEARTBEAT_INTERVAL_MS = 5 * 60 * 1000; /* 5 min */

/**
 * docs/protocol.md §7: the sweep removes entries not seen for 15 minutes. A heartbeat interval above a
 * third of it would let one delayed beat get a live device swept, so that is the upper bound.
 */
export const STALE_AFTER_MS = 15 * 60 * 1000; /* 15 min */
export const MAX_HEARTBEAT_INTERVAL_MS = STALE_AFTER_MS / 3; /* 5 min */

/** A lower bound so no app (or bug) turns the heartbeat into a write storm. */
export const MIN_HEARTBEAT_INTERVAL_MS = 30 * 1000; /* 30 s */

/** The reasons of an eviction notice `/presence/{uid}/evicted/{deviceId}/reason` (§4.8, §5). */
export type NoticeReason = 'signed-out' | 'swept' | 'over-limit' | 'limit-lowered' | 'force-login';

/** Why this install lost its slot, as reported to the app. */
export type EvictionReason = 'force-login' | 'signed-out-remotely' | 'swept-stale' | 'over-limit' | 'limit-lowered';

/** Maps a notice reason (server vocabulary) to the reason the session reports. */
export function evictionReasonFromNotice(reason: unknown): EvictionReason {
  switch (reason) {
    case 'signed-out':
      return 'signed-out-remotely';
    case 'swept':
      return 'swept-stale';
    case 'over-limit':
      return 'over-limit';
    case 'limit-lowered':
      return 'limit-lowered';
    case 'force-login':
      return 'force-login';
    default:
      // An unknown reason from a newer server still means "another party removed this entry".
      return 'signed-out-remotely';
  }
}

export function presencePath(uid: string): string {
  return `presence/${uid}`;
}

export function devicePath(uid: string, deviceId: string): string {
  return `presence/${uid}/devices/${deviceId}`;
}

export function limitPath(uid: string): string {
  return `limits/${uid}`;
}

export function presenceEventsPath(uid: string): string {
  return `presenceEvents/${uid}`;
}

export function isValidDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID_PATTERN.test(value);
}

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}

/**
 * Brings a free-form label into the rules' bounds: trimmed, at most 64 UTF-16 code units (the rules'
 * `length` counts code units), and never empty.
 */
export function normalizeLabel(label: string | undefined, fallback: string): string {
  const trimmed = (label ?? '').trim();
  const chosen = trimmed.length > 0 ? trimmed : fallback;
  if (chosen.length <= LABEL_MAX_LENGTH) return chosen;
  // Do not cut a surrogate pair in half.
  let end = LABEL_MAX_LENGTH;
  const code = chosen.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return chosen.slice(0, end);
}
