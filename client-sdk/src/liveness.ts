/**
 * The liveness check and the client sweep of docs/protocol.md §4.9 and §4.10 as pure decisions on one
 * value of `/presence/{uid}` and the server's time (`now`: the local clock plus
 * `.info/serverTimeOffset`). No `firebase` import and no clock of their own, so they are unit-tested
 * with plain numbers.
 *
 * The offset the SDK reports is measured from the handshake's server timestamp on arrival, so it lags
 * the server by the handshake's transit time: `now` here errs early, never late. Waiting for a deadline
 * or an expiry by this estimate is therefore safe; CHECK_MARGIN_MS only absorbs clock drift since then.
 */
import { PING_DEADLINE_MS, REJOIN_WINDOW_MS, STALE_AFTER_MS } from './contract';
import type { DeviceEntry, PresenceView } from './presence';

/** How long past a deadline the client waits before it acts on it, so the rules' `now` has passed it too. */
export const CHECK_MARGIN_MS = 250;

/** docs/protocol.md §4.9 step 1: ask a new check, or wait on the one another device asked less than PING_DEADLINE_MS ago. */
export type PingDecision = { readonly kind: 'ask' } | { readonly kind: 'wait'; readonly ping: number };

export function decidePing(presence: PresenceView, now: number): PingDecision {
  const { ping } = presence;
  // The rules refuse a ping within PING_DEADLINE_MS of the previous one; that check is as good as ours.
  if (ping !== null && now < ping + PING_DEADLINE_MS) return { kind: 'wait', ping };
  return { kind: 'ask' };
}

/** docs/protocol.md §4.9 step 3: when the device waiting on `ping` may sweep the holders that did not answer. */
export function checkDeadline(ping: number): number {
  return ping + PING_DEADLINE_MS + CHECK_MARGIN_MS;
}

/**
 * docs/protocol.md §4.9 step 2: the ping this holder must answer with a lease renewal, or null. A holder answers a ping
 * newer than its own `lastSeen` (only those make it sweepable), and each ping once.
 */
export function pingToAnswer(presence: PresenceView, deviceId: string, answered: number | null): number | null {
  const { ping } = presence;
  const entry = presence.devices.get(deviceId);
  if (ping === null || entry === undefined || entry.lastSeen >= ping || ping === answered) return null;
  return ping;
}

/** docs/protocol.md §4.10: the lease ran out (three missed renewals). */
export function leaseExpired(entry: DeviceEntry, now: number): boolean {
  return entry.lastSeen < now - STALE_AFTER_MS - CHECK_MARGIN_MS;
}

/** docs/protocol.md §4.10: the entry did not answer `ping`, and the deadline passed. */
export function missedPing(entry: DeviceEntry, ping: number | null, now: number): boolean {
  return ping !== null && entry.lastSeen < ping && now >= checkDeadline(ping);
}

/**
 * Identifies one sweep candidate: the same entry with a newer `lastSeen` (it renewed since) is a new
 * candidate, so "sweep each at most once" never blocks a later, legitimate sweep.
 */
export function sweepKey(entry: DeviceEntry): string {
  return `${entry.deviceId}@${entry.lastSeen}`;
}

export interface SweepQuery {
  readonly now: number;
  /** This install: never swept by itself. */
  readonly self: string;
  /** Keys (sweepKey) already tried: a refused sweep is not repeated. */
  readonly tried: ReadonlySet<string>;
  /** Also sweep the entries that missed the current ping (the device waiting at a full account). */
  readonly afterPing: boolean;
}

/** docs/protocol.md §4.10: the entries this client may remove now, oldest `lastSeen` first. */
export function entriesToSweep(presence: PresenceView, query: SweepQuery): DeviceEntry[] {
  return [...presence.devices.values()]
    .filter(
      (entry) =>
        entry.deviceId !== query.self &&
        !query.tried.has(sweepKey(entry)) &&
        (leaseExpired(entry, query.now) || (query.afterPing && missedPing(entry, presence.ping, query.now))),
    )
    .sort((a, b) => a.lastSeen - b.lastSeen);
}

/**
 * docs/protocol.md §4.9: every holder has renewed since `ping` (answered it, or claimed after it), so nobody can be
 * swept for it: the waiting device settles at once instead of sitting out the deadline.
 */
export function everyHolderAnswered(presence: PresenceView, ping: number, self: string): boolean {
  for (const entry of presence.devices.values()) {
    if (entry.deviceId !== self && entry.lastSeen < ping) return false;
  }
  return true;
}

/** Drops the tried keys of entries that are gone or renewed, so the set stays as small as the device list. */
export function pruneTried(tried: ReadonlySet<string>, presence: PresenceView): ReadonlySet<string> {
  if (tried.size === 0) return tried;
  const live = new Set([...presence.devices.values()].map(sweepKey));
  const kept = [...tried].filter((key) => live.has(key));
  return kept.length === tried.size ? tried : new Set(kept);
}

/**
 * docs/protocol.md §4.11: the time (server clock, with the margin) until which a rejoin reservation keeps a free slot
 * for another device than `self`, or null when none does. A claim that needs that slot is refused
 * until then, so the session waits instead of claiming.
 */
export function rejoinHeldUntil(presence: PresenceView, self: string, now: number): number | null {
  const { rejoin } = presence;
  if (rejoin === null || rejoin.deviceId === self) return null;
  const until = rejoin.at + REJOIN_WINDOW_MS + CHECK_MARGIN_MS;
  return now < until ? until : null;
}

/**
 * docs/protocol.md §4.11: whether this install's claim removes the reservation: its own (the rules accept that in its
 * claim), or one past its window (accepted from anyone). Another device's live reservation is left
 * alone: removing it would get the whole claim refused.
 */
export function claimClearsRejoin(presence: PresenceView, self: string, now: number): boolean {
  const { rejoin } = presence;
  if (rejoin === null) return false;
  return rejoin.deviceId === self || now >= rejoin.at + REJOIN_WINDOW_MS + CHECK_MARGIN_MS;
}
