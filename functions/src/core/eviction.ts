/**
 * Eviction choice (docs/protocol.md §5.4, §5.5): when more devices hold slots than the limit allows,
 * the devices that have held their slot longest keep it and the most recently claimed extras go —
 * largest `claimedAt` first, ties broken by the larger `deviceId`, so every invocation (however they
 * overlap) picks the same victims and the result converges.
 */
import { claimedAtOf, type DeviceSlot } from './presence';

/** Oldest claim first; equal claims by ascending deviceId. */
export function compareByClaim(a: DeviceSlot, b: DeviceSlot): number {
  const claimedA = claimedAtOf(a.entry);
  const claimedB = claimedAtOf(b.entry);
  if (claimedA !== claimedB) return claimedA < claimedB ? -1 : 1;
  return a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0;
}

/**
 * The deviceIds to evict so that at most `limit` slots remain, the most recently claimed first.
 */
export function chooseOverLimitEvictions(slots: readonly DeviceSlot[], limit: number): string[] {
  const keep = Math.max(0, Math.floor(limit));
  if (slots.length <= keep) return [];
  const ordered = [...slots].sort(compareByClaim);
  return ordered
    .slice(keep)
    .reverse()
    .map((slot) => slot.deviceId);
}
