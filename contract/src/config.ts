/**
 * What a project may configure (docs/adopt.md, "Configuration"): the three root paths, the default
 * limit and the platforms. The rules, the functions and the client module must be given the same
 * values, each in its own way: a flag of `device-limit rules`, a firebase-functions parameter, an
 * option of the client. One validator serves all three, so a value one part accepts is never refused
 * by another, and each error names the setting as its user typed it. Everything else (field names,
 * patterns, timings) is the protocol itself and is not configurable.
 */
// Used inside functions only: index.ts re-exports this module, and in the ES module build this
// module is evaluated before index.ts's own constants exist.
import {
  type ContractPaths,
  DEFAULT_CONFIG,
  DEFAULT_DEVICE_LIMIT,
  DEFAULT_PATHS,
  MAX_DEVICE_LIMIT,
  MIN_DEVICE_LIMIT,
  PLATFORMS,
} from './index';

/** The configuration every part of a project shares. */
export interface DeviceLimitConfig {
  /** The roots of `/presence/{uid}`, `/limits/{uid}` and `/presenceEvents/{uid}/{pushId}`. */
  readonly paths: ContractPaths;
  /** The limit when neither `/limits/{uid}` nor a plan claim sets one (docs/protocol.md §2, §11.1). */
  readonly defaultLimit: number;
  /** The values a device entry's `platform` may take. */
  readonly platforms: readonly string[];
}

/** What a caller may pass: anything left out takes the contract's default. */
export interface DeviceLimitConfigInput {
  readonly paths?: Partial<ContractPaths>;
  readonly defaultLimit?: number;
  readonly platforms?: readonly string[];
}

export type ConfigSetting = 'paths.presence' | 'paths.limits' | 'paths.presenceEvents' | 'defaultLimit' | 'platforms';

/** Where a setting is given: the rules CLI, the functions' parameters, or the client's options. */
export type ConfigPlace = 'rulesFlag' | 'functionsParam' | 'clientOption';

/**
 * The name of each setting in each place. The functions declare their parameters under these names
 * and the docs list the same table, so a project can match the three by reading one row.
 */
export const CONFIG_NAMES: Readonly<Record<ConfigSetting, Readonly<Record<ConfigPlace, string>>>> = Object.freeze({
  'paths.presence': {
    rulesFlag: '--presence-path',
    functionsParam: 'DEVICE_LIMIT_PRESENCE_PATH',
    clientOption: 'paths.presence',
  },
  'paths.limits': {
    rulesFlag: '--limits-path',
    functionsParam: 'DEVICE_LIMIT_LIMITS_PATH',
    clientOption: 'paths.limits',
  },
  'paths.presenceEvents': {
    rulesFlag: '--events-path',
    functionsParam: 'DEVICE_LIMIT_EVENTS_PATH',
    clientOption: 'paths.presenceEvents',
  },
  defaultLimit: { rulesFlag: '--default-limit', functionsParam: 'DEVICE_LIMIT_DEFAULT', clientOption: 'defaultLimit' },
  platforms: { rulesFlag: '--platforms', functionsParam: 'DEVICE_LIMIT_PLATFORMS', clientOption: 'platforms' },
});

export const CONFIG_ERROR_CODE = 'device-limit/invalid-config';

/** A setting that no part can use; `setting` is the one at fault, `name` how `place` spells it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = CONFIG_ERROR_CODE;
  constructor(
    readonly setting: ConfigSetting | 'paths',
    readonly place: ConfigPlace,
    message: string,
  ) {
    super(message);
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}

/**
 * A root key: quoted into rule expressions (`root.child('limits')`) and used as a database key, so it
 * is kept to characters that need no escaping in either, and cannot be a `$wildcard` or a `.rule`.
 * One key, not a path: the rules put each root directly under `/`.
 */
export const ROOT_KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** A platform name: compared as a literal in the rules, so no quoting is needed. */
export const PLATFORM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const PATH_SETTINGS = [
  ['presence', 'paths.presence'],
  ['limits', 'paths.limits'],
  ['presenceEvents', 'paths.presenceEvents'],
] as const;

/** `got …` for a message: strings quoted, so that an empty or padded one shows as such. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Fills in the defaults and checks every setting; throws a ConfigError naming the first bad one the
 * way `place` spells it (`--default-limit`, `DEVICE_LIMIT_DEFAULT` or `defaultLimit`).
 */
export function resolveConfig(input: DeviceLimitConfigInput = {}, place: ConfigPlace): DeviceLimitConfig {
  const nameOf = (setting: ConfigSetting) => CONFIG_NAMES[setting][place];

  const paths = { ...DEFAULT_PATHS };
  for (const [key, setting] of PATH_SETTINGS) {
    const value: unknown = input.paths?.[key] ?? DEFAULT_PATHS[key];
    if (typeof value !== 'string' || !ROOT_KEY_PATTERN.test(value)) {
      throw new ConfigError(
        setting,
        place,
        `${nameOf(setting)} must be one database key of letters, digits, '_' or '-' (1 to 128 characters), got ${shown(value)}`,
      );
    }
    paths[key] = value;
  }
  const roots = [paths.presence, paths.limits, paths.presenceEvents];
  const repeated = roots.find((key, i) => roots.indexOf(key) !== i);
  if (repeated !== undefined) {
    const names = PATH_SETTINGS.map(([, setting]) => nameOf(setting));
    throw new ConfigError(
      'paths',
      place,
      `${names[0]}, ${names[1]} and ${names[2]} must be three different keys; "${repeated}" is used twice`,
    );
  }

  const defaultLimit: unknown = input.defaultLimit ?? DEFAULT_DEVICE_LIMIT;
  if (
    typeof defaultLimit !== 'number' ||
    !Number.isInteger(defaultLimit) ||
    defaultLimit < MIN_DEVICE_LIMIT ||
    defaultLimit > MAX_DEVICE_LIMIT
  ) {
    throw new ConfigError(
      'defaultLimit',
      place,
      `${nameOf('defaultLimit')} must be an integer from ${MIN_DEVICE_LIMIT} to ${MAX_DEVICE_LIMIT} (the bounds of /limits/{uid}), got ${shown(defaultLimit)}`,
    );
  }

  const platforms: unknown = input.platforms ?? PLATFORMS;
  const name = nameOf('platforms');
  if (!Array.isArray(platforms) || platforms.length === 0) {
    throw new ConfigError('platforms', place, `${name} must name at least one platform, e.g. web,ios,android`);
  }
  for (const platform of platforms as readonly unknown[]) {
    if (typeof platform !== 'string' || !PLATFORM_NAME_PATTERN.test(platform)) {
      throw new ConfigError(
        'platforms',
        place,
        `${name}: ${shown(platform)} is not a platform name; use letters, digits, '_' or '-' (1 to 64 characters)`,
      );
    }
  }
  const list = platforms as readonly string[];
  const duplicate = list.find((p, i) => list.indexOf(p) !== i);
  if (duplicate !== undefined) throw new ConfigError('platforms', place, `${name} lists "${duplicate}" twice`);

  return { paths, defaultLimit, platforms: [...list] };
}

/**
 * The functions' parameters for `config`, as the lines of a `.env` file (`NAME=value`): what
 * `functions/.env` carries, so that `firebase deploy` and the Functions emulator need not prompt.
 */
export function configParamLines(config: DeviceLimitConfig = DEFAULT_CONFIG): string[] {
  return [
    `${CONFIG_NAMES['paths.presence'].functionsParam}=${config.paths.presence}`,
    `${CONFIG_NAMES['paths.limits'].functionsParam}=${config.paths.limits}`,
    `${CONFIG_NAMES['paths.presenceEvents'].functionsParam}=${config.paths.presenceEvents}`,
    `${CONFIG_NAMES.defaultLimit.functionsParam}=${config.defaultLimit}`,
    `${CONFIG_NAMES.platforms.functionsParam}=${config.platforms.join(',')}`,
  ];
}
