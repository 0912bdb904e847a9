/**
 * The app's configuration (docs/adopt.md, "Configuration"): `paths`, `defaultLimit` and `platforms`
 * are checked with errors that name the option, every write goes to the configured roots, and the
 * default limit decides when an account is full. test/config/configured.int.test.ts runs the same
 * against rules generated with these values.
 */
import type { Database } from 'firebase/database';
import { resolveClientConfig } from './contract';
import { claimUpdate, disconnectReleaseUpdate, replaceUpdate, sweepUpdate } from './database';
import { isDeviceLimitError } from './errors';
import { EMPTY_PRESENCE, type DeviceEntry, type PresenceView } from './presence';
import { forceLogin, listDevices } from './remote';
import { startDeviceSession } from './session';
import { publicState, reduceSession, startSession, type SessionEffect } from './state-machine';

const PATHS = { presence: 'sessions', limits: 'deviceLimits', presenceEvents: 'sessionEvents' };
const D = 'thisDevice01';

/** What `fn` threw, for assertions on its code and message. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('options refused with device-limit/invalid-argument, naming the option', () => {
  test.each<[string, Parameters<typeof resolveClientConfig>[0], RegExp]>([
    [
      'a presence path with a slash',
      { paths: { presence: 'app/presence' } },
      /^paths\.presence must be one database key/,
    ],
    ['a limits path on the events root', { paths: { limits: 'presenceEvents' } }, /"presenceEvents" is used twice/],
    ['a default limit above 100', { defaultLimit: 101 }, /^defaultLimit must be an integer from 0 to 100/],
    ['an empty platform list', { platforms: [] }, /^platforms must name at least one platform/],
  ])('%s', (_name, options, message) => {
    const error = thrown(() => resolveClientConfig(options));
    expect(isDeviceLimitError(error, 'device-limit/invalid-argument')).toBe(true);
    expect((error as Error).message).toMatch(message);
    // What to do: the three parts take the same values.
    expect((error as Error).message).toContain('the functions (DEVICE_LIMIT_* parameters)');
  });

  // A Database-shaped object is enough: the options are checked before the session touches it.
  const db = { type: 'database' } as unknown as Database;
  const user = { uid: 'user0001' };

  test('startDeviceSession checks the configuration, and the platform against the configured list', () => {
    const base = { deviceId: 'deviceA0001', tabs: false, lifecycle: 'manual' } as const;
    expect(thrown(() => startDeviceSession(db, user, { ...base, platform: 'web', defaultLimit: -1 }))).toMatchObject({
      code: 'device-limit/invalid-argument',
      message: expect.stringMatching(/^defaultLimit must be an integer/),
    });
    // `tv` only where the app configured it; `ios` no longer once the list leaves it out.
    expect(thrown(() => startDeviceSession(db, user, { ...base, platform: 'tv' }))).toMatchObject({
      code: 'device-limit/invalid-argument',
      message: expect.stringContaining(
        'platform must be one of web, ios, android, macos, windows, linux, other (got tv)',
      ),
    });
    expect(
      thrown(() => startDeviceSession(db, user, { ...base, platform: 'ios', platforms: ['web', 'tv'] })),
    ).toMatchObject({ message: expect.stringContaining('platform must be one of web, tv (got ios)') });
  });

  test('listDevices and forceLogin check the same options', async () => {
    await expect(listDevices(db, 'user0001', { paths: { presence: 'a.b' } })).rejects.toMatchObject({
      code: 'device-limit/invalid-argument',
      message: expect.stringMatching(/^paths\.presence/),
    });
    const device = { deviceId: 'deviceA0001', platform: 'tv', label: 'Living room' };
    const functions = {} as Parameters<typeof forceLogin>[0];
    await expect(forceLogin(functions, device)).rejects.toMatchObject({
      code: 'device-limit/invalid-argument',
      message: expect.stringContaining('(got tv)'),
    });
  });
});

test('every write goes to the configured roots', () => {
  const device = { generation: 0, platform: 'tv', label: 'Living room' };
  const keys = [
    ...Object.keys(claimUpdate('u1', D, device, 'ev1', 3, true, PATHS)),
    ...Object.keys(replaceUpdate('u1', D, 'victim0001', device, { claimed: 'ev2', released: 'ev3' }, null, PATHS)),
    ...Object.keys(disconnectReleaseUpdate('u1', D, 'ev4', PATHS)),
    ...Object.keys(sweepUpdate('u1', 'ghost00001', 0, 'ev5', PATHS)),
  ];
  expect(keys.filter((key) => !/^(sessions|sessionEvents)\/u1\//.test(key))).toEqual([]);
  expect(keys).toEqual(expect.arrayContaining(['sessions/u1/count', 'sessionEvents/u1/ev1', 'sessionEvents/u1/ev4']));
  // Without paths, the protocol's.
  expect(Object.keys(claimUpdate('u1', D, device, 'ev1'))).toContain('presenceEvents/u1/ev1');
});

describe('the default limit decides when an account is full', () => {
  function presence(ids: readonly string[]): PresenceView {
    const devices = new Map<string, DeviceEntry>(
      ids.map((deviceId) => [
        deviceId,
        { deviceId, platform: 'web', label: deviceId, claimedAt: 1000, lastSeen: 1000, generation: 0 },
      ]),
    );
    return { ...EMPTY_PRESENCE, count: devices.size, devices };
  }

  /** The effects of a session that finds two devices holding slots and no /limits/{uid}. */
  function boot(defaultLimit?: number): { effects: SessionEffect[]; limit: unknown } {
    let ctx = startSession(defaultLimit === undefined ? {} : { defaultLimit }).context;
    const effects: SessionEffect[] = [];
    for (const event of [
      { type: 'device-id', deviceId: D },
      { type: 'connection', connected: true },
      { type: 'limit', limit: null },
      { type: 'presence', presence: presence(['otherDevice1', 'otherDevice2']) },
    ] as const) {
      const step = reduceSession(ctx, event, 1_000_000);
      ctx = step.context;
      effects.push(...step.effects);
    }
    return { effects, limit: (publicState(ctx) as { limit?: number }).limit };
  }

  test('3: a third device claims at once', () => {
    expect(boot(3).effects.map((effect) => effect.type)).toEqual(['claim']);
  });

  test('the protocol default, 2: the third device asks the holders first (liveness check)', () => {
    const { effects, limit } = boot();
    expect(effects.map((effect) => effect.type)).not.toContain('claim');
    expect(effects.map((effect) => effect.type)).toContain('ping');
    expect(limit).toBe(2);
  });
});
