import { DEFAULT_CONFIG, isConfigError } from '@device-limit/contract';
import { configFromParams, refIsUnder, type ParamValues } from './config';
import { deviceLimitFor } from './limit-policy';
import { limitIn } from './repair-plan';
import { parseForceLoginData } from './validation';

const CONFIGURED: ParamValues = {
  DEVICE_LIMIT_PRESENCE_PATH: 'sessions',
  DEVICE_LIMIT_LIMITS_PATH: 'deviceLimits',
  DEVICE_LIMIT_EVENTS_PATH: 'sessionEvents',
  DEVICE_LIMIT_DEFAULT: '3',
  DEVICE_LIMIT_PLATFORMS: 'web,tv',
};

test('no parameter set (or set empty): the contract defaults', () => {
  expect(configFromParams({})).toEqual(DEFAULT_CONFIG);
  const empty = Object.fromEntries(Object.keys(CONFIGURED).map((name) => [name, '']));
  expect(configFromParams(empty)).toEqual(DEFAULT_CONFIG);
});

test('every parameter set, as a .env file writes them', () => {
  expect(configFromParams(CONFIGURED)).toEqual({
    paths: { presence: 'sessions', limits: 'deviceLimits', presenceEvents: 'sessionEvents' },
    defaultLimit: 3,
    platforms: ['web', 'tv'],
  });
  // Spaces around values and list items, as a hand-written .env may have them.
  expect(configFromParams({ DEVICE_LIMIT_DEFAULT: ' 0 ', DEVICE_LIMIT_PLATFORMS: 'web, tv ' })).toMatchObject({
    defaultLimit: 0,
    platforms: ['web', 'tv'],
  });
});

describe('refused with a ConfigError that names the parameter', () => {
  test.each<[string, ParamValues, string, RegExp]>([
    [
      'a path with a slash',
      { DEVICE_LIMIT_PRESENCE_PATH: 'app/presence' },
      'paths.presence',
      /^DEVICE_LIMIT_PRESENCE_PATH must be one database key/,
    ],
    [
      'a path with a dot',
      { DEVICE_LIMIT_LIMITS_PATH: 'limits.v2' },
      'paths.limits',
      /^DEVICE_LIMIT_LIMITS_PATH must be/,
    ],
    [
      'a wildcard path',
      { DEVICE_LIMIT_EVENTS_PATH: '$events' },
      'paths.presenceEvents',
      /^DEVICE_LIMIT_EVENTS_PATH must be/,
    ],
    [
      'two roots on one key',
      { DEVICE_LIMIT_EVENTS_PATH: 'limits' },
      'paths',
      /^DEVICE_LIMIT_PRESENCE_PATH, DEVICE_LIMIT_LIMITS_PATH and DEVICE_LIMIT_EVENTS_PATH must be three different keys; "limits" is used twice/,
    ],
    [
      'a limit in words',
      { DEVICE_LIMIT_DEFAULT: 'three' },
      'defaultLimit',
      /^DEVICE_LIMIT_DEFAULT must be an integer from 0 to 100.*got "three"/,
    ],
    // parseInt would read these as 3 and -1; the rules would hold another number than the functions.
    ['a limit with a unit', { DEVICE_LIMIT_DEFAULT: '3 devices' }, 'defaultLimit', /got "3 devices"/],
    ['a negative limit', { DEVICE_LIMIT_DEFAULT: '-1' }, 'defaultLimit', /^DEVICE_LIMIT_DEFAULT must be an integer/],
    ['a fractional limit', { DEVICE_LIMIT_DEFAULT: '2.5' }, 'defaultLimit', /got "2\.5"/],
    ['a limit above the bounds', { DEVICE_LIMIT_DEFAULT: '101' }, 'defaultLimit', /from 0 to 100.*got 101/],
    [
      'a list with an empty item',
      { DEVICE_LIMIT_PLATFORMS: 'web,,tv' },
      'platforms',
      /^DEVICE_LIMIT_PLATFORMS: "" is not a platform name/,
    ],
    ['a JSON list', { DEVICE_LIMIT_PLATFORMS: '["web","tv"]' }, 'platforms', /is not a platform name/],
    [
      'a platform twice',
      { DEVICE_LIMIT_PLATFORMS: 'web,tv,web' },
      'platforms',
      /^DEVICE_LIMIT_PLATFORMS lists "web" twice/,
    ],
  ])('%s', (_name, values, setting, message) => {
    let caught: unknown;
    try {
      configFromParams(values);
    } catch (error) {
      caught = error;
    }
    expect(isConfigError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'device-limit/invalid-config', setting, place: 'functionsParam' });
    expect((caught as Error).message).toMatch(message);
  });
});

test.each<[string, string, boolean]>([
  ['deviceLimits/u1', 'deviceLimits', true],
  ['/deviceLimits/u1', 'deviceLimits', true],
  ['limits/u1', 'deviceLimits', false],
  ['deviceLimitsOld/u1', 'deviceLimits', false],
  ['sessionEvents/u1/-Nx', 'sessionEvents', true],
])('refIsUnder(%s, %s) is %s', (ref, root, expected) => {
  expect(refIsUnder(ref, root)).toBe(expected);
});

describe('the configured values reach the pure checks', () => {
  const config = configFromParams(CONFIGURED);

  test('forceLogin takes a configured platform and refuses a default one the configuration left out', () => {
    const data = { deviceId: 'tv-device-1', platform: 'tv', label: 'Living room' };
    expect(parseForceLoginData(data, config.platforms)).toEqual(data);
    expect(() => parseForceLoginData({ ...data, platform: 'ios' }, config.platforms)).toThrow(
      'platform must be one of web, tv.',
    );
    // Without a configuration, the contract's list.
    expect(() => parseForceLoginData(data)).toThrow(/platform must be one of web, ios, android/);
  });

  test('the default limit applies when neither /limits/{uid} nor a plan sets one', () => {
    const limit = (override: unknown, planLimit?: number | null) =>
      limitIn(null, {
        limit: { override, defaultLimit: config.defaultLimit, ...(planLimit === undefined ? {} : { planLimit }) },
      });
    expect(limit(null)).toBe(3);
    expect(limit(null, 5)).toBe(5);
    expect(limit(1)).toBe(1);
    expect(deviceLimitFor(null, null, config.defaultLimit)).toBe(3);
    expect(deviceLimitFor(null, null)).toBe(2);
  });
});
