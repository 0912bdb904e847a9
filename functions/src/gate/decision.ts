/**
 * The gate's decision, pure: does the device named by a request hold a slot, for the session that
 * signed the request? The facts come from `/presence/{uid}` (docs/protocol.md §2) as the listener last
 * delivered it, compacted into a {@link SlotSnapshot}; the rules are those a client applies to itself
 * in docs/protocol.md §4.8, plus the force-login cut-off of docs/security.md ("The force-login gate").
 */
import { isJsonObject, deviceSlots, evictionNotices, generationOf, notBeforeOf } from '../core/presence';
import type { GateRefusal } from './refusal';

/** What the gate keeps of `/presence/{uid}` per user: a few numbers and ids, not the whole node. */
export interface SlotSnapshot {
  /** `/presence/{uid}/generation`; absent = 0. */
  readonly generation: number;
  /** `/presence/{uid}/notBefore` in seconds, or null when there is no cut-off. */
  readonly notBefore: number | null;
  /** deviceId → the `generation` its entry was claimed with. */
  readonly devices: ReadonlyMap<string, number>;
  /** deviceId → the `reason` of its eviction notice (`/presence/{uid}/evicted/{deviceId}`). */
  readonly notices: ReadonlyMap<string, string>;
}

export const EMPTY_SNAPSHOT: SlotSnapshot = Object.freeze({
  generation: 0,
  notBefore: null,
  devices: new Map<string, number>(),
  notices: new Map<string, string>(),
});

/**
 * Compacts a raw `/presence/{uid}` value. Lenient like the rest of the server (core/presence.ts): an
 * entry without a numeric `generation` counts as generation 0, the value an absent root generation has.
 */
export function slotSnapshot(presence: unknown): SlotSnapshot {
  if (!isJsonObject(presence)) return EMPTY_SNAPSHOT;
  const devices = new Map<string, number>();
  for (const { deviceId, entry } of deviceSlots(presence)) {
    const generation = isJsonObject(entry) ? entry.generation : undefined;
    devices.set(deviceId, typeof generation === 'number' && Number.isFinite(generation) ? generation : 0);
  }
  const notices = new Map<string, string>();
  for (const [deviceId, notice] of Object.entries(evictionNotices(presence))) {
    const reason = isJsonObject(notice) ? notice.reason : undefined;
    notices.set(deviceId, typeof reason === 'string' ? reason : 'unknown');
  }
  return { generation: generationOf(presence), notBefore: notBeforeOf(presence) ?? null, devices, notices };
}

export interface SlotQuestion {
  readonly deviceId: string;
  /** The ID token's `auth_time` claim (seconds), undefined when the token has none. */
  readonly authTime: number | undefined;
}

/** `null`: the device holds a slot; otherwise why not, as the client will be told. */
export type SlotDecision = GateRefusal | null;

/**
 * In this order:
 * 1. a session that signed in before the last force login (`auth_time < notBefore`) is cut off, even
 *    with a valid entry: the entry may have been claimed again by a newer session of the same install,
 *    and this token is the old one (a token without `auth_time` cannot prove it is newer, so it is cut
 *    off too);
 * 2. the device's entry at the current generation: allowed (docs/protocol.md §1 invariant 3);
 * 3. an entry of an older generation: evicted by a force login (docs/protocol.md §4.8 step 1);
 * 4. no entry, an eviction notice: evicted for the notice's reason (docs/protocol.md §4.8 step 2);
 * 5. no entry and no notice: the device holds no slot (never claimed, released by itself, or waiting
 *    at the limit). Another user's deviceId, or a made-up one, lands here: entries are per uid.
 */
export function decideSlot(snapshot: SlotSnapshot, question: SlotQuestion): SlotDecision {
  const { deviceId, authTime } = question;
  if (snapshot.notBefore !== null && (authTime === undefined || authTime < snapshot.notBefore)) {
    return evicted('force-login', 'This session signed in before the last force login on this account; sign in again.');
  }
  const entryGeneration = snapshot.devices.get(deviceId);
  if (entryGeneration === snapshot.generation) return null;
  if (entryGeneration !== undefined) {
    return evicted('force-login', 'This device was signed out by a force login on another device.');
  }
  const reason = snapshot.notices.get(deviceId);
  if (reason !== undefined) return evicted(reason, `This device lost its slot (${reason}).`);
  return {
    httpStatus: 403,
    status: 'PERMISSION_DENIED',
    code: 'device-limit/no-slot',
    message: 'This device holds no slot for this account: claim one first.',
  };
}

function evicted(reason: string, message: string): GateRefusal {
  return { httpStatus: 403, status: 'PERMISSION_DENIED', code: 'device-limit/evicted', message, reason };
}
