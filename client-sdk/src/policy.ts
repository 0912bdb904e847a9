/**
 * The limit policy at a full account (docs/protocol.md §11.2): which policy applies, and which device
 * `evict-least-recent` replaces. Pure; the state machine (contention.ts) decides with it.
 */
import type { DeviceClass, LimitPolicy } from './contract';
import type { DeviceEntry, PresenceView } from './presence';

/** An admin's per-user `policy` in the presence node wins over the app's option. */
export function policyIn(presence: PresenceView, appPolicy: LimitPolicy): LimitPolicy {
  return presence.policy ?? appPolicy;
}

/**
 * The device active least recently (of `deviceClass`, when given): the smallest `lastSeen` (its latest claim, lease renewal or
 * liveness answer, §2), ties by the smaller deviceId so every claimer that sees the same data names
 * the same victim — racing replaces then contend for one entry and exactly one wins, instead of each
 * evicting a different device. Never `self`; null when no other device holds a slot.
 */
export function leastRecentlyActive(
  presence: PresenceView,
  self: string,
  deviceClass?: DeviceClass,
): DeviceEntry | null {
  let victim: DeviceEntry | null = null;
  for (const entry of presence.devices.values()) {
    if (entry.deviceId === self) continue;
    if (deviceClass !== undefined && entry.deviceClass !== deviceClass) continue; // docs/protocol.md §11.3: same class only
    if (
      victim === null ||
      entry.lastSeen < victim.lastSeen ||
      (entry.lastSeen === victim.lastSeen && entry.deviceId < victim.deviceId)
    ) {
      victim = entry;
    }
  }
  return victim;
}
