/**
 * Device classes on the server (docs/protocol.md §11.3). The rules keep `classCount/{class}` equal to
 * the user's entries of that class on every client write; the server keeps it so by construction:
 * every transaction that adds or removes entries recomputes the counters of a user whose classes are
 * tracked (class limits set, or counters written by class-aware clients). Pure.
 */
import { DEVICE_CLASSES, isDeviceClass, isDeviceLimit, platformClass, type DeviceClass } from '@device-limit/contract';
import { isJsonObject, type DeviceSlot, type JsonObject } from './presence';
import { compareByClaim } from './eviction';

/** `/presence/{uid}/classLimits` as a map of valid limits (docs/protocol.md §11.3); anything else is ignored. */
export function classLimitsOf(presence: unknown): Partial<Record<DeviceClass, number>> {
  const raw = isJsonObject(presence) && isJsonObject(presence.classLimits) ? presence.classLimits : {};
  const limits: Partial<Record<DeviceClass, number>> = {};
  for (const deviceClass of DEVICE_CLASSES) {
    const value = raw[deviceClass];
    if (isDeviceLimit(value)) limits[deviceClass] = value;
  }
  return limits;
}

/** Whether the user's classes are tracked: class limits are set, or class counters exist. */
export function classesTracked(presence: unknown): boolean {
  return isJsonObject(presence) && (isJsonObject(presence.classLimits) || isJsonObject(presence.classCount));
}

/** The class an entry carries, or undefined for an entry without one (counted nowhere, §11.3). */
export function entryClass(entry: unknown): DeviceClass | undefined {
  return isJsonObject(entry) && isDeviceClass(entry.class) ? entry.class : undefined;
}

/**
 * With class limits set, every entry has a class (the rules require one of new entries): an entry
 * claimed before the limits were set gets its platform's class.
 */
export function classifySlots(presence: unknown, slots: readonly DeviceSlot[]): DeviceSlot[] {
  if (!isJsonObject(presence) || !isJsonObject(presence.classLimits)) return [...slots];
  return slots.map((slot) => {
    if (!isJsonObject(slot.entry) || entryClass(slot.entry) !== undefined) return slot;
    const platform = typeof slot.entry.platform === 'string' ? slot.entry.platform : 'other';
    return { deviceId: slot.deviceId, entry: { ...slot.entry, class: platformClass(platform) } };
  });
}

/**
 * `classCount` for `slots`: the number of entries of each class, and 0 for a class whose counter
 * exists but has no entry left (the rules read absent and 0 alike; keeping the key keeps the write
 * small and the result stable). Undefined when no counter remains.
 */
export function classCounts(presence: unknown, slots: readonly DeviceSlot[]): JsonObject | undefined {
  const counts: JsonObject = {};
  const existing = isJsonObject(presence) && isJsonObject(presence.classCount) ? presence.classCount : {};
  for (const key of Object.keys(existing)) if (isDeviceClass(key)) counts[key] = 0;
  for (const { entry } of slots) {
    const deviceClass = entryClass(entry);
    if (deviceClass !== undefined) counts[deviceClass] = ((counts[deviceClass] as number | undefined) ?? 0) + 1;
  }
  return Object.keys(counts).length > 0 ? counts : undefined;
}

/** Two `classCount` values hold the same numbers (key order aside); absent equals absent. */
export function sameCounts(a: unknown, b: unknown): boolean {
  if (!isJsonObject(a) || !isJsonObject(b)) return a === b || (a == null && b == null);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

/**
 * The entries to evict so that no class holds more than its limit: the most recently claimed of each
 * class first, as for the total (eviction.ts), so overlapping invocations choose the same devices.
 */
export function chooseClassEvictions(
  slots: readonly DeviceSlot[],
  limits: Partial<Record<DeviceClass, number>>,
): string[] {
  const evicted: string[] = [];
  for (const deviceClass of DEVICE_CLASSES) {
    const limit = limits[deviceClass];
    if (limit === undefined) continue;
    const members = slots.filter((slot) => entryClass(slot.entry) === deviceClass).sort(compareByClaim);
    evicted.push(
      ...members
        .slice(limit)
        .reverse()
        .map((slot) => slot.deviceId),
    );
  }
  return evicted;
}
