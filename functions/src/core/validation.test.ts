import { PresenceError } from './errors';
import {
  parseForceLoginData,
  parseRepairPresenceData,
  parseSetDeviceLimitData,
  parseSignOutDeviceData,
  repairTarget,
  requireCaller,
} from './validation';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof PresenceError) return error.code;
    throw error;
  }
  return undefined;
}

describe('requireCaller', () => {
  it('takes uid, auth_time and the admin claim from the token', () => {
    expect(requireCaller({ uid: 'u1', token: { auth_time: 123, admin: true } })).toEqual({
      uid: 'u1',
      authTime: 123,
      isAdmin: true,
      planLimit: null,
    });
  });

  it.each([
    [{ deviceLimit: 4 }, 4],
    [{ deviceLimit: 0 }, 0],
    [{ deviceLimit: '4' }, null],
    [{ deviceLimit: 4.5 }, null],
    [{ deviceLimit: 101 }, null],
  ])('takes the plan limit claim from token %p (docs/protocol.md §11.1)', (token, planLimit) => {
    expect(requireCaller({ uid: 'u1', token }).planLimit).toBe(planLimit);
  });

  it.each([[{ admin: 'true' }], [{ admin: 1 }], [{}]])('is not admin with token %p', (token) => {
    expect(requireCaller({ uid: 'u1', token }).isAdmin).toBe(false);
  });

  it('refuses a missing auth as unauthenticated', () => {
    expect(codeOf(() => requireCaller(undefined))).toBe('unauthenticated');
    expect(codeOf(() => requireCaller({ uid: '', token: {} }))).toBe('unauthenticated');
  });
});

describe('parseForceLoginData', () => {
  const good = { deviceId: 'abcdEFGH_-12', platform: 'web', label: 'Chrome on Mac' };

  it('accepts a valid request', () => {
    expect(parseForceLoginData(good)).toEqual(good);
  });

  it.each([
    ['not an object', 'x'],
    ['null', null],
    ['an array', [good]],
    ['deviceId too short', { ...good, deviceId: 'short' }],
    ['deviceId too long', { ...good, deviceId: 'a'.repeat(65) }],
    ['deviceId with a slash', { ...good, deviceId: 'abcd/efgh' }],
    ['deviceId with a dot', { ...good, deviceId: 'abcd.efgh' }],
    ['deviceId missing', { platform: 'web', label: 'x' }],
    ['unknown platform', { ...good, platform: 'symbian' }],
    ['empty label', { ...good, label: '' }],
    ['label too long', { ...good, label: 'x'.repeat(65) }],
    ['label not a string', { ...good, label: 5 }],
    ['unknown field (a uid!)', { ...good, uid: 'someone-else' }],
  ])('refuses %s with invalid-argument', (_name, data) => {
    expect(codeOf(() => parseForceLoginData(data))).toBe('invalid-argument');
  });
});

describe('parseSignOutDeviceData', () => {
  it('accepts a deviceId', () => {
    expect(parseSignOutDeviceData({ deviceId: '12345678' })).toEqual({ deviceId: '12345678' });
  });

  it.each([[{}], [{ deviceId: 'bad id!!' }], [{ deviceId: '12345678', uid: 'x' }], [undefined]])(
    'refuses %p',
    (data) => {
      expect(codeOf(() => parseSignOutDeviceData(data))).toBe('invalid-argument');
    },
  );
});

describe('parseSetDeviceLimitData', () => {
  it.each([
    [
      { uid: 'u1', limit: 3 },
      { uid: 'u1', limit: 3 },
    ],
    [
      { uid: 'u1', limit: 0 },
      { uid: 'u1', limit: 0 },
    ],
    [
      { uid: 'u1', limit: null },
      { uid: 'u1', limit: null },
    ],
  ])('accepts %p', (data, expected) => {
    expect(parseSetDeviceLimitData(data)).toEqual(expected);
  });

  it.each([
    ['no limit', { uid: 'u1' }],
    ['limit too big', { uid: 'u1', limit: 101 }],
    ['negative limit', { uid: 'u1', limit: -1 }],
    ['fractional limit', { uid: 'u1', limit: 1.5 }],
    ['string limit', { uid: 'u1', limit: '2' }],
    ['no uid', { limit: 2 }],
    ['uid with a path separator', { uid: 'a/b', limit: 2 }],
    ['uid with a control character', { uid: 'a\u0001', limit: 2 }],
    ['uid too long', { uid: 'u'.repeat(129), limit: 2 }],
    ['unknown field', { uid: 'u1', limit: 2, force: true }],
  ])('refuses %s', (_name, data) => {
    expect(codeOf(() => parseSetDeviceLimitData(data))).toBe('invalid-argument');
  });
});

describe('parseRepairPresenceData', () => {
  it.each([
    [undefined, {}],
    [null, {}],
    [{}, {}],
    [{ uid: null }, {}],
    [{ uid: 'u1' }, { uid: 'u1' }],
  ])('accepts %p', (data, expected) => {
    expect(parseRepairPresenceData(data)).toEqual(expected);
  });

  it.each([[{ uid: 'a/b' }], [{ uid: '' }], [{ uid: 5 }], [{ uid: 'u1', force: true }], ['u1'], [[]]])(
    'refuses %p',
    (data) => {
      expect(codeOf(() => parseRepairPresenceData(data))).toBe('invalid-argument');
    },
  );
});

describe('repairTarget', () => {
  const owner = { uid: 'u1', authTime: 1, isAdmin: false, planLimit: null };
  const admin = { uid: 'ops', authTime: 1, isAdmin: true, planLimit: null };

  it.each([
    ['the owner, no uid', owner, {}, 'u1'],
    ['the owner, own uid', owner, { uid: 'u1' }, 'u1'],
    ['an admin, another uid', admin, { uid: 'u1' }, 'u1'],
    ['an admin, no uid', admin, {}, 'ops'],
  ])('lets %s through', (_name, caller, data, expected) => {
    expect(repairTarget(caller, data)).toBe(expected);
  });

  it('refuses a non-admin naming another user', () => {
    expect(codeOf(() => repairTarget(owner, { uid: 'u2' }))).toBe('permission-denied');
  });
});

describe('parseForceLoginData with a device class (docs/protocol.md §11.3)', () => {
  const data = { deviceId: 'device-0001', platform: 'android', label: 'Living room' };

  it.each([
    ['mobile', 'mobile'],
    ['tv', 'tv'],
  ])('accepts %p on android', (deviceClass, expected) => {
    expect(parseForceLoginData({ ...data, deviceClass }).deviceClass).toBe(expected);
  });

  it.each([['desktop'], ['web'], ['car'], [7]])('refuses %p on android with invalid-argument', (deviceClass) => {
    expect(codeOf(() => parseForceLoginData({ ...data, deviceClass }))).toBe('invalid-argument');
  });
});
