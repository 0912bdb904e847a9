/**
 * Device classes in the session (docs/protocol.md §11.3): when writes carry classes, how each write
 * moves the counters, and how the machine treats a full class.
 */
import {
  claimMoves,
  classLimitReached,
  releaseAfterClaim,
  releaseAfterReplace,
  removalMoves,
  replaceMoves,
  withClassMoves,
  writesClasses,
  type ClassSettings,
} from './classes';
import { DEFAULT_PATHS, type DeviceClass } from './contract';
import { EMPTY_PRESENCE, type DeviceEntry, type PresenceView } from './presence';
import { publicState, reduceSession, startSession, type SessionEffect, type SessionEvent } from './state-machine';

const D = 'thisDevice01';
const PHONE: ClassSettings = { deviceClass: 'mobile', always: false };

function presence(devices: Record<string, DeviceClass | undefined>, extra: Partial<PresenceView> = {}): PresenceView {
  const map = new Map<string, DeviceEntry>(
    Object.entries(devices).map(([deviceId, deviceClass], i) => [
      deviceId,
      {
        deviceId,
        platform: 'android',
        label: deviceId,
        claimedAt: i + 1,
        lastSeen: i + 1,
        generation: 0,
        ...(deviceClass ? { deviceClass } : {}),
      },
    ]),
  );
  return { ...EMPTY_PRESENCE, count: map.size, devices: map, ...extra };
}

describe('when writes carry classes', () => {
  test('not for a user without class limits or counters, unless the app declared a class', () => {
    expect(writesClasses(PHONE, presence({}))).toBe(false);
    expect(writesClasses({ deviceClass: 'tv', always: true }, presence({}))).toBe(true);
    expect(writesClasses(PHONE, presence({}, { classLimits: { tv: 1 } }))).toBe(true);
    expect(writesClasses(PHONE, presence({}, { classCount: { web: 0 } }))).toBe(true);
  });
});

describe('counter moves', () => {
  const tracked = presence({ a0000001: 'mobile', b0000001: undefined }, { classCount: { mobile: 1 } });

  test('a claim sets its class and counts it; the release registered after it takes it back', () => {
    const moves = claimMoves(PHONE, tracked);
    expect(moves).toEqual({ entryClass: 'mobile', increment: 'mobile' });
    expect(releaseAfterClaim(moves)).toEqual({ decrement: 'mobile' });
    expect(claimMoves(PHONE, presence({}))).toBeUndefined();
  });

  test('a removal takes down the counter of a counted class only', () => {
    expect(removalMoves(tracked, 'a0000001')).toEqual({ decrement: 'mobile' });
    expect(removalMoves(tracked, 'b0000001')).toBeUndefined();
    expect(removalMoves(tracked, 'nobody01')).toBeUndefined();
  });

  test('a replace within the class moves nothing; across classes +1 and −1', () => {
    const within = replaceMoves(PHONE, tracked, 'a0000001');
    expect(within).toEqual({ entryClass: 'mobile' });
    expect(releaseAfterReplace(within, tracked)).toEqual({ decrement: 'mobile' });
    const across = replaceMoves({ deviceClass: 'tv', always: true }, tracked, 'a0000001');
    expect(across).toEqual({ entryClass: 'tv', increment: 'tv', decrement: 'mobile' });
    expect(releaseAfterReplace(across, tracked)).toEqual({ decrement: 'tv' });
    expect(replaceMoves(PHONE, presence({ x0000001: undefined }), 'x0000001')).toBeUndefined();
  });

  test('withClassMoves puts the class in the new entry and moves the counters on the wire', () => {
    const write = { 'presence/u1/devices/d1': { label: 'x' }, 'presence/u1/op': 'd1' };
    expect(
      withClassMoves(write, 'u1', 'd1', { entryClass: 'tv', increment: 'tv', decrement: 'web' }, DEFAULT_PATHS),
    ).toEqual({
      'presence/u1/devices/d1': { label: 'x', class: 'tv' },
      'presence/u1/op': 'd1',
      'presence/u1/classCount/tv': { '.sv': { increment: 1 } },
      'presence/u1/classCount/web': { '.sv': { increment: -1 } },
    });
    expect(withClassMoves(write, 'u1', 'd1', undefined, DEFAULT_PATHS)).toBe(write);
  });
});

describe('a full class', () => {
  test('classLimitReached names the class and its limit', () => {
    const p = presence({ a0000001: 'mobile' }, { classLimits: { mobile: 1 }, classCount: { mobile: 1 } });
    expect(classLimitReached(PHONE, p)).toEqual({ deviceClass: 'mobile', limit: 1 });
    expect(classLimitReached({ deviceClass: 'web', always: false }, p)).toBeNull();
  });

  function run(p: PresenceView, policy?: 'evict-least-recent') {
    let ctx = startSession({ classes: PHONE, ...(policy ? { policy } : {}) }).context;
    const effects: SessionEffect[] = [];
    for (const event of [
      { type: 'device-id', deviceId: D },
      { type: 'connection', connected: true },
      { type: 'limit', limit: 5 },
      { type: 'presence', presence: p },
    ] as SessionEvent[]) {
      const step = reduceSession(ctx, event, 1_000_000);
      ctx = step.context;
      effects.push(...step.effects);
    }
    return { ctx, effects };
  }

  const full = presence(
    { a0000001: 'mobile', w0000001: 'web' },
    { classLimits: { mobile: 1 }, classCount: { mobile: 1, web: 1 } },
  );

  test('with room in total, the claim goes on with the liveness check, then limit-reached names the class', () => {
    const { effects } = run(full);
    expect(effects.map((e) => e.type)).toEqual(['ping']);
  });

  test('under evict-least-recent, it replaces a device of the same class, not the least recent overall', () => {
    const { effects } = run(full, 'evict-least-recent');
    expect(effects).toContainEqual(expect.objectContaining({ type: 'replace', victim: 'a0000001' }));
  });

  test('limit-reached reports the class limit once every holder answered the check', () => {
    const { ctx } = run(full);
    const answered: PresenceView = {
      ...full,
      ping: 999_000,
      devices: new Map([...full.devices].map(([id, entry]) => [id, { ...entry, lastSeen: 999_500 }])),
    };
    let next = reduceSession(ctx, { type: 'presence', presence: answered }, 1_000_000).context;
    next = reduceSession(next, { type: 'write-succeeded', id: ctx.pending?.id ?? 0 }, 1_000_000).context;
    expect(publicState(next)).toMatchObject({
      status: 'limit-reached',
      limit: 5,
      classLimit: { deviceClass: 'mobile', limit: 1 },
    });
  });
});
