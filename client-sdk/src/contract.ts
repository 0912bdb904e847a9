/**
 * The data contract of docs/protocol.md as the client module uses it. The shared constants, paths and
 * validators come from `@device-limit/contract` (the one source the rules, the functions and this
 * module agree on); what is only the client's — the reasons it reports, label normalising, the bounds
 * of its own options — is defined here. Nothing here imports `firebase`.
 */
import { LEASE_RENEWAL_MS, LABEL_MAX_LENGTH, STALE_AFTER_MS } from '@device-limit/contract';

export {
  DEFAULT_DEVICE_LIMIT,
  DEVICE_ID_PATTERN,
  LABEL_MAX_LENGTH,
  LEASE_RENEWAL_MS,
  PING_DEADLINE_MS,
  PLATFORMS,
  STALE_AFTER_MS,
  devicePath,
  isPlatform,
  isValidDeviceId,
  limitPath,
  presenceEventsPath,
  presencePath,
} from '@device-limit/contract';
export type { NoticeReason, Platform } from '@device-limit/contract';

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
export type EvictionReason = 'force-login' | 'signed-out-remotely' | 'swept-stale' | 'over-limit' | 'limit-lowered';

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
    default:
      // An unknown reason from a newer server still means "another party removed this entry".
      return 'signed-out-remotely';
  }
}

/**
 * Brings a free-form label into the rules' bounds: trimmed, at most 64 UTF-16 code units (the rules'
 * `length` counts code units), and never empty.
 */
export function normalizeLabel(label: string | undefined, fallback: string): string {
  const trimmed = (label ?? '').trim();
  const chosen = trimmed.length > 0 ? trimmed : fallback;
  if (chosen.length <= LABEL_MAX_LENGTH) return chosen;
  // Do not cut a surrogate pair in half.
  let end = LABEL_MAX_LENGTH;
  const code = chosen.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return chosen.slice(0, end);
}
