/**
 * The data contract of docs/protocol.md as the client module uses it. The shared constants, paths and
 * validators come from `@device-limit/contract` (the one source the rules, the functions and this
 * module agree on); what is only the client's — the reasons it reports, label normalising, the bounds
 * of its own options — is defined here. Nothing here imports `firebase`.
 */
import {
  LEASE_RENEWAL_MS,
  LABEL_MAX_LENGTH,
  STALE_AFTER_MS,
  isConfigError,
  isValidLabel,
  resolveConfig,
  type DeviceLimitConfig,
  type DeviceLimitConfigInput,
} from '@device-limit/contract';
import { DeviceLimitError } from './errors';

export {
  DEFAULT_DEVICE_LIMIT,
  DEVICE_ID_PATTERN,
  LABEL_MAX_LENGTH,
  LEASE_RENEWAL_MS,
  PING_DEADLINE_MS,
  PLATFORMS,
  REJOIN_WINDOW_MS,
  STALE_AFTER_MS,
  devicePath,
  isPlatform,
  isValidDeviceId,
  isValidLabel,
  limitPath,
  presenceEventsPath,
  presencePath,
} from '@device-limit/contract';
export type {
  ContractPaths,
  DeviceLimitConfig,
  DeviceLimitConfigInput,
  DeviceClass,
  LimitPolicy,
  NoticeReason,
  Platform,
  RequestAnswer,
} from '@device-limit/contract';
export { DEFAULT_CONFIG, DEFAULT_PATHS } from '@device-limit/contract';
export {
  DEVICE_CLASSES,
  LIMIT_POLICIES,
  MAX_PENDING_REQUESTS,
  REQUEST_INTERVAL_MS,
  REQUEST_SLOTS,
  REQUEST_TTL_MS,
  isClassFor,
  isDeviceClass,
  isLimitPolicy,
  platformClass,
} from '@device-limit/contract';

/**
 * The longest `leaseRenewalMs` an app may choose: a third of STALE_AFTER_MS, so that one late renewal
 * (a throttled background timer) never lets a sibling sweep a live device (docs/protocol.md §4.10).
 */
export const MAX_LEASE_RENEWAL_MS = STALE_AFTER_MS / 3; /* 1 h, == LEASE_RENEWAL_MS */

/** The shortest: renewing more often buys nothing (ghosts are found by the liveness check) and costs writes. */
export const MIN_LEASE_RENEWAL_MS = 60 * 1000; /* 1 min */

/** The default renewal rate of docs/protocol.md §4.4. */
export const DEFAULT_LEASE_RENEWAL_MS = LEASE_RENEWAL_MS;

/** Why this install lost its slot, as reported to the app. */
export type EvictionReason =
  | 'force-login'
  | 'signed-out-remotely'
  | 'swept-stale'
  | 'over-limit'
  | 'limit-lowered'
  /** docs/protocol.md §11.2: a claim under the policy evict-least-recent took this slot. */
  | 'replaced';

/** Maps a notice reason (server vocabulary, docs/protocol.md §4.8) to the reason the session reports. */
export function evictionReasonFromNotice(reason: unknown): EvictionReason {
  switch (reason) {
    case 'signed-out':
      return 'signed-out-remotely';
    case 'swept':
      return 'swept-stale';
    case 'over-limit':
      return 'over-limit';
    case 'limit-lowered':
      return 'limit-lowered';
    case 'force-login':
      return 'force-login';
    case 'replaced':
      return 'replaced';
    default:
      // An unknown reason from a newer server still means "another party removed this entry".
      return 'signed-out-remotely';
  }
}

/**
 * The label a session writes (docs/protocol.md §2: 1 to 64 UTF-16 code units, what the rules'
 * `length` counts). An app's label is used exactly as given, or refused: silently trimming or cutting
 * it would show the user a name they did not choose. Only the default (`fallback`, e.g. "Chrome on
 * macOS" from the user agent) is ours to shorten, without cutting a surrogate pair in half.
 */
export function resolveLabel(label: string | undefined, fallback: string): string {
  if (label !== undefined) {
    // A JavaScript caller may pass anything; isValidLabel narrows, so keep the value as it came.
    const given: unknown = label;
    if (!isValidLabel(given)) {
      const shown =
        typeof given === 'string' ? `${JSON.stringify(given.slice(0, 80))}, ${given.length} characters` : typeof given;
      throw new DeviceLimitError(
        'device-limit/invalid-argument',
        `label must be 1 to ${LABEL_MAX_LENGTH} characters and not blank (got ${shown}); leave it out for the default.`,
      );
    }
    return label;
  }
  const chosen = fallback.trim().length > 0 ? fallback : 'Device';
  if (chosen.length <= LABEL_MAX_LENGTH) return chosen;
  let end = LABEL_MAX_LENGTH;
  const code = chosen.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return chosen.slice(0, end);
}

/**
 * The app's `paths`, `defaultLimit` and `platforms` options (docs/adopt.md, "Configuration"), checked
 * by the validator the rules CLI and the functions use, so a value the rules were generated with is
 * accepted here and the other way round. A bad one is a `device-limit/invalid-argument` error that
 * names the option (`paths.presence must be one database key …`).
 */
export function resolveClientConfig(options: DeviceLimitConfigInput): DeviceLimitConfig {
  try {
    return resolveConfig(options, 'clientOption');
  } catch (error) {
    if (!isConfigError(error)) throw error;
    throw new DeviceLimitError(
      'device-limit/invalid-argument',
      `${error.message}; give the same values to the rules (device-limit rules), the functions (DEVICE_LIMIT_* parameters) and every client.`,
      { cause: error },
    );
  }
}

/** The message of a platform outside the configured list: which ones are accepted, and where they are set. */
export function unknownPlatformMessage(platform: unknown, platforms: readonly string[]): string {
  return (
    `platform must be one of ${platforms.join(', ')} (got ${String(platform)}). To accept other platforms, ` +
    "pass them as `platforms`, the same list as the rules' --platforms and the functions' DEVICE_LIMIT_PLATFORMS."
  );
}
