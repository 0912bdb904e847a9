/**
 * The rejoin window (docs/protocol.md §4.11) in the state machine: the slot a dropped connection
 * freed is kept for its install, so a claim that needs it waits (`checking`) until the window ends,
 * while the install itself claims it back and clears the reservation with its claim.
 */
import { REJOIN_WINDOW_MS } from './contract';
import { CHECK_MARGIN_MS, claimClearsRejoin, rejoinHeldUntil } from './liveness';
import { EMPTY_PRESENCE, type DeviceEntry, type PresenceView, type RejoinReservation } from './presence';
import { publicState, reduceSession, startSession, type SessionContext, type SessionEvent } from './state-machine';
import type { SessionEffect } from './session-context';

const D = 'thisDevice01';
const OTHER = 'otherDevice1';
const DROPPED = 'droppedDev01';
/** The server's time of the release that left the reservation. */
const RELEASED_AT = 1_000_000;
const WINDOW_END = RELEASED_AT + REJOIN_WINDOW_MS + CHECK_MARGIN_MS;

function presence(devices: readonly string[], rejoin: RejoinReservation | null): PresenceView {
  const map = new Map<string, DeviceEntry>(
    devices.map((deviceId) => [
      deviceId,
      { deviceId, platform: 'web', label: deviceId, claimedAt: 1000, lastSeen: RELEASED_AT, generation: 0 },
    ]),
  );
  return { ...EMPTY_PRESENCE, count: map.size, devices: map, rejoin };
}

class Harness {
  ctx: SessionContext = startSession().context;

  send(now: number, ...events: SessionEvent[]): SessionEffect[] {
    const effects: SessionEffect[] = [];
    for (const event of events) {
      const step = reduceSession(this.ctx, event, now);
      this.ctx = step.context;
      effects.push(...step.effects);
    }
    return effects;
  }

  boot(now: number, p: PresenceView): SessionEffect[] {
    return this.send(
      now,
      { type: 'device-id', deviceId: D },
      { type: 'connection', connected: true },
      { type: 'limit', limit: null },
      { type: 'presence', presence: p },
    );
  }
}

describe('the pure decisions (liveness.ts)', () => {
  it('a reservation holds a slot for another device until its window (plus the margin) ends', () => {
    const p = presence([OTHER], { deviceId: DROPPED, at: RELEASED_AT });
    expect(rejoinHeldUntil(p, D, RELEASED_AT + 1)).toBe(WINDOW_END);
    expect(rejoinHeldUntil(p, D, WINDOW_END - 1)).toBe(WINDOW_END);
    expect(rejoinHeldUntil(p, D, WINDOW_END)).toBeNull();
    expect(rejoinHeldUntil(p, DROPPED, RELEASED_AT + 1)).toBeNull(); // its own device is not held up
    expect(rejoinHeldUntil(presence([OTHER], null), D, RELEASED_AT)).toBeNull();
  });

  it('a claim clears its own reservation at once, another device only once the window has ended', () => {
    const p = presence([OTHER], { deviceId: DROPPED, at: RELEASED_AT });
    expect(claimClearsRejoin(p, DROPPED, RELEASED_AT + 1)).toBe(true);
    expect(claimClearsRejoin(p, D, RELEASED_AT + 1)).toBe(false);
    expect(claimClearsRejoin(p, D, WINDOW_END)).toBe(true);
    expect(claimClearsRejoin(presence([OTHER], null), D, RELEASED_AT)).toBe(false);
  });
});

describe('a claim that meets a reservation (limit 2)', () => {
  it('waits in `checking` for the window when the reserved slot is the last free one, then claims and clears it', () => {
    const h = new Harness();
    const p = presence([OTHER], { deviceId: DROPPED, at: RELEASED_AT });
    expect(h.boot(RELEASED_AT + 100, p)).toEqual([{ type: 'wait', ping: RELEASED_AT, until: WINDOW_END }]);
    expect(publicState(h.ctx).status).toBe('checking');

    // Nothing changes before the end; the alarm's check-due at the end claims.
    expect(h.send(WINDOW_END - 1, { type: 'check-due' })).toEqual([]);
    expect(h.send(WINDOW_END, { type: 'check-due' })).toEqual([
      { type: 'claim', id: 1, generation: 0, clearRejoin: true },
    ]);
    expect(publicState(h.ctx).status).toBe('claiming');
  });

  it('claims at once, leaving the reservation alone, when another slot is free', () => {
    const h = new Harness();
    expect(h.boot(RELEASED_AT + 100, presence([], { deviceId: DROPPED, at: RELEASED_AT }))).toEqual([
      { type: 'claim', id: 1, generation: 0 },
    ]);
  });

  it('meets a full account as before when the reserved device takes its slot back meanwhile', () => {
    const h = new Harness();
    h.boot(RELEASED_AT + 100, presence([OTHER], { deviceId: DROPPED, at: RELEASED_AT }));
    const effects = h.send(RELEASED_AT + 200, { type: 'presence', presence: presence([OTHER, DROPPED], null) });
    expect(effects).toEqual([{ type: 'ping', id: 1 }]);
    expect(publicState(h.ctx).status).toBe('checking');
  });

  it('asks for the wait once, however often the presence changes meanwhile', () => {
    const h = new Harness();
    const p = presence([OTHER], { deviceId: DROPPED, at: RELEASED_AT });
    h.boot(RELEASED_AT + 100, p);
    expect(h.send(RELEASED_AT + 200, { type: 'presence', presence: p })).toEqual([]);
  });
});

describe('the reserved device itself', () => {
  it('claims its slot back at once and clears its reservation in the same write', () => {
    const h = new Harness();
    const p = presence([OTHER], { deviceId: D, at: RELEASED_AT });
    expect(h.boot(RELEASED_AT + 100, p)).toEqual([{ type: 'claim', id: 1, generation: 0, clearRejoin: true }]);
  });

  it('claims back when the entry it held vanishes without a notice (its old connection was released)', () => {
    const h = new Harness();
    h.boot(RELEASED_AT, presence([OTHER], null));
    const id = h.ctx.pending?.id ?? 0;
    h.send(
      RELEASED_AT + 10,
      { type: 'presence', presence: presence([OTHER, D], null) },
      { type: 'write-succeeded', id },
    );
    expect(publicState(h.ctx).status).toBe('active');

    // The server ran an older connection's onDisconnect release: entry gone, slot reserved for D.
    const effects = h.send(RELEASED_AT + 20, {
      type: 'presence',
      presence: presence([OTHER], { deviceId: D, at: RELEASED_AT + 15 }),
    });
    expect(effects).toEqual([{ type: 'claim', id: 2, generation: 0, clearRejoin: true }]);
  });
});
