/**
 * What a project may configure in the rules (issue "Configurable where users need it"): the root
 * paths, the default limit and the platforms. Everything else (field names, patterns, timings) is
 * the protocol itself and comes from the contract constants unchanged.
 */
import {
  type ContractPaths,
  DEFAULT_DEVICE_LIMIT,
  DEFAULT_PATHS,
  MAX_DEVICE_LIMIT,
  MIN_DEVICE_LIMIT,
  PLATFORMS,
} from '../index';
import { RulesOptionsError } from './errors';

export interface RulesOptions {
  /** the roots of `/presence/{uid}`, `/limits/{uid}` and `/presenceEvents/{uid}/{pushId}` */
  readonly paths: ContractPaths;
  /** the limit when `/limits/{uid}` is absent (docs/protocol.md §2) */
  readonly defaultLimit: number;
  /** the values a device entry's `platform` may take */
  readonly platforms: readonly string[];
  /**
   * The root of an example app path `/{appDataPath}/{uid}`, owner-only behind the force-login gate
   * (docs/security.md). Absent: no such path. Only a standalone rules file carries it; a merge never
   * does, since the app already has its own data paths.
   */
  readonly appDataPath?: string;
}

/** What a caller may pass: anything left out takes the contract's default. */
export interface RulesOptionsInput {
  readonly paths?: Partial<ContractPaths>;
  readonly defaultLimit?: number;
  readonly platforms?: readonly string[];
  readonly appDataPath?: string;
}

/** The example app path of this repository's own `database.rules.json` (the demo app writes there). */
export const EXAMPLE_APP_DATA_PATH = 'appData';

/**
 * A root key of ours: it is quoted into rule expressions (`root.child('limits')`) and used as a
 * database key, so it is kept to characters that need no escaping in either and cannot be a
 * `$wildcard` or a `.rule`.
 */
const ROOT_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const PLATFORM = /^[A-Za-z0-9_-]{1,64}$/;

function checkKey(option: string, flag: string, value: unknown): string {
  if (typeof value !== 'string' || !ROOT_KEY.test(value)) {
    throw new RulesOptionsError(
      option,
      `${flag} must be one database key of letters, digits, '_' or '-' (1 to 128 characters), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Fills in the defaults and checks every option; throws RulesOptionsError naming the first bad one. */
export function resolveRulesOptions(input: RulesOptionsInput = {}): RulesOptions {
  const paths: ContractPaths = {
    presence: checkKey('paths.presence', '--presence-path', input.paths?.presence ?? DEFAULT_PATHS.presence),
    limits: checkKey('paths.limits', '--limits-path', input.paths?.limits ?? DEFAULT_PATHS.limits),
    presenceEvents: checkKey(
      'paths.presenceEvents',
      '--events-path',
      input.paths?.presenceEvents ?? DEFAULT_PATHS.presenceEvents,
    ),
  };
  const appDataPath =
    input.appDataPath === undefined ? undefined : checkKey('appDataPath', '--app-data-path', input.appDataPath);
  const roots = [paths.presence, paths.limits, paths.presenceEvents, ...(appDataPath ? [appDataPath] : [])];
  const repeated = roots.find((key, i) => roots.indexOf(key) !== i);
  if (repeated !== undefined) {
    throw new RulesOptionsError(
      'paths',
      `the presence, limits, events (and app data) paths must be four different keys; "${repeated}" is used twice`,
    );
  }

  const defaultLimit = input.defaultLimit ?? DEFAULT_DEVICE_LIMIT;
  if (!Number.isInteger(defaultLimit) || defaultLimit < MIN_DEVICE_LIMIT || defaultLimit > MAX_DEVICE_LIMIT) {
    throw new RulesOptionsError(
      'defaultLimit',
      `--default-limit must be an integer from ${MIN_DEVICE_LIMIT} to ${MAX_DEVICE_LIMIT} (the bounds of /limits/{uid}), got ${defaultLimit}`,
    );
  }

  const platforms = input.platforms ?? PLATFORMS;
  if (platforms.length === 0) {
    throw new RulesOptionsError('platforms', '--platforms must name at least one platform, e.g. web,ios,android');
  }
  for (const platform of platforms) {
    if (!PLATFORM.test(platform)) {
      throw new RulesOptionsError(
        'platforms',
        `--platforms: ${JSON.stringify(platform)} is not a platform name; use letters, digits, '_' or '-' (1 to 64 characters)`,
      );
    }
  }
  const duplicate = platforms.find((p, i) => platforms.indexOf(p) !== i);
  if (duplicate !== undefined) {
    throw new RulesOptionsError('platforms', `--platforms lists "${duplicate}" twice`);
  }

  return { paths, defaultLimit, platforms: [...platforms], ...(appDataPath ? { appDataPath } : {}) };
}
