/**
 * What a project may configure in the rules (issue "Configurable where users need it"): the root
 * paths, the default limit and the platforms. Everything else (field names, patterns, timings) is
 * the protocol itself and comes from the contract constants unchanged.
 */
import { type DeviceLimitConfig, ROOT_KEY_PATTERN, isConfigError, resolveConfig } from '../config';
import type { ContractPaths } from '../index';
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
 * Fills in the defaults and checks every option; throws RulesOptionsError naming the first bad one.
 * The paths, the default limit and the platforms are checked by `resolveConfig`, the validator the
 * functions and the client use as well (config.ts), so the three parts accept the same values.
 */
export function resolveRulesOptions(input: RulesOptionsInput = {}): RulesOptions {
  let config: DeviceLimitConfig;
  try {
    config = resolveConfig(input, 'rulesFlag');
  } catch (error) {
    if (isConfigError(error)) throw new RulesOptionsError(error.setting, error.message);
    throw error;
  }
  const appDataPath = input.appDataPath;
  if (appDataPath === undefined) return config;
  if (typeof appDataPath !== 'string' || !ROOT_KEY_PATTERN.test(appDataPath)) {
    throw new RulesOptionsError(
      'appDataPath',
      `--app-data-path must be one database key of letters, digits, '_' or '-' (1 to 128 characters), got ${JSON.stringify(appDataPath)}`,
    );
  }
  if (Object.values(config.paths).includes(appDataPath)) {
    throw new RulesOptionsError(
      'paths',
      `--app-data-path must differ from the presence, limits and events paths; "${appDataPath}" is used twice`,
    );
  }
  return { ...config, appDataPath };
}
