/**
 * The repair plan (docs/protocol.md §5.4), which the sweep (docs/protocol.md §5.3) and the limit enforcement (docs/protocol.md §5.5)
 * run with their own options: given the current `/presence/{uid}` value, what it must become so that
 * `count` equals the number of entries and no more than `limit` entries remain. Pure, so that it can
 * run inside a transaction's update function, which the SDK may call several times (once per
 * `datastale` retry) and whose last call is the one that commits.
 */
import { EVICTION_NOTICE_TTL_MS, type EvictionNotice, type EvictionReason, type TimestampValue } from './contract';
import { chooseClassEvictions, classCounts, classesTracked, classifySlots, classLimitsOf, sameCounts } from './classes';
import { chooseOverLimitEvictions } from './eviction';
import { keepOpenRequests } from './requests';
import { deviceLimitFor, planLimitOf } from './limit-policy';
import {
  deviceSlots,
  evictionNotices,
  generationOf,
  isJsonObject,
  lastActiveOf,
  lastSeenOf,
  newestLastSeen,
  type DeviceSlot,
  type JsonObject,
} from './presence';

export interface Removal {
  readonly deviceId: string;
  readonly reason: EvictionReason;
}

export interface PresencePlan {
  /** When false the transaction aborts: no write (docs/protocol.md §5.4 "if nothing changed: abort"). */
  readonly changed: boolean;
  /** The value to write when `changed` (null removes the node). */
  readonly next: JsonObject | null;
  readonly removed: readonly Removal[];
  readonly countBefore: unknown;
  readonly countAfter: number;
  /** Eviction notices and expired sign-in requests (docs/protocol.md §11.4) dropped by this write. */
  readonly noticesDropped: number;
  /** The limit the plan enforced. */
  readonly limit: number;
}

/**
 * Where the limit comes from when it is not given as a number (docs/protocol.md §11.1): the raw
 * `/limits/{uid}` override, and the plan limit — the caller's token's (null: its token has none), or,
 * when `planLimit` is left out, the server's copy `planLimit` in the presence value being planned.
 */
export interface LimitSources {
  readonly override: unknown;
  readonly planLimit?: number | null;
  /** The limit when neither sets one (`DEVICE_LIMIT_DEFAULT`); default the contract's. */
  readonly defaultLimit?: number;
}

export interface RepairOptions {
  /** The limit in force, or where to find it in the transaction's current value (limit-policy.ts). */
  readonly limit: number | LimitSources;
  /**
   * A plan limit the caller knows (its token's claim, or a billing backend's, §11.1): written as the
   * server's copy `planLimit` in the same write (null removes it). Extras evicted because the copy
   * went down get the reason `limit-lowered`.
   */
  readonly recordPlanLimit?: number | null;
  /** Server time in ms, for the notice TTL. */
  readonly now: number;
  /** What an eviction notice's `at` is set to: normally the `{".sv":"timestamp"}` server value. */
  readonly stamp: TimestampValue;
  /** The reason recorded for over-limit evictions: `limit-lowered` for §5.5. */
  readonly overLimitReason?: 'over-limit' | 'limit-lowered';
  /**
   * Sweep only (docs/protocol.md §5.3): entries with `lastSeen < staleBefore` are removed with reason `swept`, `op`
   * names the last removed entry, and `lastActive` is maintained (see `sweptLastActive`).
   */
  readonly staleBefore?: number;
  /**
   * docs/protocol.md §11.3 `setClassLimits`: the per-class limits to set (null removes them) in the same write, which
   * then classifies, recounts and evicts by them.
   */
  readonly classLimits?: JsonObject | null;
}

/** `count` agrees with `entries`; an absent `count` means 0 (docs/protocol.md §2). */
export function countMatches(count: unknown, entries: number): boolean {
  return count === entries || (count === undefined && entries === 0);
}

/**
 * The notices of `current` whose `at` is not older than `dropBefore` (docs/protocol.md §5: every
 * server transaction drops notices older than EVICTION_NOTICE_TTL_MS). A notice without a numeric
 * `at` cannot be compared with a claim (docs/protocol.md §4.8), so it is dropped too.
 */
export function keepRecentNotices(current: unknown, dropBefore: number): { notices: JsonObject; dropped: number } {
  const notices: JsonObject = {};
  let dropped = 0;
  for (const [deviceId, notice] of Object.entries(evictionNotices(current))) {
    const at = isJsonObject(notice) ? notice.at : undefined;
    if (typeof at !== 'number' || at < dropBefore) dropped += 1;
    else notices[deviceId] = notice;
  }
  return { notices, dropped };
}

/** The cut-off below which a notice is dropped at server time `now`. */
export function noticeCutoff(now: number): number {
  return now - EVICTION_NOTICE_TTL_MS;
}

export interface ComposeOptions {
  readonly remaining: readonly DeviceSlot[];
  readonly removed: readonly Removal[];
  readonly stamp: TimestampValue;
  /** The generation recorded in the new notices (the generation after the operation). */
  readonly generation: number;
  /** Server time in ms: notices older than EVICTION_NOTICE_TTL_MS before it are dropped. */
  readonly now: number;
}

/**
 * The new presence value: the remaining entries, `count` set to their number, and an eviction notice
 * written for every removed entry in the same write (docs/protocol.md §5), so a client always learns
 * why its entry disappeared in the same event that removes it.
 */
export function composePresence(
  current: JsonObject,
  options: ComposeOptions,
): { next: JsonObject; noticesDropped: number } {
  const { notices, dropped: noticesDropped } = keepRecentNotices(current, noticeCutoff(options.now));
  // docs/protocol.md §11.4: expired sign-in requests go with the old notices.
  const { requests, dropped: requestsDropped } = keepOpenRequests(current, options.now);
  const dropped = noticesDropped + requestsDropped;
  for (const { deviceId, reason } of options.removed) {
    const notice: EvictionNotice = { reason, at: options.stamp, generation: options.generation };
    notices[deviceId] = notice;
  }
  const next: JsonObject = { ...current, count: options.remaining.length };
  // docs/protocol.md §11.3: a user whose classes are tracked gets class counters that match the remaining entries.
  if (classesTracked(current)) {
    const counts = classCounts(current, options.remaining);
    if (counts === undefined) delete next.classCount;
    else next.classCount = counts;
  }
  if (options.remaining.length > 0) {
    next.devices = Object.fromEntries(options.remaining.map((slot) => [slot.deviceId, slot.entry]));
  } else {
    delete next.devices;
  }
  if (Object.keys(notices).length > 0) next.evicted = notices;
  else delete next.evicted;
  if (Object.keys(requests).length > 0) next.requests = requests;
  else delete next.requests;
  return { next, noticesDropped: dropped };
}

/**
 * `lastActive` after a sweep (docs/protocol.md §5.3), or undefined to remove it.
 * - No entry remains: removed, so the user drops out of the sweep's query for good (until a claim).
 * - Entries remain: none of them is stale, so the user did not go quiet; `lastActive` is raised to
 *   the newest remaining `lastSeen` when it is older (a label change, §4.5, moves `lastSeen` but not
 *   `lastActive`; an admin may have written anything). Without this the user would stay in the
 *   query's range and be visited by every sweep: the sweep's cost would grow with such users, not
 *   with the users who went quiet. With it, a user holding entries is visited at most once per
 *   STALE_AFTER_MS.
 */
export function sweptLastActive(current: JsonObject, remaining: readonly DeviceSlot[]): number | undefined {
  const newest = newestLastSeen(remaining);
  if (newest === undefined) return undefined;
  const lastActive = lastActiveOf(current);
  return lastActive !== undefined && lastActive >= newest ? lastActive : newest;
}

/** `current` with the class limits `setClassLimits` writes (docs/protocol.md §11.3); unchanged when none are given. */
function withClassLimits(current: unknown, classLimits: JsonObject | null | undefined): unknown {
  if (classLimits === undefined) return current;
  const base: JsonObject = isJsonObject(current) ? { ...current } : {};
  if (classLimits === null || Object.keys(classLimits).length === 0) delete base.classLimits;
  else base.classLimits = classLimits;
  return Object.keys(base).length === 0 && (current === null || current === undefined) ? current : base;
}

/** The limit `options` set for `current` (docs/protocol.md §11.1). */
export function limitIn(current: unknown, options: Pick<RepairOptions, 'limit'>): number {
  if (typeof options.limit === 'number') return options.limit;
  const { override, planLimit, defaultLimit } = options.limit;
  return deviceLimitFor(override, planLimit !== undefined ? planLimit : planLimitOf(current), defaultLimit);
}

export function planRepair(input: unknown, options: RepairOptions): PresencePlan {
  const current = withClassLimits(input, options.classLimits);
  const countBefore = isJsonObject(current) ? current.count : undefined;
  const limit = limitIn(current, options);
  if (current === null || current === undefined) {
    return { changed: false, next: null, removed: [], countBefore, countAfter: 0, noticesDropped: 0, limit };
  }
  if (!isJsonObject(current)) {
    // A primitive at /presence/{uid} holds no slot; removing it restores "absent count = 0 entries".
    return { changed: true, next: null, removed: [], countBefore: current, countAfter: 0, noticesDropped: 0, limit };
  }

  const sweeping = options.staleBefore !== undefined;
  const removed: Removal[] = [];
  const slots = deviceSlots(current);
  // docs/protocol.md §11.3: with class limits set, an entry claimed before them is given its platform's class.
  let remaining = classifySlots(current, slots);
  const classified = remaining.some((slot, i) => slot.entry !== slots[i]?.entry);
  if (options.staleBefore !== undefined) {
    const staleBefore = options.staleBefore;
    const stale = remaining.filter((slot) => lastSeenOf(slot.entry) < staleBefore);
    removed.push(...stale.map((slot) => ({ deviceId: slot.deviceId, reason: 'swept' as const })));
    remaining = remaining.filter((slot) => lastSeenOf(slot.entry) >= staleBefore);
  }
  const extras = new Set(chooseOverLimitEvictions(remaining, limit));
  const recorded = options.recordPlanLimit;
  const planLowered =
    recorded !== undefined && recorded !== null && recorded < (planLimitOf(current) ?? Number.POSITIVE_INFINITY);
  const overLimitReason = options.overLimitReason ?? (planLowered ? 'limit-lowered' : 'over-limit');
  for (const deviceId of extras) removed.push({ deviceId, reason: overLimitReason });
  remaining = remaining.filter((slot) => !extras.has(slot.deviceId));
  // docs/protocol.md §11.3: then no class above its limit, the most recently claimed of the class first.
  const classExtras = new Set(chooseClassEvictions(remaining, classLimitsOf(current)));
  for (const deviceId of classExtras) removed.push({ deviceId, reason: overLimitReason });
  remaining = remaining.filter((slot) => !classExtras.has(slot.deviceId));

  const { next, noticesDropped } = composePresence(current, {
    remaining,
    removed,
    stamp: options.stamp,
    generation: generationOf(current),
    now: options.now,
  });

  let lastActiveChanged = false;
  if (sweeping) {
    const lastRemoved = removed[removed.length - 1];
    if (lastRemoved) next.op = lastRemoved.deviceId;
    const lastActive = sweptLastActive(current, remaining);
    if (lastActive === undefined) delete next.lastActive;
    else next.lastActive = lastActive;
    lastActiveChanged = next.lastActive !== current.lastActive;
  }

  let planLimitChanged = false;
  if (recorded !== undefined) {
    if (recorded === null) delete next.planLimit;
    else next.planLimit = recorded;
    planLimitChanged = next.planLimit !== current.planLimit;
  }

  // `devices` present but not an object holds no slot and is dropped by composePresence.
  const devicesMalformed = current.devices !== undefined && !isJsonObject(current.devices);
  const changed =
    removed.length > 0 ||
    noticesDropped > 0 ||
    devicesMalformed ||
    lastActiveChanged ||
    planLimitChanged ||
    classified ||
    (options.classLimits !== undefined &&
      !sameCounts(current.classLimits, isJsonObject(input) ? input.classLimits : undefined)) ||
    !sameCounts(next.classCount, current.classCount) ||
    !countMatches(countBefore, remaining.length);
  return { changed, next, removed, countBefore, countAfter: remaining.length, noticesDropped, limit };
}
