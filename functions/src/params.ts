/**
 * The functions' configuration as firebase-functions parameters (docs/adopt.md, "Configuration"):
 * the three root paths, the default limit and the platforms, with the contract's values as defaults.
 * The rules (`device-limit rules … --presence-path …`) and the client (`paths`, `defaultLimit`,
 * `platforms`) must be given the same values. `PRESENCE_INSTANCES` is declared with the instances
 * (database/instances.ts).
 *
 * The values are read once, when this module loads, because the database triggers need their paths
 * then: a trigger's `ref` is part of what firebase-tools discovers (the manifest), and is a string,
 * not a parameter expression. firebase-tools loads `.env`, `.env.<project>` (and, in the emulator,
 * `.env.local`) into the environment of discovery (`loadUserEnvs` before `discoverBuild`, in
 * lib/deploy/functions/prepare.js and lib/emulator/functionsEmulator.js), and the deployed function
 * gets the same values, so reading `process.env` here sees what the deploy sees. A value typed at
 * the deploy's prompt is not there at discovery, which is why functions/.env names every parameter
 * (see core/config.ts, `refIsUnder`, for what the triggers do about it).
 */
import {
  CONFIG_NAMES,
  DEFAULT_CONFIG,
  MAX_DEVICE_LIMIT,
  MIN_DEVICE_LIMIT,
  PLATFORM_NAME_PATTERN,
  ROOT_KEY_PATTERN,
  type DeviceLimitConfig,
} from '@device-limit/contract';
import { defineInt, defineString } from 'firebase-functions/params';
import { configFromParams } from './core/config';

// The prompt of `firebase deploy` refuses what the rules CLI would refuse.
const PLATFORM_NAME = PLATFORM_NAME_PATTERN.source.replace(/^\^|\$$/g, '');
const rootKeyInput = {
  text: {
    validationRegex: ROOT_KEY_PATTERN.source,
    validationErrorMessage: "One database key: letters, digits, '_' or '-' (1 to 128 characters).",
  },
};

export const presencePathParam = defineString(CONFIG_NAMES['paths.presence'].functionsParam, {
  default: DEFAULT_CONFIG.paths.presence,
  description:
    'Root of /{key}/{uid}, the device counter and entries; the rules must be merged with the same --presence-path.',
  input: rootKeyInput,
});

export const limitsPathParam = defineString(CONFIG_NAMES['paths.limits'].functionsParam, {
  default: DEFAULT_CONFIG.paths.limits,
  description: 'Root of /{key}/{uid}, per-user limits; the rules must be merged with the same --limits-path.',
  input: rootKeyInput,
});

export const eventsPathParam = defineString(CONFIG_NAMES['paths.presenceEvents'].functionsParam, {
  default: DEFAULT_CONFIG.paths.presenceEvents,
  description: 'Root of /{key}/{uid}/{pushId}, the audit trail; the rules must be merged with the same --events-path.',
  input: rootKeyInput,
});

export const defaultLimitParam = defineInt(CONFIG_NAMES.defaultLimit.functionsParam, {
  default: DEFAULT_CONFIG.defaultLimit,
  description:
    `Devices per user when neither /limits/{uid} nor a plan claim sets a limit (${MIN_DEVICE_LIMIT} to ` +
    `${MAX_DEVICE_LIMIT}); the rules must be merged with the same --default-limit.`,
});

// A string, not defineList: a list parameter reaches the function as JSON in some environments and
// as the .env text in others, while one comma-separated string reads the same everywhere (and as
// `--platforms` takes it).
export const platformsParam = defineString(CONFIG_NAMES.platforms.functionsParam, {
  default: DEFAULT_CONFIG.platforms.join(','),
  description:
    "Accepted values of a device entry's platform, comma-separated; the rules must be merged with the same --platforms.",
  input: {
    text: {
      validationRegex: `^${PLATFORM_NAME}(,${PLATFORM_NAME})*$`,
      validationErrorMessage: "Platform names separated by commas: letters, digits, '_' or '-'.",
    },
  },
});

/**
 * The configuration in force, from the parameters' environment variables (not `.value()`: at
 * discovery that logs a warning, and an IntParam reads an unset variable as 0, not as its default).
 * Throws a ConfigError naming the parameter, so a bad value fails `firebase deploy` at discovery.
 */
export const deviceLimitConfig: DeviceLimitConfig = configFromParams(
  Object.fromEntries(
    [presencePathParam, limitsPathParam, eventsPathParam, defaultLimitParam, platformsParam].map((param) => [
      param.name,
      process.env[param.name],
    ]),
  ),
);
