/**
 * The session machine at a full account and as a holder (docs/protocol.md §4.9, §4.10, §5.4), driven
 * through `reduceSession` with a fake server clock: the liveness check, the sweeps, the drift repair,
 * and that each happens at most once per claim attempt.
 */
import { PING_DEADLINE_MS, STALE_AFTER_MS } from './contract';
import { CHECK_MARGIN_MS } from './liveness';
import { EMPTY_PRESENCE, type DeviceEntry, type PresenceView } from './presence';
import { publicState, reduceSession, startSession, type SessionContext, type SessionEffect } from './state-machine';
import type { SessionEvent } from './session-context';

const D = 'thisDevice01';
const A = 'holderAAAA01';
const B = 'holderBBBB01';
const T0 = 50_000_000; /* the server's clock when a test starts */

function presence(devices: Record<string, Partial<DeviceEntry>>, extra: Partial<PresenceView> = {}): PresenceView {
  const map = new Map<string, DeviceEntry>();
  for (const [deviceId, entry] of Object.entries(devices)) {
    map.set(deviceId, {
      deviceId,
      platform: 'web',
      label: deviceId,
      claimedAt: 1,
      lastSeen: T0 - 1000,
      generation: 0,
      ...entry,
    });
  }
  return { ...EMPTY_PRESENCE, count: map.size, devices: map, ...extra };
}

/** Two live holders (default limit 2), neither renewed since T0 - 1 s. */
const FULL = presence({ [A]: {}, [B]: {} });

class Machine {
  ctx: SessionContext;
  now = T0;

  constructor(options: { canRepair?: boolean } = {}) {
    this.ctx = startSession(options).context;
  }

  send(...events: SessionEvent[]): SessionEffect[] {
    const out: SessionEffect[] = [];
    for (const event of events) {
      const step = reduceSession(this.ctx, event, this.now);
      this.ctx = step.context;
      out.push(...step.effects);
    }
    return out;
  }

  see(p: PresenceView): SessionEffect[] {
    return this.send({ type: 'presence', presence: p });
  }

  boot(p: PresenceView): SessionEffect[] {
    return this.send(
      { type: 'device-id', deviceId: D },
      { type: 'connection', connected: true },
      { type: 'limit', limit: null },
      { type: 'presence', presence: p },
    );
  }

  get status() {
    return publicState(this.ctx).status;
  }

  get pendingId(): number {
    if (!this.ctx.pending) throw new Error('no write in flight');
    return this.ctx.pending.id;
  }

  /** Boots at a full account and has its ping written at the server's time `ping`. */
  pinged(p: PresenceView = FULL, ping = T0): SessionEffect[] {
    expect(this.boot(p)).toEqual([{ type: 'ping', id: 1 }]);
    this.see({ ...p, ping });
    return this.send({ type: 'write-succeeded', id: 1 });
  }

  /** Claims into an empty account and holds the slot, next to `others`. */
  holding(others: Record<string, Partial<DeviceEntry>> = {}): void {
    this.boot(presence(others));
    const id = this.pendingId;
    this.see(presence({ ...others, [D]: { claimedAt: T0, lastSeen: T0 } }));
    this.send({ type: 'write-succeeded', id });
    expect(this.status).toBe('active');
  }
}

const types = (effects: readonly SessionEffect[]) => effects.map((e) => e.type);
const deadline = (ping: number) => ping + PING_DEADLINE_MS + CHECK_MARGIN_MS;

describe('the liveness check at a full account (docs/protocol.md §4.9)', () => {
  it('asks a ping instead of settling, and shows `checking` with the holders', () => {
    const m = new Machine();
    expect(m.boot(FULL)).toEqual([{ type: 'ping', id: 1 }]);
    const state = publicState(m.ctx);
    expect(state.status).toBe('checking');
    expect(state.status === 'checking' && state.devices.map((d) => d.deviceId)).toEqual([A, B]);
  });

  it('waits on the ping the listener shows once the write is answered', () => {
    const m = new Machine();
    expect(m.pinged(FULL, T0 + 3)).toEqual([{ type: 'wait', ping: T0 + 3, until: deadline(T0 + 3) }]);
    expect(m.status).toBe('checking');
  });

  it('settles at limit-reached as soon as every holder answered, without waiting for the deadline', () => {
    const m = new Machine();
    m.pinged();
    expect(m.see(presence({ [A]: { lastSeen: T0 + 40 }, [B]: {} }, { ping: T0 }))).toEqual([]);
    m.now += 80;
    const effects = m.see(presence({ [A]: { lastSeen: T0 + 40 }, [B]: { lastSeen: T0 + 60 } }, { ping: T0 }));
    expect(effects).toEqual([{ type: 'record-denied' }]);
    expect(m.status).toBe('limit-reached');
  });

  it('sweeps exactly the holders that stayed silent past the deadline, then claims', () => {
    const m = new Machine();
    m.pinged();
    const answered = presence({ [A]: { lastSeen: T0 + 40 }, [B]: {} }, { ping: T0 });
    expect(m.see(answered)).toEqual([]);
    m.now = deadline(T0) - 1;
    expect(m.send({ type: 'check-due' })).toEqual([]); // an early timer changes nothing
    m.now = deadline(T0);
    expect(m.send({ type: 'check-due' })).toEqual([{ type: 'sweep', deviceId: B, generation: 0 }]);
    expect(m.status).toBe('checking');
    expect(m.see(presence({ [A]: { lastSeen: T0 + 40 } }, { ping: T0 }))).toEqual([
      { type: 'claim', id: 2, generation: 0 },
    ]);
    expect(m.status).toBe('claiming');
  });

  it('settles at limit-reached when the sweep is refused (the holder answered late)', () => {
    const m = new Machine();
    m.pinged();
    m.now = deadline(T0);
    expect(types(m.send({ type: 'check-due' }))).toEqual(['sweep', 'sweep']);
    const late = presence({ [A]: { lastSeen: T0 + 10_100 }, [B]: { lastSeen: T0 + 10_200 } }, { ping: T0 });
    expect(m.see(late)).toEqual([]);
    expect(m.send({ type: 'sweep-settled', deviceId: A })).toEqual([]);
    expect(types(m.send({ type: 'sweep-settled', deviceId: B }))).toEqual(['record-denied']);
    expect(m.status).toBe('limit-reached');
  });

  it('joins a check another device asked within the deadline instead of writing a second ping', () => {
    const m = new Machine();
    const effects = m.boot({ ...FULL, ping: T0 - 400 });
    expect(effects).toEqual([{ type: 'wait', ping: T0 - 400, until: deadline(T0 - 400) }]);
    expect(m.status).toBe('checking');
  });

  it('settles at once on a recent check every holder already answered', () => {
    const m = new Machine();
    expect(m.boot({ ...FULL, ping: T0 - 4000 })).toEqual([{ type: 'record-denied' }]);
    expect(m.status).toBe('limit-reached');
  });

  it('asks again when the last ping is older than the deadline', () => {
    const m = new Machine();
    expect(types(m.boot({ ...FULL, ping: T0 - PING_DEADLINE_MS }))).toEqual(['ping']);
  });

  it('joins the concurrent ping when its own is refused', () => {
    const m = new Machine();
    m.boot(FULL);
    m.see({ ...FULL, ping: T0 - 20 });
    expect(m.send({ type: 'write-refused', id: 1 })).toEqual([
      { type: 'wait', ping: T0 - 20, until: deadline(T0 - 20) },
    ]);
  });

  it('sweeps entries whose lease ran out at once, without a ping', () => {
    const m = new Machine();
    const stale = presence({ [A]: {}, [B]: { lastSeen: T0 - STALE_AFTER_MS - CHECK_MARGIN_MS - 1 } });
    expect(m.boot(stale)).toEqual([{ type: 'sweep', deviceId: B, generation: 0 }]);
  });

  it('claims at once when a slot frees during the wait, and goes back to waiting if it loses the race', () => {
    const m = new Machine();
    m.pinged();
    expect(m.see(presence({ [A]: {} }, { ping: T0 }))).toEqual([{ type: 'claim', id: 2, generation: 0 }]);
    m.see(presence({ [A]: {}, [B]: { lastSeen: T0 + 5 } }, { ping: T0 })); // a racer took it
    expect(m.send({ type: 'write-refused', id: 2 })).toEqual([]);
    expect(m.status).toBe('checking');
    m.now = deadline(T0);
    expect(m.send({ type: 'check-due' })).toEqual([{ type: 'sweep', deviceId: A, generation: 0 }]);
  });

  it('asks at most one check per claim attempt, and a new claim() asks again', () => {
    const C = 'racerCCCC001';
    const m = new Machine();
    m.pinged();
    m.see(presence({ [A]: { lastSeen: T0 + 40 }, [B]: {} }, { ping: T0 }));
    m.now = deadline(T0);
    expect(m.send({ type: 'check-due' })).toEqual([{ type: 'sweep', deviceId: B, generation: 0 }]);
    expect(types(m.see(presence({ [A]: { lastSeen: T0 + 40 } }, { ping: T0 })))).toEqual(['claim']);
    m.see(presence({ [A]: { lastSeen: T0 + 40 }, [C]: { lastSeen: T0 + 10_300 } }, { ping: T0 })); // a racer won
    expect(m.send({ type: 'sweep-settled', deviceId: B })).toEqual([]);
    expect(m.send({ type: 'write-refused', id: 2 })).toEqual([{ type: 'record-denied' }]);
    expect(m.status).toBe('limit-reached');
    m.now += PING_DEADLINE_MS;
    expect(m.send({ type: 'claim-requested' })).toEqual([{ type: 'ping', id: 3 }]);
  });

  it('starts the check over after a disconnect during its ping write', () => {
    const m = new Machine();
    m.boot(FULL);
    m.send({ type: 'connection', connected: false });
    expect(m.status).toBe('offline');
    m.see({ ...FULL, ping: T0 });
    expect(m.send({ type: 'connection', connected: true })).toEqual([{ type: 'wait', ping: T0, until: deadline(T0) }]);
  });

  it('adopts the entry a force login wrote for it while it waited at the limit (docs/protocol.md §5.1)', () => {
    const m = new Machine();
    m.pinged();
    m.see(presence({ [A]: { lastSeen: T0 + 1 }, [B]: { lastSeen: T0 + 2 } }, { ping: T0 }));
    expect(m.status).toBe('limit-reached');
    const forced = presence({ [D]: { generation: 1 } }, { generation: 1 });
    expect(m.see(forced)).toEqual([{ type: 'resume', id: 2 }]);
    m.send({ type: 'write-succeeded', id: 2 });
    expect(m.status).toBe('active');
  });
});

describe('a drifted count (docs/protocol.md §5.4)', () => {
  const drifted = presence({ [A]: {} }, { count: 2 });

  it('asks repairPresence once, then claims whatever the cache says', () => {
    const m = new Machine({ canRepair: true });
    expect(m.boot(drifted)).toEqual([{ type: 'repair' }]);
    expect(m.status).toBe('checking');
    expect(m.see(drifted)).toEqual([]);
    expect(m.send({ type: 'repair-settled', ok: true })).toEqual([{ type: 'claim', id: 1, generation: 0 }]);
    expect(m.send({ type: 'write-refused', id: 1 })).toEqual([{ type: 'record-denied' }]);
  });

  it('reports limit-reached and asks the driver to warn without Functions', () => {
    const m = new Machine();
    expect(m.boot(drifted)).toEqual([{ type: 'drift-unrepaired', count: 2, entries: 1 }, { type: 'record-denied' }]);
    expect(m.status).toBe('limit-reached');
  });

  it('settles at limit-reached when the callable fails', () => {
    const m = new Machine({ canRepair: true });
    m.boot(drifted);
    expect(m.send({ type: 'repair-settled', ok: false })).toEqual([{ type: 'record-denied' }]);
  });
});

describe('a holder (docs/protocol.md §4.4, §4.9 step 2, §4.10)', () => {
  it('answers a ping newer than its lastSeen once, and not one it already renewed past', () => {
    const m = new Machine();
    m.holding({ [A]: {} });
    const pinged = presence({ [A]: {}, [D]: { claimedAt: T0, lastSeen: T0 } }, { ping: T0 + 500 });
    expect(m.see(pinged)).toEqual([{ type: 'renew' }]);
    expect(m.see(pinged)).toEqual([]);
    expect(m.see({ ...pinged, ping: T0 })).toEqual([]); // not newer than lastSeen
  });

  it('sweeps a sibling whose lease ran out once, and again only after it renewed and expired again', () => {
    const m = new Machine();
    m.holding({ [A]: { lastSeen: T0 - 60_000 } });
    m.now = T0 - 60_000 + STALE_AFTER_MS + CHECK_MARGIN_MS + 1;
    const expired = presence({ [A]: { lastSeen: T0 - 60_000 }, [D]: { claimedAt: T0, lastSeen: m.now - 1 } });
    expect(m.see(expired)).toEqual([{ type: 'sweep', deviceId: A, generation: 0 }]);
    m.send({ type: 'sweep-settled', deviceId: A }); // refused: it stays
    expect(m.see(expired)).toEqual([]);
    expect(m.status).toBe('active');
    const renewed = presence({ [A]: { lastSeen: T0 }, [D]: { claimedAt: T0, lastSeen: m.now - 1 } });
    m.see(renewed);
    m.now = T0 + STALE_AFTER_MS + CHECK_MARGIN_MS + 1;
    expect(m.see(renewed)).toEqual([{ type: 'sweep', deviceId: A, generation: 0 }]);
  });

  it('renews when the lease is due, only while connected and settled', () => {
    const m = new Machine();
    m.holding();
    expect(m.send({ type: 'lease-due' })).toEqual([{ type: 'renew' }]);
    m.send({ type: 'connection', connected: false });
    expect(m.send({ type: 'lease-due' })).toEqual([]);
  });
});
