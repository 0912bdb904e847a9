/**
 * Sign out one device (docs/protocol.md §5.2): remove that entry, recount, name it in `op`, and
 * leave an eviction notice with reason `signed-out` in the same write.
 */
import type { TimestampValue } from './contract';
import { deviceSlots, generationOf, isJsonObject, type JsonObject } from './presence';
import { composePresence } from './reconcile-plan';

export type SignOutPlan = { readonly kind: 'applied'; readonly next: JsonObject } | { readonly kind: 'not-found' };

export function planSignOutDevice(current: unknown, deviceId: string, stamp: TimestampValue): SignOutPlan {
  const slots = deviceSlots(current);
  if (!isJsonObject(current) || !slots.some((slot) => slot.deviceId === deviceId)) return { kind: 'not-found' };
  const { next } = composePresence(current, {
    remaining: slots.filter((slot) => slot.deviceId !== deviceId),
    removed: [{ deviceId, reason: 'signed-out' }],
    stamp,
    generation: generationOf(current),
  });
  next.op = deviceId;
  return { kind: 'applied', next };
}
