import { DeviceLimitError } from './errors';
import { EMPTY_PRESENCE, type DeviceEntry, type EvictionNotice, type PresenceView } from './presence';
import {
  MAX_CLAIM_ATTEMPTS,
  publicState,
  reduceSession,
  startSession,
  type SessionContext,
  type SessionEffect,
  type SessionEvent,
} from './state-machine';

const D = 'thisDevice01';
const OTHER = 'otherDevice1';
const THIRD = 'thirdDevice1';

interface PresenceSpec {
  count?: number;
  generation?: number;
  notBefore?: number | null;
  ping?: number | null;
  devices?: Record<string, Partial<DeviceEntry>>;
  evicted?: Record<string, EvictionNotice>;
}

function presence(spec: PresenceSpec = {}): PresenceView {
  const devices = new Map<string, DeviceEntry>();
  for (const [deviceId, entry] of Object.entries(spec.devices ?? {})) {
    devices.set(deviceId, {
      deviceId,
      platform: 'web',
      label: deviceId,
      claimedAt: 1000,
      lastSeen: 1000,
      generation: spec.generation ?? 0,
      ...entry,
    });
  }
  return {
    ...EMPTY_PRESENCE,
    count: spec.count ?? devices.size,
    generation: spec.generation ?? 0,
    notBefore: spec.notBefore ?? null,
    ping: spec.ping ?? null,
    devices,
    evicted: new Map(Object.entries(spec.evicted ?? {})),
  };
}

class Harness {
  ctx: SessionContext;
  effects: SessionEffect[] = [];
  /** The server's time as the driver would estimate it; entries of presence() are seen at 1000. */
  now = 1_000_000;

  constructor(options: { canRepair?: boolean } = {}) {
    const step = startSession(options);
    this.ctx = step.context;
    this.effects.push(...step.effects);
  }

  send(...events: SessionEvent[]): SessionEffect[] {
    const produced: SessionEffect[] = [];
    for (const event of events) {
      const step = reduceSession(this.ctx, event, this.now);
      this.ctx = step.context;
      produced.push(...step.effects);
    }
    this.effects.push(...produced);
    return produced;
  }

  get state() {
    return publicState(this.ctx);
  }

  /** The id of the write in flight. */
  get pendingId(): number {
    if (!this.ctx.pending) throw new Error('no write in flight');
    return this.ctx.pending.id;
  }

  /** Connected, id known, limit absent, and the given presence. */
  boot(p: PresenceView = presence(), limit: number | null = null): SessionEffect[] {
    return this.send(
      { type: 'device-id', deviceId: D },
      { type: 'connection', connected: true },
      { type: 'limit', limit },
      { type: 'presence', presence: p },
    );
  }

  /** Boots and completes a fresh claim, with the server's echo of the entry. */
  active(spec: PresenceSpec = {}): void {
    this.boot(presence(spec));
    const id = this.pendingId;
    const devices = { ...(spec.devices ?? {}), [D]: { claimedAt: 5000, generation: spec.generation ?? 0 } };
    this.send({ type: 'presence', presence: presence({ ...spec, devices }) }, { type: 'write-succeeded', id });
    expect(this.state.status).toBe('active');
  }
}

const types = (effects: readonly SessionEffect[]) => effects.map((e) => e.type);

describe('starting and claiming (docs/protocol.md §4.2)', () => {
  it('listens at once and reports claiming without a deviceId', () => {
    const h = new Harness();
    expect(types(h.effects)).toEqual(['listen']);
    expect(h.state).toEqual({ status: 'claiming', deviceId: null });
  });

  it('claims with the current generation once connected with presence and limit known', () => {
    const h = new Harness();
    expect(h.boot(presence({ generation: 3 }))).toEqual([{ type: 'claim', id: 1, generation: 3 }]);
    expect(h.state).toEqual({ status: 'claiming', deviceId: D });
  });

  it('waits for the limit before deciding, so a custom limit is never mistaken for the default', () => {
    const h = new Harness();
    const full = presence({ devices: { [OTHER]: {}, [THIRD]: {} } });
    expect(
      h.send(
        { type: 'device-id', deviceId: D },
        { type: 'connection', connected: true },
        { type: 'presence', presence: full },
      ),
    ).toEqual([]);
    expect(h.send({ type: 'limit', limit: 3 })).toEqual([{ type: 'claim', id: 1, generation: 0 }]);
  });

  it('becomes active when the claim is acknowledged, with the device list', () => {
    const h = new Harness();
    h.active({ devices: { [OTHER]: { claimedAt: 10 } } });
    const state = h.state;
    if (state.status !== 'active') throw new Error(state.status);
    expect(state.devices.map((d) => [d.deviceId, d.current])).toEqual([
      [OTHER, false],
      [D, true],
    ]);
    expect(state.limit).toBe(2);
  });

  it('resumes instead of claiming when its entry already exists (a re-opened install, §4.3)', () => {
    const h = new Harness();
    expect(h.boot(presence({ generation: 2, devices: { [D]: {} } }))).toEqual([{ type: 'resume', id: 1 }]);
    h.send({ type: 'write-succeeded', id: 1 });
    expect(h.state.status).toBe('active');
  });

  it('does not resume an entry of an older generation', () => {
    const h = new Harness();
    const p = presence({ generation: 2, devices: { [D]: { generation: 1 } }, count: 1 });
    expect(types(h.boot(p))).toEqual(['claim']);
  });
});

describe('a refused claim is decided again from the fresh listener cache', () => {
  it('resumes when the entry turns out to exist', () => {
    const h = new Harness();
    h.boot();
    h.send({ type: 'presence', presence: presence({ devices: { [D]: {} } }) });
    expect(h.send({ type: 'write-refused', id: 1 })).toEqual([{ type: 'resume', id: 2 }]);
  });

  it('claims again with the new generation after a force login elsewhere', () => {
    const h = new Harness();
    h.boot();
    h.send({ type: 'presence', presence: presence({ generation: 1, devices: { [OTHER]: { generation: 1 } } }) });
    expect(h.send({ type: 'write-refused', id: 1 })).toEqual([{ type: 'claim', id: 2, generation: 1 }]);
  });

  it(`gives up with device-limit/claim-failed after ${MAX_CLAIM_ATTEMPTS} refusals with room left`, () => {
    const h = new Harness();
    h.boot();
    for (let i = 0; i < MAX_CLAIM_ATTEMPTS; i++) h.send({ type: 'write-refused', id: h.pendingId });
    const state = h.state;
    if (state.status !== 'released') throw new Error(state.status);
    expect(state.reason).toBe('error');
    expect(state.error?.code).toBe('device-limit/claim-failed');
    expect(h.ctx.pending).toBeNull();
  });

  it('reads repeated refusals under a notBefore as a force-login cut-off when auth_time is unknown', () => {
    const h = new Harness();
    h.boot(presence({ notBefore: 100 }));
    for (let i = 0; i < MAX_CLAIM_ATTEMPTS; i++) h.send({ type: 'write-refused', id: h.pendingId });
    expect(h.state).toEqual({ status: 'evicted', deviceId: D, reason: 'force-login' });
  });

  it('does not even try when auth_time is before notBefore (docs/protocol.md §4.8.3)', () => {
    const h = new Harness();
    h.send({ type: 'auth-time', authTime: 50 });
    expect(types(h.boot(presence({ notBefore: 100 })))).toEqual(['cancel-on-disconnect', 'unlisten']);
    expect(h.state).toEqual({ status: 'evicted', deviceId: D, reason: 'force-login' });
  });

  it('claims when auth_time is at or after notBefore', () => {
    const h = new Harness();
    h.send({ type: 'auth-time', authTime: 100 });
    expect(types(h.boot(presence({ notBefore: 100 })))).toEqual(['claim']);
  });
});

describe('watching the held slot (docs/protocol.md §4.8)', () => {
  it('reports a force login elsewhere as evicted, cancels its onDisconnect and stops listening', () => {
    const h = new Harness();
    h.active({ devices: { [OTHER]: {} } });
    const effects = h.send({
      type: 'presence',
      presence: presence({ generation: 1, devices: { [OTHER]: { generation: 1 } } }),
    });
    expect(types(effects)).toEqual(['cancel-on-disconnect', 'unlisten']);
    expect(h.state).toEqual({ status: 'evicted', deviceId: D, reason: 'force-login' });
  });

  it("stays active through its own force login (the caller's entry is rewritten with the new generation)", () => {
    const h = new Harness();
    h.active({ devices: { [OTHER]: {} } });
    expect(
      h.send({
        type: 'presence',
        presence: presence({ generation: 1, devices: { [D]: { generation: 1, claimedAt: 5000 } } }),
      }),
    ).toEqual([]);
    expect(h.state.status).toBe('active');
    expect(h.ctx.held?.generation).toBe(1);
  });

  it.each([
    ['signed-out', 'signed-out-remotely'],
    ['swept', 'swept-stale'],
    ['over-limit', 'over-limit'],
    ['limit-lowered', 'limit-lowered'],
  ] as const)('maps a notice %s to evicted %s', (reason, expected) => {
    const h = new Harness();
    h.active();
    h.send({ type: 'presence', presence: presence({ evicted: { [D]: { reason, at: 6000, generation: 0 } } }) });
    expect(h.state).toEqual({ status: 'evicted', deviceId: D, reason: expected });
  });

  it('ignores a notice older than its claim and claims again', () => {
    const h = new Harness();
    h.active();
    const effects = h.send({
      type: 'presence',
      presence: presence({ evicted: { [D]: { reason: 'swept', at: 4999, generation: 0 } } }),
    });
    expect(effects).toEqual([{ type: 'claim', id: 2, generation: 0 }]);
    expect(h.state.status).toBe('claiming');
  });

  it('claims again when its entry vanishes without a notice (an earlier connection or tab released it)', () => {
    const h = new Harness();
    h.active({ devices: { [OTHER]: {} } });
    expect(h.send({ type: 'presence', presence: presence({ devices: { [OTHER]: {} } }) })).toEqual([
      { type: 'claim', id: 2, generation: 0 },
    ]);
  });

  it('does not judge the slot from presence values seen while disconnected', () => {
    const h = new Harness();
    h.active();
    h.send({ type: 'connection', connected: false });
    // The SDK applies its own onDisconnect to its cache when the socket drops.
    expect(h.send({ type: 'presence', presence: presence() })).toEqual([]);
    expect(h.state).toEqual({ status: 'offline', deviceId: D });
  });

  it('ignores the optimistic echo of its own pending claim', () => {
    const h = new Harness();
    h.boot();
    expect(h.send({ type: 'presence', presence: presence({ devices: { [D]: {} } }) })).toEqual([]);
    expect(h.send({ type: 'presence', presence: presence() })).toEqual([]);
    expect(h.state.status).toBe('claiming');
  });
});

describe('reconnecting (docs/protocol.md §4.3)', () => {
  it('goes offline, then resumes (lease renewal + onDisconnect again) once reconnected', () => {
    const h = new Harness();
    h.active();
    h.send({ type: 'connection', connected: false });
    expect(h.state.status).toBe('offline');
    expect(h.send({ type: 'connection', connected: true })).toEqual([{ type: 'resume', id: 2 }]);
    expect(h.state.status).toBe('claiming');
    h.send({ type: 'write-succeeded', id: 2 });
    expect(h.state.status).toBe('active');
  });

  it('claims again when the resume is refused and the entry is gone without a notice', () => {
    const h = new Harness();
    h.active();
    h.send({ type: 'connection', connected: false }, { type: 'connection', connected: true });
    h.send({ type: 'presence', presence: presence() });
    expect(h.send({ type: 'write-refused', id: 2 })).toEqual([{ type: 'claim', id: 3, generation: 0 }]);
  });

  it('reports evicted when the entry was swept while offline', () => {
    const h = new Harness();
    h.active();
    h.send({ type: 'connection', connected: false }, { type: 'connection', connected: true });
    h.send({
      type: 'presence',
      presence: presence({ evicted: { [D]: { reason: 'swept', at: 9000, generation: 0 } } }),
    });
    expect(h.state.status).toBe('claiming'); // the resume is in flight; its answer decides
    h.send({ type: 'write-refused', id: 2 });
    expect(h.state).toEqual({ status: 'evicted', deviceId: D, reason: 'swept-stale' });
  });

  it('forgets a write in flight when the socket drops and ignores its late result', () => {
    const h = new Harness();
    h.boot();
    h.send({ type: 'connection', connected: false });
    expect(h.ctx.pending).toBeNull();
    expect(h.send({ type: 'write-succeeded', id: 1 })).toEqual([]);
    expect(h.ctx.held).toBeNull();
    // Back online with the entry now present (the claim reached the server): resume it.
    h.send({ type: 'presence', presence: presence({ devices: { [D]: {} } }) });
    expect(h.send({ type: 'connection', connected: true })).toEqual([{ type: 'resume', id: 2 }]);
  });

  it('re-registers after a refused lease renewal', () => {
    const h = new Harness();
    h.active();
    expect(h.send({ type: 'renewal-refused' })).toEqual([{ type: 'resume', id: 2 }]);
  });
});

describe('releasing (docs/protocol.md §4.6)', () => {
  it('releases what it holds and stops listening once acknowledged', () => {
    const h = new Harness();
    h.active();
    expect(h.send({ type: 'release-requested', reason: 'released' })).toEqual([
      { type: 'release', id: 2, reason: 'released' },
    ]);
    expect(h.state).toEqual({ status: 'released', deviceId: D, reason: 'released' });
    expect(types(h.send({ type: 'write-succeeded', id: 2 }))).toEqual(['unlisten']);
  });

  it('treats a refused release (entry already gone) as released', () => {
    const h = new Harness();
    h.active();
    h.send({ type: 'release-requested', reason: 'idle' });
    expect(types(h.send({ type: 'write-refused', id: 2 }))).toEqual(['unlisten']);
    expect(h.state).toEqual({ status: 'released', deviceId: D, reason: 'idle' });
  });

  it('releases right after a claim that was in flight when release was asked', () => {
    const h = new Harness();
    h.boot();
    expect(h.send({ type: 'release-requested', reason: 'released' })).toEqual([]);
    h.send({ type: 'presence', presence: presence({ devices: { [D]: {} } }) });
    expect(h.send({ type: 'write-succeeded', id: 1 })).toEqual([{ type: 'release', id: 2, reason: 'released' }]);
  });

  it('sends nothing while offline, and on reconnect sends the release whatever the cache shows', () => {
    const h = new Harness();
    h.active();
    h.send({ type: 'connection', connected: false });
    expect(h.send({ type: 'release-requested', reason: 'released' })).toEqual([]);
    expect(h.state.status).toBe('released');
    // Back online, the cache shows the entry gone: that is the SDK's local copy of our own onDisconnect
    // release, not news from the server (which may not have run it). The release goes out; refused,
    // it changes nothing (docs/protocol.md §4.6), and the session stops listening.
    h.send({ type: 'presence', presence: presence() });
    const effects = h.send({ type: 'connection', connected: true });
    expect(effects).toEqual([{ type: 'release', id: h.pendingId, reason: 'released' }]);
    expect(types(h.send({ type: 'write-refused', id: h.pendingId }))).toEqual(['unlisten']);
  });

  it('after a reconnect, checks what it held only once the answer to its first write brought fresh data', () => {
    const h = new Harness();
    h.active();
    h.send({ type: 'connection', connected: false }, { type: 'release-requested', reason: 'released' });
    h.send({ type: 'presence', presence: presence({ generation: 4 }) });
    expect(types(h.send({ type: 'connection', connected: true }))).toEqual(['release']);
    // Refused: the entry is gone (the force login removed it); nothing else is sent.
    expect(types(h.send({ type: 'write-refused', id: h.pendingId }))).toEqual(['unlisten']);
  });

  it('listens and claims again after claim() following a release', () => {
    const h = new Harness();
    h.active();
    h.send({ type: 'release-requested', reason: 'released' }, { type: 'write-succeeded', id: 2 });
    expect(types(h.send({ type: 'claim-requested' }))).toEqual(['listen']);
    expect(h.state).toEqual({ status: 'claiming', deviceId: D });
    expect(
      h.send(
        { type: 'connection', connected: true },
        { type: 'limit', limit: null },
        { type: 'presence', presence: presence() },
      ),
    ).toEqual([{ type: 'claim', id: 3, generation: 0 }]);
  });
});

describe('failures', () => {
  it('reports a refused read as released with device-limit/permission-denied', () => {
    const h = new Harness();
    h.active();
    const error = new DeviceLimitError('device-limit/permission-denied', 'no');
    h.send({ type: 'read-denied', error });
    expect(h.state).toEqual({ status: 'released', deviceId: D, reason: 'error', error });
  });

  it('reports an onDisconnect that could not be registered as released with its error', () => {
    const h = new Harness();
    h.boot();
    const error = new DeviceLimitError('device-limit/on-disconnect-failed', 'no');
    h.send({ type: 'write-failed', id: 1, error });
    expect(h.state).toEqual({ status: 'released', deviceId: D, reason: 'error', error });
  });
});
