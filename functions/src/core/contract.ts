/**
 * The data contract as the functions see it: docs/protocol.md §2 (paths and fields), §3
 * (identifiers) and §7 (constants). The shared constants come from `@device-limit/contract`, the one
 * place the client module and the functions take them from; this module adds what only the server
 * needs (the server timestamp value, uid checks for callable input, the notice shape).
 */
import type { NoticeReason } from '@device-limit/contract';

export {
  AUDIT_REASON_MAX_LENGTH,
  DEFAULT_DEVICE_LIMIT,
  DEVICE_ID_PATTERN,
  EVICTION_NOTICE_TTL_MS,
  LABEL_MAX_LENGTH,
  LABEL_MIN_LENGTH,
  MAX_DEVICE_LIMIT,
  MIN_DEVICE_LIMIT,
  PLATFORMS,
  PRESENCE_EVENTS_MAX,
  STALE_AFTER_MS,
  SWEEP_SCHEDULE,
  limitPath,
  presenceEventsPath,
  presencePath,
} from '@device-limit/contract';
export type { AuditEventType, Platform } from '@device-limit/contract';

/**
 * Firebase Auth uids are at most 128 characters; they are used as database keys, so the characters
 * the database forbids in keys (`. $ # [ ] /` and ASCII control characters) cannot appear.
 */
export const UID_MAX_LENGTH = 128;
export const FORBIDDEN_KEY_CHARACTERS = /[.$#[\]/\u0000-\u001f\u007f]/;

/** Why the server removed an entry; written to `/presence/{uid}/evicted/{deviceId}/reason` (docs/protocol.md §4.8). */
export type EvictionReason = NoticeReason;

/** The database's `timestamp` server value as it goes over the wire (ServerValue.TIMESTAMP). */
export const SERVER_TIMESTAMP = Object.freeze({ '.sv': 'timestamp' } as const);

/** A server value resolved by the database when the write lands, or a number already resolved. */
export type TimestampValue = number | typeof SERVER_TIMESTAMP;

/** The eviction notice at `/presence/{uid}/evicted/{deviceId}` (docs/protocol.md §2, §5). */
export interface EvictionNotice {
  readonly reason: EvictionReason;
  readonly at: TimestampValue;
  readonly generation: number;
}

/**
 * The indexed child of `/presence/{uid}` the sweep orders by (docs/protocol.md §2, §5.3; the rules'
 * `.indexOn: ["lastActive"]`).
 */
export const LAST_ACTIVE_KEY = 'lastActive';
