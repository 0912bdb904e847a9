/**
 * Sign out one device (docs/protocol.md §5.2): remove that entry, recount, name it in `op`, and
 * leave an eviction notice with reason `signed-out` in the same write; like every server
 * transaction it drops notices older than EVICTION_NOTICE_TTL_MS (docs/protocol.md §5).
 */
import type { TimestampValue } from './contract';
import { deviceSlots, generationOf, isJsonObject, type JsonObject } from './presence';
import { composePresence } from './repair-plan';

export type SignOutPlan = { readonly kind: 'applied'; readonly next: JsonObject } | { readonly kind: 'not-found' };

export interface SignOutInput {
  readonly deviceId: string;
  /** What the notice's `at` is set to: normally the server timestamp value. */
  readonly stamp: TimestampValue;
  /** Server time in ms, for the notice TTL. */
  readonly now: number;
}

export function planSignOutDevice(current: unknown, input: SignOutInput): SignOutPlan {
  const { deviceId } = input;
  const slots = deviceSlots(current);
  if (!isJsonObject(current) || !slots.some((slot) => slot.deviceId === deviceId)) return { kind: 'not-found' };
  const { next } = composePresence(current, {
    remaining: slots.filter((slot) => slot.deviceId !== deviceId),
    removed: [{ deviceId, reason: 'signed-out' }],
    stamp: input.stamp,
    generation: generationOf(current),
    now: input.now,
  });
  next.op = deviceId;
  return { kind: 'applied', next };
}
