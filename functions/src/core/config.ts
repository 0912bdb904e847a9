/**
 * The functions' side of the configuration (docs/adopt.md, "Configuration"): the five parameters
 * `DEVICE_LIMIT_PRESENCE_PATH`, `DEVICE_LIMIT_LIMITS_PATH`, `DEVICE_LIMIT_EVENTS_PATH`,
 * `DEVICE_LIMIT_DEFAULT` and `DEVICE_LIMIT_PLATFORMS`, read from their environment variables and
 * checked by the validator the rules CLI and the client share (`resolveConfig`). Pure, so it
 * unit-tests without firebase-functions; `config.ts` declares the parameters and applies this.
 */
import {
  CONFIG_NAMES,
  ConfigError,
  type ConfigSetting,
  type DeviceLimitConfig,
  resolveConfig,
} from '@device-limit/contract';

/** The environment variables, by name (`process.env`, or a test's own). */
export type ParamValues = Readonly<Record<string, string | undefined>>;

const param = (setting: ConfigSetting) => CONFIG_NAMES[setting].functionsParam;

/** Unset or empty: the parameter's default, as an empty `PRESENCE_INSTANCES` is "no sharding". */
function given(values: ParamValues, setting: ConfigSetting): string | undefined {
  const value = values[param(setting)]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The configuration the parameters describe. Throws a ConfigError (code `device-limit/invalid-config`)
 * whose message starts with the parameter's name, e.g. `DEVICE_LIMIT_DEFAULT must be an integer …`.
 */
export function configFromParams(values: ParamValues): DeviceLimitConfig {
  const limitText = given(values, 'defaultLimit');
  // Digits only: firebase-functions' own IntParam reads with parseInt, which would take "3 devices"
  // as 3 and "three" as 0 without a word.
  if (limitText !== undefined && !/^\d+$/.test(limitText)) {
    throw new ConfigError(
      'defaultLimit',
      'functionsParam',
      `${param('defaultLimit')} must be an integer from 0 to 100 (the bounds of /limits/{uid}), got ${JSON.stringify(limitText)}`,
    );
  }
  const platformsText = given(values, 'platforms');
  const presence = given(values, 'paths.presence');
  const limits = given(values, 'paths.limits');
  const presenceEvents = given(values, 'paths.presenceEvents');
  return resolveConfig(
    {
      paths: {
        ...(presence === undefined ? {} : { presence }),
        ...(limits === undefined ? {} : { limits }),
        ...(presenceEvents === undefined ? {} : { presenceEvents }),
      },
      ...(limitText === undefined ? {} : { defaultLimit: Number(limitText) }),
      // Comma-separated, as `--platforms` takes them: one line of a .env file reads the same.
      ...(platformsText === undefined ? {} : { platforms: platformsText.split(',').map((name) => name.trim()) }),
    },
    'functionsParam',
  );
}

/**
 * Whether a database event's `ref` (`limits/u1`, or `/limits/u1`) lies under `root`. A trigger's path
 * is fixed when firebase-tools discovers the functions, from the `.env` files alone; a value typed
 * at the deploy's prompt comes later and reaches only the running function. Then the trigger fires on
 * the old root while the function reads and writes the new one, and this tells them apart.
 */
export function refIsUnder(ref: string, root: string): boolean {
  return ref.replace(/^\/+/, '').split('/')[0] === root;
}

/** What a trigger that fired outside its configured root logs: what happened and what to do. */
export function wrongRootMessage(trigger: string, ref: string, param: string, root: string): string {
  return (
    `${trigger}: fired for ${ref}, but ${param} is "${root}" here: the trigger was deployed with another ` +
    `value. Put ${param} in functions/.env (a value typed at the deploy's prompt does not reach the ` +
    'trigger) and deploy again.'
  );
}
