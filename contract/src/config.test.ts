import {
  CONFIG_ERROR_CODE,
  CONFIG_NAMES,
  type ConfigPlace,
  type ConfigSetting,
  type DeviceLimitConfigInput,
  configParamLines,
  isConfigError,
  resolveConfig,
} from './config';
import { DEFAULT_CONFIG, DEFAULT_PATHS, PLATFORMS } from './index';

const PLACES: readonly ConfigPlace[] = ['rulesFlag', 'functionsParam', 'clientOption'];

test('nothing given: the protocol defaults, in every place', () => {
  for (const place of PLACES) expect(resolveConfig({}, place)).toEqual(DEFAULT_CONFIG);
  expect(DEFAULT_CONFIG).toEqual({ paths: DEFAULT_PATHS, defaultLimit: 2, platforms: PLATFORMS });
});

test('a partial configuration keeps the defaults of what it leaves out', () => {
  expect(
    resolveConfig({ paths: { presence: 'sessions' }, defaultLimit: 0, platforms: ['tv'] }, 'clientOption'),
  ).toEqual({ paths: { ...DEFAULT_PATHS, presence: 'sessions' }, defaultLimit: 0, platforms: ['tv'] });
});

describe('refused, with the setting named as each place spells it', () => {
  test.each<[string, DeviceLimitConfigInput, string, RegExp]>([
    ['a path with a slash', { paths: { presence: 'a/b' } }, 'paths.presence', /must be one database key.*got "a\/b"/],
    ['an empty path', { paths: { limits: '' } }, 'paths.limits', /got ""$/],
    ['a wildcard path', { paths: { presenceEvents: '$x' } }, 'paths.presenceEvents', /one database key/],
    ['a path of 129 characters', { paths: { presence: 'p'.repeat(129) } }, 'paths.presence', /1 to 128/],
    [
      'two roots on one key',
      { paths: { limits: 'presence' } },
      'paths',
      /three different keys; "presence" is used twice/,
    ],
    ['a fractional limit', { defaultLimit: 1.5 }, 'defaultLimit', /integer from 0 to 100.*got 1\.5/],
    ['a negative limit', { defaultLimit: -1 }, 'defaultLimit', /integer from 0 to 100/],
    ['a limit above the bounds', { defaultLimit: 101 }, 'defaultLimit', /got 101/],
    ['a limit that is not a number', { defaultLimit: '3' as unknown as number }, 'defaultLimit', /got "3"/],
    ['no platforms', { platforms: [] }, 'platforms', /at least one platform/],
    ['platforms that are not a list', { platforms: 'web' as unknown as string[] }, 'platforms', /at least one/],
    ['a platform that is not a word', { platforms: ['web', 'a b'] }, 'platforms', /"a b" is not a platform name/],
    ['a platform twice', { platforms: ['web', 'web'] }, 'platforms', /lists "web" twice/],
  ])('%s', (_name, input, setting, message) => {
    for (const place of PLACES) {
      let caught: unknown;
      try {
        resolveConfig(input, place);
      } catch (error) {
        caught = error;
      }
      expect(isConfigError(caught)).toBe(true);
      expect(caught).toMatchObject({ code: CONFIG_ERROR_CODE, setting, place });
      const text = (caught as Error).message;
      expect(text).toMatch(message);
      // The message starts with the name the user typed: a flag, a parameter or an option.
      const first: ConfigSetting = setting === 'paths' ? 'paths.presence' : (setting as ConfigSetting);
      expect(text.startsWith(CONFIG_NAMES[first][place])).toBe(true);
    }
  });
});

test('every setting has a distinct name in each place', () => {
  for (const place of PLACES) {
    const names = Object.values(CONFIG_NAMES).map((names) => names[place]);
    expect(new Set(names).size).toBe(names.length);
  }
  // The functions' parameters are environment variables: upper case, one prefix.
  for (const names of Object.values(CONFIG_NAMES)) expect(names.functionsParam).toMatch(/^DEVICE_LIMIT_[A-Z_]+$/);
});

test('configParamLines: the .env lines of a configuration, read back by the same names', () => {
  const config = resolveConfig(
    {
      paths: { presence: 'sessions', limits: 'deviceLimits', presenceEvents: 'sessionEvents' },
      defaultLimit: 3,
      platforms: ['web', 'tv'],
    },
    'functionsParam',
  );
  expect(configParamLines(config)).toEqual([
    'DEVICE_LIMIT_PRESENCE_PATH=sessions',
    'DEVICE_LIMIT_LIMITS_PATH=deviceLimits',
    'DEVICE_LIMIT_EVENTS_PATH=sessionEvents',
    'DEVICE_LIMIT_DEFAULT=3',
    'DEVICE_LIMIT_PLATFORMS=web,tv',
  ]);
  expect(configParamLines()).toContain('DEVICE_LIMIT_PLATFORMS=web,ios,android,macos,windows,linux,other');
});
