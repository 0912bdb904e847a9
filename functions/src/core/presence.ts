/**
 * Reading a raw `/presence/{uid}` value (whatever JSON the database holds) into the few facts the
 * server decides on. Lenient on purpose: the rules keep client writes well-formed, but the server
 * must still converge when the console or a buggy admin script wrote something odd.
 */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** One child of `devices`, with its key. `entry` is whatever the database holds there. */
export interface DeviceSlot {
  readonly deviceId: string;
  readonly entry: unknown;
}

/** `/presence/{uid}/devices` as a list (an absent or non-object `devices` holds no slot). */
export function deviceSlots(presence: unknown): DeviceSlot[] {
  if (!isJsonObject(presence) || !isJsonObject(presence.devices)) return [];
  return Object.entries(presence.devices).map(([deviceId, entry]) => ({ deviceId, entry }));
}

/** `/presence/{uid}/generation`; absent (or not a number) means 0 (protocol §2). */
export function generationOf(presence: unknown): number {
  return (isJsonObject(presence) ? finiteNumber(presence.generation) : undefined) ?? 0;
}

/** `/presence/{uid}/notBefore` in seconds, or undefined when there is no cut-off. */
export function notBeforeOf(presence: unknown): number | undefined {
  return isJsonObject(presence) ? finiteNumber(presence.notBefore) : undefined;
}

/**
 * When an entry was claimed, for choosing which extras to evict. An entry without a numeric
 * `claimedAt` cannot have come through the rules, so it sorts as the newest and goes first.
 */
export function claimedAtOf(entry: unknown): number {
  return (isJsonObject(entry) ? finiteNumber(entry.claimedAt) : undefined) ?? Number.POSITIVE_INFINITY;
}

/**
 * When an entry was last seen. Falls back to `claimedAt`, then to 0, so a malformed entry counts as
 * stale and is swept instead of holding a slot forever.
 */
export function lastSeenOf(entry: unknown): number {
  if (!isJsonObject(entry)) return 0;
  return finiteNumber(entry.lastSeen) ?? finiteNumber(entry.claimedAt) ?? 0;
}

/** The value kept at `/presenceIndex/{uid}`: the oldest `lastSeen`, or null without entries (§5.3). */
export function oldestLastSeen(presence: unknown): number | null {
  let oldest: number | null = null;
  for (const { entry } of deviceSlots(presence)) {
    const seen = lastSeenOf(entry);
    if (oldest === null || seen < oldest) oldest = seen;
  }
  return oldest;
}

/** The device ids present in a presence value, as a set. */
export function deviceIds(presence: unknown): Set<string> {
  return new Set(deviceSlots(presence).map((slot) => slot.deviceId));
}

/** `/presence/{uid}/evicted` as an object (absent or malformed means no notices). */
export function evictionNotices(presence: unknown): JsonObject {
  return isJsonObject(presence) && isJsonObject(presence.evicted) ? presence.evicted : {};
}
