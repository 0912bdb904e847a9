/**
 * The policy `evict-least-recent` in the state machine (docs/protocol.md §11.2): at a full account
 * the session sends the replace form naming the device active least recently, instead of the
 * liveness check; an admin's per-user policy wins over the app's option; a refused replace is decided
 * again from the fresh cache.
 */
import { replaceUpdate } from './database';
import { leastRecentlyActive, policyIn } from './policy';
import { EMPTY_PRESENCE, type DeviceEntry, type PresenceView } from './presence';
import {
  publicState,
  reduceSession,
  startSession,
  type SessionContext,
  type SessionEffect,
  type SessionEvent,
} from './state-machine';
import type { LimitPolicy } from './contract';

const D = 'thisDevice01';

function presence(lastSeen: Record<string, number>, extra: Partial<PresenceView> = {}): PresenceView {
  const devices = new Map<string, DeviceEntry>(
    Object.entries(lastSeen).map(([deviceId, seen]) => [
      deviceId,
      { deviceId, platform: 'web', label: deviceId, claimedAt: 1, lastSeen: seen, generation: 0 },
    ]),
  );
  return { ...EMPTY_PRESENCE, count: devices.size, devices, ...extra };
}

function boot(p: PresenceView, policy?: LimitPolicy, limit: number | null = null) {
  let ctx: SessionContext = startSession(policy ? { policy } : {}).context;
  const effects: SessionEffect[] = [];
  const send = (...events: SessionEvent[]) => {
    const produced: SessionEffect[] = [];
    for (const event of events) {
      const step = reduceSession(ctx, event, 1_000_000);
      ctx = step.context;
      produced.push(...step.effects);
    }
    effects.push(...produced);
    return produced;
  };
  send(
    { type: 'device-id', deviceId: D },
    { type: 'connection', connected: true },
    { type: 'limit', limit },
    { type: 'presence', presence: p },
  );
  return {
    send,
    effects,
    get ctx() {
      return ctx;
    },
  };
}

describe('leastRecentlyActive', () => {
  test('the smallest lastSeen, never this install', () => {
    expect(leastRecentlyActive(presence({ b0000001: 30, a0000001: 20, [D]: 10 }), D)?.deviceId).toBe('a0000001');
  });

  test('ties by the smaller deviceId, so racing claimers name the same victim', () => {
    expect(leastRecentlyActive(presence({ zz000001: 20, aa000001: 20, mm000001: 20 }), D)?.deviceId).toBe('aa000001');
  });

  test('none when only this install holds a slot', () => {
    expect(leastRecentlyActive(presence({ [D]: 10 }), D)).toBeNull();
  });
});

describe('policyIn', () => {
  test.each<[LimitPolicy | null, LimitPolicy, LimitPolicy]>([
    [null, 'refuse', 'refuse'],
    [null, 'evict-least-recent', 'evict-least-recent'],
    ['evict-least-recent', 'refuse', 'evict-least-recent'],
    ['refuse', 'evict-least-recent', 'refuse'],
  ])('user policy %p, app option %p: %p', (user, app, expected) => {
    expect(policyIn(presence({}, { policy: user }), app)).toBe(expected);
  });
});

describe('a claim on a full account under evict-least-recent', () => {
  const full = presence({ older001: 100, newer001: 200 });

  test('sends the replace form naming the least recent device, no liveness check', () => {
    const h = boot(full, 'evict-least-recent');
    expect(h.effects).toEqual([{ type: 'replace', id: 1, generation: 0, victim: 'older001' }]);
    expect(publicState(h.ctx).status).toBe('claiming');
  });

  test('is active once the replace is acknowledged', () => {
    const h = boot(full, 'evict-least-recent');
    h.send({ type: 'presence', presence: presence({ newer001: 200, [D]: 300 }) }, { type: 'write-succeeded', id: 1 });
    expect(publicState(h.ctx)).toMatchObject({ status: 'active', limit: 2 });
  });

  test('a refused replace (another claimer took that victim first) names the next one from the cache', () => {
    const h = boot(full, 'evict-least-recent');
    h.send({ type: 'presence', presence: presence({ newer001: 200, other001: 250 }) });
    expect(h.send({ type: 'write-refused', id: 1 })).toEqual([
      { type: 'replace', id: 2, generation: 0, victim: 'newer001' },
    ]);
  });

  test("the user's policy in the presence node turns it on for an app that refuses", () => {
    const h = boot(presence({ older001: 100, newer001: 200 }, { policy: 'evict-least-recent' }));
    expect(h.effects.map((e) => e.type)).toContain('replace');
  });

  test("the user's refuse wins over the app's option: the liveness check instead", () => {
    const h = boot(presence({ older001: 100, newer001: 200 }, { policy: 'refuse' }), 'evict-least-recent');
    expect(h.effects.map((e) => e.type)).toEqual(['ping']);
  });

  test('above a lowered limit there is no replace (the rules refuse it): the liveness check instead', () => {
    const h = boot(full, 'evict-least-recent', 1);
    expect(h.effects.map((e) => e.type)).toEqual(['ping']);
  });

  test('a limit of 0 has nobody to replace: limit-reached', () => {
    const h = boot(presence({}), 'evict-least-recent', 0);
    expect(publicState(h.ctx)).toMatchObject({ status: 'limit-reached', limit: 0 });
  });

  test('records the plan limit with the replace, as a claim does (docs/protocol.md §11.1)', () => {
    let ctx: SessionContext = startSession({ policy: 'evict-least-recent', readsPlanLimit: true }).context;
    const effects: SessionEffect[] = [];
    for (const event of [
      { type: 'device-id', deviceId: D },
      { type: 'connection', connected: true },
      { type: 'limit', limit: null },
      { type: 'presence', presence: presence({ a0000001: 1, b0000001: 2, c0000001: 3 }) },
      { type: 'plan-limit', planLimit: 3 },
    ] as SessionEvent[]) {
      const step = reduceSession(ctx, event, 1_000_000);
      ctx = step.context;
      effects.push(...step.effects);
    }
    expect(effects).toContainEqual({ type: 'replace', id: 1, generation: 0, victim: 'a0000001', planLimit: 3 });
  });
});

describe('replaceUpdate', () => {
  const device = { generation: 4, platform: 'web' as const, label: 'Laptop' };

  test('the claim without its count move, the victim removed with its notice, both events', () => {
    const write = replaceUpdate('u1', D, 'older001', device, { claimed: 'e1', released: 'e2' });
    expect(write).not.toHaveProperty(['presence/u1/count']);
    expect(write).toMatchObject({
      'presence/u1/op': D,
      'presence/u1/replaced': 'older001',
      'presence/u1/devices/older001': null,
      'presence/u1/evicted/older001': { reason: 'replaced', generation: 4 },
      [`presence/u1/devices/${D}`]: { generation: 4, platform: 'web', label: 'Laptop' },
      'presenceEvents/u1/e1': { type: 'claimed', deviceId: D },
      'presenceEvents/u1/e2': { type: 'released', deviceId: 'older001', reason: 'replaced' },
    });
  });

  test('without audit events, no event paths', () => {
    const write = replaceUpdate('u1', D, 'older001', device, { claimed: null, released: null });
    expect(Object.keys(write).filter((key) => key.startsWith('presenceEvents/'))).toEqual([]);
  });
});
