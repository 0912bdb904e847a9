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

/** `/presence/{uid}/generation`; absent (or not a number) means 0 (protocol docs/protocol.md §2). */
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

/**
 * `/presence/{uid}/lastActive` in ms (docs/protocol.md §2, §4.4): the server's `now` at the user's
 * latest claim or lease renewal, the value the sweep finds quiet users by. Undefined when absent.
 */
export function lastActiveOf(presence: unknown): number | undefined {
  return isJsonObject(presence) ? finiteNumber(presence.lastActive) : undefined;
}

/** The newest `lastSeen` of `slots`, or undefined when there are none. */
export function newestLastSeen(slots: readonly DeviceSlot[]): number | undefined {
  let newest: number | undefined;
  for (const { entry } of slots) {
    const seen = lastSeenOf(entry);
    if (newest === undefined || seen > newest) newest = seen;
  }
  return newest;
}

/** `/presence/{uid}/evicted` as an object (absent or malformed means no notices). */
export function evictionNotices(presence: unknown): JsonObject {
  return isJsonObject(presence) && isJsonObject(presence.evicted) ? presence.evicted : {};
}
