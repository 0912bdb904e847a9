/**
 * @device-limit/contract — the data contract of docs/protocol.md (version 2) as typed constants and
 * pure helpers: the one source that the client module, the Cloud Functions and the security rules
 * take their paths, fields, patterns and limits from. Nothing here imports a Firebase SDK.
 */
import type { DeviceLimitConfig } from './config';

/** docs/protocol.md §9: the version of the data contract this package describes. */
export const PROTOCOL_VERSION = 2;

/**
 * docs/protocol.md §2, "The default limit N = 2": the limit when `/limits/{uid}` is absent. The
 * rules carry the same number (test/rules/default-limit.test.ts checks every copy).
 */
export const DEFAULT_DEVICE_LIMIT = 2;

/** docs/protocol.md §2: bounds of a per-user limit at `/limits/{uid}`. */
export const MIN_DEVICE_LIMIT = 0;
export const MAX_DEVICE_LIMIT = 100;

/** docs/protocol.md §3: a database key of safe characters, 8 to 64 long. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** docs/protocol.md §2: the fixed set the rules accept for `platform`. */
export const PLATFORMS = ['web', 'ios', 'android', 'macos', 'windows', 'linux', 'other'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** docs/protocol.md §2: `label` is 1 to 64 UTF-16 code units (what the rules' `length` counts). */
export const LABEL_MIN_LENGTH = 1;
export const LABEL_MAX_LENGTH = 64;

/** docs/protocol.md §4.4: a holding client renews its lease this often (and on resume). */
export const LEASE_RENEWAL_MS = 60 * 60 * 1000; /* 1 h */

/**
 * docs/protocol.md §4.10, §5.3: an entry whose lease was not renewed for this long is stale (three
 * missed renewals), and any client of the user or the sweep may remove it.
 */
export const STALE_AFTER_MS = 3 * LEASE_RENEWAL_MS; /* 3 h */

/**
 * docs/protocol.md §4.9: holders have this long to answer a liveness check; it is also the least time
 * between two checks, which the rules enforce.
 */
export const PING_DEADLINE_MS = 10 * 1000; /* 10 s */

/**
 * docs/protocol.md §4.11: after the server runs a device's onDisconnect release, the freed slot is
 * kept for that install this long, so that another tab of the same browser, or the same app on its
 * next connection, takes it back before a waiting device can. The same bound a live device has to
 * answer a liveness check: "a running install proves itself within 10 s" holds everywhere.
 */
export const REJOIN_WINDOW_MS = 10 * 1000; /* 10 s */

/** docs/protocol.md §5.3: how often the scheduled sweep runs (firebase-functions schedule syntax). */
export const SWEEP_SCHEDULE = 'every 15 minutes';
export const SWEEP_INTERVAL_MS = 15 * 60 * 1000; /* 15 min */

/** docs/protocol.md §5: eviction notices older than this are dropped by the server's transactions. */
export const EVICTION_NOTICE_TTL_MS = 24 * 60 * 60 * 1000; /* 24 h */

/** docs/protocol.md §6: at most this many audit events are kept per user. */
export const PRESENCE_EVENTS_MAX = 100;

/** docs/protocol.md §6: an audit event's `reason` is a string of at most 64 characters. */
export const AUDIT_REASON_MAX_LENGTH = 64;

/** docs/protocol.md §6: the types of an audit event. */
export const AUDIT_EVENT_TYPES = ['claimed', 'released', 'swept', 'denied', 'evicted'] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** docs/protocol.md §4.8: why an entry was removed by another party (`evicted/{deviceId}/reason`). */
export const NOTICE_REASONS = [
  'force-login',
  'signed-out',
  'swept',
  'over-limit',
  'limit-lowered',
  // docs/protocol.md §11.2: a claim under the policy evict-least-recent took this device's slot.
  'replaced',
] as const;
export type NoticeReason = (typeof NOTICE_REASONS)[number];

/** The root paths of the contract (docs/protocol.md §2), without a leading slash. */
export interface ContractPaths {
  /** `/presence/{uid}`: the counter, the entries and the notices. */
  readonly presence: string;
  /** `/limits/{uid}`: an admin's per-user limit. */
  readonly limits: string;
  /** `/presenceEvents/{uid}/{pushId}`: the audit trail. */
  readonly presenceEvents: string;
}

export const DEFAULT_PATHS: ContractPaths = Object.freeze({
  presence: 'presence',
  limits: 'limits',
  presenceEvents: 'presenceEvents',
});

/**
 * The protocol's own configuration: what the rules, the functions and the client use when a project
 * configures nothing (docs/adopt.md, "Configuration"; `resolveConfig` in config.ts).
 */
export const DEFAULT_CONFIG: DeviceLimitConfig = Object.freeze({
  paths: DEFAULT_PATHS,
  defaultLimit: DEFAULT_DEVICE_LIMIT,
  platforms: PLATFORMS,
});

export function presencePath(uid: string, paths: ContractPaths = DEFAULT_PATHS): string {
  return `${paths.presence}/${uid}`;
}

export function devicePath(uid: string, deviceId: string, paths: ContractPaths = DEFAULT_PATHS): string {
  return `${paths.presence}/${uid}/devices/${deviceId}`;
}

export function limitPath(uid: string, paths: ContractPaths = DEFAULT_PATHS): string {
  return `${paths.limits}/${uid}`;
}

export function presenceEventsPath(uid: string, paths: ContractPaths = DEFAULT_PATHS): string {
  return `${paths.presenceEvents}/${uid}`;
}

export function isValidDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID_PATTERN.test(value);
}

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}

/** docs/protocol.md §2: whether a label is within the rules' bounds as it is (no normalising). */
export function isValidLabel(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.trim().length > 0 &&
    value.length >= LABEL_MIN_LENGTH &&
    value.length <= LABEL_MAX_LENGTH
  );
}

export * from './config';
export * from './shard-map';
export * from './policies';
