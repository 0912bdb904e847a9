/**
 * The reconcile plan (docs/protocol.md §5.3–§5.5): given the current `/presence/{uid}` value, what it
 * must become so that `count` equals the number of entries and no more than `limit` entries remain.
 * Pure, so that it can run inside a transaction's update function, which the SDK may call several
 * times (once per `datastale` retry) and whose last call is the one that commits.
 */
import { EVICTION_NOTICE_TTL_MS, type EvictionNotice, type EvictionReason, type TimestampValue } from './contract';
import { chooseOverLimitEvictions } from './eviction';
import {
  deviceSlots,
  evictionNotices,
  generationOf,
  isJsonObject,
  lastSeenOf,
  type DeviceSlot,
  type JsonObject,
} from './presence';

export interface Removal {
  readonly deviceId: string;
  readonly reason: EvictionReason;
}

export interface PresencePlan {
  /** When false the transaction aborts: no write, hence no further trigger — how it converges. */
  readonly changed: boolean;
  /** The value to write when `changed` (null removes the node). */
  readonly next: JsonObject | null;
  readonly removed: readonly Removal[];
  readonly countBefore: unknown;
  readonly countAfter: number;
  readonly noticesDropped: number;
}

export interface ReconcileOptions {
  /** The limit in force (see limit-policy.ts). */
  readonly limit: number;
  /** Server time in ms, for the notice TTL and staleness. */
  readonly now: number;
  /** What an eviction notice's `at` is set to: normally the `{".sv":"timestamp"}` server value. */
  readonly stamp: TimestampValue;
  /** The reason recorded for over-limit evictions: `limit-lowered` when `setDeviceLimit` runs it. */
  readonly overLimitReason?: 'over-limit' | 'limit-lowered';
  /** Sweep only: entries with `lastSeen < staleBefore` are removed with reason `swept`. */
  readonly staleBefore?: number;
  /** Sweep only: `op` names the last removed entry (protocol §5.3). */
  readonly opNamesRemoval?: boolean;
}

/** `count` agrees with `entries`; an absent `count` means 0 (protocol §2). */
export function countMatches(count: unknown, entries: number): boolean {
  return count === entries || (count === undefined && entries === 0);
}

export interface ComposeOptions {
  readonly remaining: readonly DeviceSlot[];
  readonly removed: readonly Removal[];
  readonly stamp: TimestampValue;
  /** The generation recorded in the new notices (the generation after the operation). */
  readonly generation: number;
  /** Notices whose `at` is older than this are dropped; undefined keeps them all. */
  readonly dropNoticesBefore?: number;
}

/**
 * The new presence value: the remaining entries, `count` set to their number, and an eviction notice
 * written for every removed entry in the same write (protocol §5), so a client always learns why
 * its entry disappeared in the same event that removes it.
 */
export function composePresence(
  current: JsonObject,
  options: ComposeOptions,
): { next: JsonObject; noticesDropped: number } {
  const notices: JsonObject = {};
  let noticesDropped = 0;
  for (const [deviceId, notice] of Object.entries(evictionNotices(current))) {
    const at = isJsonObject(notice) ? notice.at : undefined;
    const expired =
      options.dropNoticesBefore !== undefined && (typeof at !== 'number' || at < options.dropNoticesBefore);
    if (expired) noticesDropped += 1;
    else notices[deviceId] = notice;
  }
  for (const { deviceId, reason } of options.removed) {
    const notice: EvictionNotice = { reason, at: options.stamp, generation: options.generation };
    notices[deviceId] = notice;
  }
  const next: JsonObject = { ...current, count: options.remaining.length };
  if (options.remaining.length > 0) {
    next.devices = Object.fromEntries(options.remaining.map((slot) => [slot.deviceId, slot.entry]));
  } else {
    delete next.devices;
  }
  if (Object.keys(notices).length > 0) next.evicted = notices;
  else delete next.evicted;
  return { next, noticesDropped };
}

export function planReconcile(current: unknown, options: ReconcileOptions): PresencePlan {
  const countBefore = isJsonObject(current) ? current.count : undefined;
  if (current === null || current === undefined) {
    return { changed: false, next: null, removed: [], countBefore, countAfter: 0, noticesDropped: 0 };
  }
  if (!isJsonObject(current)) {
    // A primitive at /presence/{uid} holds no slot; removing it restores "absent count = 0 entries".
    return { changed: true, next: null, removed: [], countBefore: current, countAfter: 0, noticesDropped: 0 };
  }

  const removed: Removal[] = [];
  let remaining = deviceSlots(current);
  if (options.staleBefore !== undefined) {
    const staleBefore = options.staleBefore;
    const stale = remaining.filter((slot) => lastSeenOf(slot.entry) < staleBefore);
    removed.push(...stale.map((slot) => ({ deviceId: slot.deviceId, reason: 'swept' as const })));
    remaining = remaining.filter((slot) => lastSeenOf(slot.entry) >= staleBefore);
  }
  const extras = new Set(chooseOverLimitEvictions(remaining, options.limit));
  const overLimitReason = options.overLimitReason ?? 'over-limit';
  for (const deviceId of extras) removed.push({ deviceId, reason: overLimitReason });
  remaining = remaining.filter((slot) => !extras.has(slot.deviceId));

  const { next, noticesDropped } = composePresence(current, {
    remaining,
    removed,
    stamp: options.stamp,
    generation: generationOf(current),
    dropNoticesBefore: options.now - EVICTION_NOTICE_TTL_MS,
  });
  const lastRemoved = removed[removed.length - 1];
  if (options.opNamesRemoval && lastRemoved) next.op = lastRemoved.deviceId;

  // `devices` present but not an object holds no slot and is dropped by composePresence.
  const devicesMalformed = current.devices !== undefined && !isJsonObject(current.devices);
  const changed =
    removed.length > 0 || noticesDropped > 0 || devicesMalformed || !countMatches(countBefore, remaining.length);
  return { changed, next, removed, countBefore, countAfter: remaining.length, noticesDropped };
}
