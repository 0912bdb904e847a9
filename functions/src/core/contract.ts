/**
 * The data contract as the functions see it: docs/protocol.md §2 (paths and fields), §3
 * (identifiers) and §7 (constants). Everything here mirrors `database.rules.json`; the rules are
 * authoritative for clients, these copies are what the server keeps by construction.
 */

/**
 * The limit when `/limits/{uid}` is absent. Authoritative copy: the `.validate` rule of
 * `/presence/$uid/count` in database.rules.json (docs/protocol.md §2, "The default limit N = 2");
 * test/rules/default-limit.test.ts fails when this copy disagrees.
 */
export const DEFAULT_DEVICE_LIMIT = 2;

/** Bounds of a per-user limit written by `setDeviceLimit` (docs/protocol.md §2, `/limits/{uid}`). */
export const MIN_DEVICE_LIMIT = 0;
export const MAX_DEVICE_LIMIT = 100;

/** docs/protocol.md §3: a database key, so none of `. $ # [ ] /` can appear. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export const PLATFORMS = ['web', 'ios', 'android', 'macos', 'windows', 'linux', 'other'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const LABEL_MIN_LENGTH = 1;
export const LABEL_MAX_LENGTH = 64;

/** Stale = `lastSeen < now - STALE_AFTER_MS`: three missed 5-minute heartbeats (protocol §5.3). */
export const STALE_AFTER_MS = 15 * 60 * 1000; /* 15 min */

/** Eviction notices older than this are dropped by the reconcile (protocol §5.4). */
export const EVICTION_NOTICE_TTL_MS = 24 * 60 * 60 * 1000; /* 24 h */

/** At most this many audit events are kept per user (protocol §6). */
export const PRESENCE_EVENTS_MAX = 100;

/** An audit event's `reason` is a string of at most 64 characters (protocol §6). */
export const AUDIT_REASON_MAX_LENGTH = 64;

/**
 * Firebase Auth uids are at most 128 characters; they are used as database keys, so the characters
 * the database forbids in keys (`. $ # [ ] /` and ASCII control characters) cannot appear.
 */
export const UID_MAX_LENGTH = 128;
export const FORBIDDEN_KEY_CHARACTERS = /[.$#[\]/\u0000-\u001f\u007f]/;

/** Why the server removed an entry; written to `/presence/{uid}/evicted/{deviceId}/reason` (§4.8). */
export type EvictionReason = 'force-login' | 'signed-out' | 'swept' | 'over-limit' | 'limit-lowered';

/** The database's `timestamp` server value as it goes over the wire (ServerValue.TIMESTAMP). */
export const SERVER_TIMESTAMP = Object.freeze({ '.sv': 'timestamp' } as const);

/** A server value resolved by the database when the write lands, or a number already resolved. */
export type TimestampValue = number | typeof SERVER_TIMESTAMP;

/** The eviction notice at `/presence/{uid}/evicted/{deviceId}` (protocol §2, §5). */
export interface EvictionNotice {
  readonly reason: EvictionReason;
  readonly at: TimestampValue;
  readonly generation: number;
}

/** Database paths of the contract, without a leading slash (as `db.ref()` takes them). */
export const PRESENCE_ROOT = 'presence';
export const LIMITS_ROOT = 'limits';
export const PRESENCE_INDEX_ROOT = 'presenceIndex';
export const PRESENCE_EVENTS_ROOT = 'presenceEvents';

export function presencePath(uid: string): string {
  return `${PRESENCE_ROOT}/${uid}`;
}

export function limitPath(uid: string): string {
  return `${LIMITS_ROOT}/${uid}`;
}

export function presenceIndexPath(uid: string): string {
  return `${PRESENCE_INDEX_ROOT}/${uid}`;
}

export function presenceEventsPath(uid: string): string {
  return `${PRESENCE_EVENTS_ROOT}/${uid}`;
}
