/**
 * The callables through their own `.run(request)` entry, with an `auth` shaped like a verified ID
 * token (docs/protocol.md §5.1, §5.2, §5.5): force login, sign out one device, set a limit — their
 * effects in the emulator, their HttpsError codes, and that the uid always comes from the token.
 * (`repairPresence`, §5.4, has its own file: repair.int.test.ts.)
 */
import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import { EVICTION_NOTICE_TTL_MS, PRESENCE_EVENTS_MAX } from '../../functions/src/core/contract';
import {
  auditTrail,
  callableRequest,
  deviceEntry,
  expectInvariants,
  functions,
  readPresence,
  seedPresence,
  startFunctionsContext,
  stopFunctionsContext,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
beforeAll(() => {
  ctx = startFunctionsContext('demo-fn-callables');
});
afterAll(stopFunctionsContext);

type Callable = { run(request: CallableRequest<unknown>): Promise<unknown> };
const forceLogin = functions.forceLogin as unknown as Callable;
const signOutDevice = functions.signOutDevice as unknown as Callable;
const setDeviceLimit = functions.setDeviceLimit as unknown as Callable;

/** The HttpsError code a call fails with (fails the test if it succeeds). */
async function failureCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpsError);
    return (error as HttpsError).code;
  }
  throw new Error('expected the call to fail');
}

/** The user's entries as rule-checked claims leave them (written by an admin, bypassing the rules). */
async function seedDevices(uid: string, devices: Record<string, ReturnType<typeof deviceEntry>>, generation = 0) {
  await seedPresence(ctx, uid, { count: Object.keys(devices).length, generation, devices });
}

/** An eviction notice a day and a minute old, and one a minute old (docs/protocol.md §5: TTL 24 h). */
function agedNotices(): Record<string, { reason: string; at: number; generation: number }> {
  return {
    expired01: { reason: 'swept', at: Date.now() - EVICTION_NOTICE_TTL_MS - 60_000, generation: 0 },
    recent001: { reason: 'swept', at: Date.now() - 60_000, generation: 0 },
  };
}

const AUTH_TIME = Math.floor(Date.now() / 1000) - 30;

describe('forceLogin', () => {
  test('evicts every other device in one write: generation, count, lastActive, notBefore, notices', async () => {
    const uid = 'fl-user';
    await seedDevices(uid, { laptop001: deviceEntry(1_000, 5_000, 3), phone0002: deviceEntry(2_000, 6_000, 3) }, 3);
    await ctx.db.ref(`presence/${uid}`).update({ ping: 7_000, lastActive: 6_000 });

    const result = await forceLogin.run(
      callableRequest(
        { deviceId: 'tablet003', platform: 'android', label: 'Pixel Tablet' },
        { uid, authTime: AUTH_TIME },
      ),
    );

    expect(result).toEqual({ generation: 4, notBefore: AUTH_TIME, evicted: ['laptop001', 'phone0002'] });
    const after = await readPresence(ctx, uid);
    expect(after).toEqual({
      count: 1,
      op: 'tablet003',
      generation: 4,
      notBefore: AUTH_TIME,
      // §5.1 `...cur`: a pending liveness check stays; lastActive is the server's now.
      ping: 7_000,
      lastActive: expect.any(Number),
      devices: {
        tablet003: {
          claimedAt: expect.any(Number),
          lastSeen: expect.any(Number),
          generation: 4,
          platform: 'android',
          label: 'Pixel Tablet',
        },
      },
      evicted: {
        laptop001: { reason: 'force-login', at: expect.any(Number), generation: 4 },
        phone0002: { reason: 'force-login', at: expect.any(Number), generation: 4 },
      },
    });
    const entry = (after?.devices as { tablet003: { lastSeen: number } }).tablet003;
    // One server timestamp for the claim and lastActive, the server's own clock.
    expect(after?.lastActive).toBe(entry.lastSeen);
    expect(Math.abs(entry.lastSeen - Date.now())).toBeLessThan(60_000);
    await expectInvariants(ctx, uid, 2);
    // docs/protocol.md §5.1, §6: the server records its evictions (the claim is the caller's own).
    expect((await auditTrail(ctx, uid)).map((e) => [e.type, e.deviceId, e.reason])).toEqual([
      ['evicted', 'laptop001', 'force-login'],
      ['evicted', 'phone0002', 'force-login'],
    ]);
  });

  test('drops eviction notices older than 24 hours', async () => {
    const uid = 'fl-notices-user';
    await seedPresence(ctx, uid, { count: 0, evicted: agedNotices() });
    await forceLogin.run(
      callableRequest({ deviceId: 'phone0002', platform: 'ios', label: 'iPhone' }, { uid, authTime: AUTH_TIME }),
    );
    expect(Object.keys((await readPresence(ctx, uid))?.evicted as object)).toEqual(['recent001']);
  });

  test('a device that already held a slot keeps its claimedAt', async () => {
    const uid = 'fl-keep-user';
    await seedDevices(uid, { laptop001: deviceEntry(1_000), phone0002: deviceEntry(2_000) });
    await forceLogin.run(
      callableRequest({ deviceId: 'phone0002', platform: 'ios', label: 'iPhone' }, { uid, authTime: AUTH_TIME }),
    );
    expect(await readPresence(ctx, uid)).toMatchObject({
      count: 1,
      generation: 1,
      devices: { phone0002: { claimedAt: 2_000, generation: 1 } },
    });
  });

  test('a session that signed in before the last force login is refused and changes nothing', async () => {
    const uid = 'fl-cutoff-user';
    await forceLogin.run(
      callableRequest({ deviceId: 'newer0001', platform: 'web', label: 'New' }, { uid, authTime: AUTH_TIME }),
    );
    const state = await readPresence(ctx, uid);
    const code = await failureCode(
      forceLogin.run(
        callableRequest({ deviceId: 'older0002', platform: 'web', label: 'Old' }, { uid, authTime: AUTH_TIME - 600 }),
      ),
    );
    expect(code).toBe('permission-denied');
    expect(await readPresence(ctx, uid)).toEqual(state);
    expect((await auditTrail(ctx, uid)).filter((e) => e.type === 'denied')).toEqual([
      { type: 'denied', deviceId: 'older0002', reason: 'session-cut-off', at: expect.any(Number) },
    ]);
  });

  test('two devices forcing login at the same moment leave exactly one slot', async () => {
    const uid = 'fl-race-user';
    await seedDevices(uid, { laptop001: deviceEntry(1_000), phone0002: deviceEntry(2_000) });
    const results = await Promise.all(
      ['laptop001', 'phone0002'].map((deviceId) =>
        forceLogin.run(callableRequest({ deviceId, platform: 'web', label: deviceId }, { uid, authTime: AUTH_TIME })),
      ),
    );
    expect(results.map((r) => (r as { generation: number }).generation).sort()).toEqual([1, 2]);
    const presence = await readPresence(ctx, uid);
    expect(presence).toMatchObject({ count: 1, generation: 2 });
    await expectInvariants(ctx, uid, 2);
  });

  test.each([
    ['no auth', undefined, { deviceId: 'device001', platform: 'web', label: 'x' }, 'unauthenticated'],
    ['a bad deviceId', { uid: 'fl-v' }, { deviceId: 'bad/id', platform: 'web', label: 'x' }, 'invalid-argument'],
    ['no platform', { uid: 'fl-v' }, { deviceId: 'device001', label: 'x' }, 'invalid-argument'],
    [
      'another user named in data',
      { uid: 'fl-v' },
      { deviceId: 'device001', platform: 'web', label: 'x', uid: 'victim' },
      'invalid-argument',
    ],
    ['data not an object', { uid: 'fl-v' }, 'device001', 'invalid-argument'],
  ])('refuses %s', async (_name, auth, data, expected) => {
    expect(await failureCode(forceLogin.run(callableRequest(data, auth)))).toBe(expected);
    expect(await readPresence(ctx, 'victim')).toBeNull();
    expect(await readPresence(ctx, 'fl-v')).toBeNull();
  });

  test('refuses a token without auth_time', async () => {
    const request = callableRequest({ deviceId: 'device001', platform: 'web', label: 'x' }, { uid: 'fl-noauthtime' });
    delete (request.auth?.token as unknown as Record<string, unknown>).auth_time;
    expect(await failureCode(forceLogin.run(request))).toBe('unauthenticated');
  });
});

describe('signOutDevice', () => {
  test('removes one device with a signed-out notice', async () => {
    const uid = 'so-user';
    await seedDevices(uid, { laptop001: deviceEntry(1_000, 1_500), phone0002: deviceEntry(2_000, 2_500) });
    expect(await signOutDevice.run(callableRequest({ deviceId: 'laptop001' }, { uid }))).toEqual({
      deviceId: 'laptop001',
    });
    expect(await readPresence(ctx, uid)).toEqual({
      count: 1,
      generation: 0,
      op: 'laptop001',
      devices: { phone0002: deviceEntry(2_000, 2_500) },
      evicted: { laptop001: { reason: 'signed-out', at: expect.any(Number), generation: 0 } },
    });
    expect((await auditTrail(ctx, uid)).filter((e) => e.type === 'evicted')).toEqual([
      { type: 'evicted', deviceId: 'laptop001', reason: 'signed-out', at: expect.any(Number) },
    ]);
  });

  test('drops eviction notices older than 24 hours', async () => {
    const uid = 'so-notices-user';
    await seedPresence(ctx, uid, { count: 1, devices: { laptop001: deviceEntry(1_000) }, evicted: agedNotices() });
    await signOutDevice.run(callableRequest({ deviceId: 'laptop001' }, { uid }));
    expect(Object.keys((await readPresence(ctx, uid))?.evicted as object).sort()).toEqual(['laptop001', 'recent001']);
  });

  test('a device that holds no slot is not-found; another user cannot reach my devices', async () => {
    const uid = 'so-owner';
    await seedDevices(uid, { laptop001: deviceEntry(1_000) });
    const state = await readPresence(ctx, uid);
    expect(await failureCode(signOutDevice.run(callableRequest({ deviceId: 'missing01' }, { uid })))).toBe('not-found');
    // The attacker names the owner's device: the uid comes from the attacker's token, so it is not found.
    expect(
      await failureCode(signOutDevice.run(callableRequest({ deviceId: 'laptop001' }, { uid: 'so-attacker' }))),
    ).toBe('not-found');
    expect(
      await failureCode(signOutDevice.run(callableRequest({ deviceId: 'laptop001', uid }, { uid: 'so-attacker' }))),
    ).toBe('invalid-argument');
    expect(await failureCode(signOutDevice.run(callableRequest({ deviceId: 'laptop001' })))).toBe('unauthenticated');
    expect(await readPresence(ctx, uid)).toEqual(state);
  });
});

describe('setDeviceLimit', () => {
  const admin = { uid: 'the-admin', claims: { admin: true } };

  test('lowering the limit evicts the most recently claimed extras', async () => {
    const uid = 'limit-user';
    await setDeviceLimit.run(callableRequest({ uid, limit: 3 }, admin));
    await seedDevices(uid, {
      first0001: deviceEntry(1_000),
      second002: deviceEntry(2_000),
      third0003: deviceEntry(3_000),
    });
    expect(await readPresence(ctx, uid)).toMatchObject({ count: 3 });

    const result = await setDeviceLimit.run(callableRequest({ uid, limit: 1 }, admin));

    expect(result).toEqual({ uid, limit: 1, evicted: ['third0003', 'second002'] });
    expect((await ctx.db.ref(`limits/${uid}`).get()).val()).toBe(1);
    const presence = await readPresence(ctx, uid);
    expect(presence).toMatchObject({
      count: 1,
      devices: { first0001: deviceEntry(1_000) },
      evicted: {
        second002: { reason: 'limit-lowered', generation: 0 },
        third0003: { reason: 'limit-lowered', generation: 0 },
      },
    });
    await expectInvariants(ctx, uid, 1);
    expect((await auditTrail(ctx, uid)).filter((e) => e.type === 'evicted').map((e) => [e.deviceId, e.reason])).toEqual(
      [
        ['third0003', 'limit-lowered'],
        ['second002', 'limit-lowered'],
      ],
    );
  });

  test('null returns the user to the default limit', async () => {
    const uid = 'limit-reset-user';
    await setDeviceLimit.run(callableRequest({ uid, limit: 5 }, admin));
    expect(await setDeviceLimit.run(callableRequest({ uid, limit: null }, admin))).toEqual({
      uid,
      limit: 2,
      evicted: [],
    });
    expect((await ctx.db.ref(`limits/${uid}`).get()).exists()).toBe(false);
  });

  test.each([
    ['a non-admin', { uid: 'limit-user-2' }, { uid: 'limit-user-2', limit: 50 }, 'permission-denied'],
    [
      'an admin claim that is not true',
      { uid: 'x', claims: { admin: 'yes' } },
      { uid: 'limit-user-2', limit: 50 },
      'permission-denied',
    ],
    ['no auth', undefined, { uid: 'limit-user-2', limit: 50 }, 'unauthenticated'],
    ['a limit out of range', admin, { uid: 'limit-user-2', limit: 101 }, 'invalid-argument'],
    ['a fractional limit', admin, { uid: 'limit-user-2', limit: 1.5 }, 'invalid-argument'],
    ['a uid that is a path', admin, { uid: 'limit-user-2/x', limit: 1 }, 'invalid-argument'],
  ])('refuses %s', async (_name, auth, data, expected) => {
    expect(await failureCode(setDeviceLimit.run(callableRequest(data, auth)))).toBe(expected);
    expect((await ctx.db.ref('limits/limit-user-2').get()).exists()).toBe(false);
  });
});

test('the audit trail stays bounded: the oldest events beyond the maximum are deleted', async () => {
  const uid = 'audit-user';
  const backlog: Record<string, unknown> = {};
  for (let i = 0; i < PRESENCE_EVENTS_MAX + 20; i++) {
    // Keys in creation order, older than any push id the functions will generate now.
    backlog[`-AAAAAAAAAAAAAA${String(i).padStart(5, '0')}`] = {
      type: 'claimed',
      deviceId: 'old00001',
      at: i,
      reason: 'claim',
    };
  }
  await ctx.db.ref(`presenceEvents/${uid}`).set(backlog);
  await seedDevices(uid, { laptop001: deviceEntry(1_000) });
  await signOutDevice.run(callableRequest({ deviceId: 'laptop001' }, { uid }));
  const events = await auditTrail(ctx, uid);
  expect(events).toHaveLength(PRESENCE_EVENTS_MAX);
  expect(events[events.length - 1]).toMatchObject({ type: 'evicted', deviceId: 'laptop001', reason: 'signed-out' });
  expect(events.some((e) => e.at === 0)).toBe(false);
});
