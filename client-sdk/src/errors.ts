/**
 * Every error this module throws or reports is a {@link DeviceLimitError} with a stable `code`, in the
 * `service/reason` form Firebase uses (`auth/user-disabled`, `functions/not-found`), so apps can switch
 * on it without parsing messages.
 */

export type DeviceLimitErrorCode =
  /** An option or argument is malformed (bad deviceId, platform, interval…). */
  | 'device-limit/invalid-argument'
  /** No persistent storage for the deviceId: pass `storage` (or `deviceId`) outside the browser. */
  | 'device-limit/storage-unavailable'
  /** The claim was refused and neither the limit nor an eviction explains it (rules out of date?). */
  | 'device-limit/claim-failed'
  /** The slot was claimed but its onDisconnect release could not be registered, so it was given back. */
  | 'device-limit/on-disconnect-failed'
  /** The release write was refused or failed. */
  | 'device-limit/release-failed'
  /** Reading the presence node was refused (signed out, or rules not deployed). */
  | 'device-limit/permission-denied'
  /** A callable function (`signOutDevice`, `forceLogin`) failed; `functionsCode` has its code. */
  | 'device-limit/function-failed'
  /** claim() on a session after close(). */
  | 'device-limit/session-closed'
  /**
   * claim() after a force-login eviction: the rules refuse this sign-in (its `auth_time` is before the
   * cut-off, docs/protocol.md §4.8), so the user must sign in again and the app start a new session.
   */
  | 'device-limit/sign-in-required'
  /** The app's backend refused the ID token (none, expired, malformed) and a refresh did not help. */
  | 'device-limit/unauthenticated'
  /** The app's backend refused the request: this device lost its slot (or the session was cut off). */
  | 'device-limit/evicted'
  /** The app's backend refused the request: this device holds no slot (not claimed, or released). */
  | 'device-limit/no-slot'
  /**
   * docs/protocol.md §10.3: the user's previous instance was closed by a newer shard map than the one
   * the session was given (its fence is above the map's epoch): fetch the configuration again.
   */
  | 'device-limit/stale-shard-map'
  /**
   * docs/protocol.md §10.3: the previous instance refuses the fence although the user holds no entry
   * there, again and again: its `/shardEpoch` is below the map's epoch (docs/protocol.md §10.5 step 2
   * was skipped), or its rules predate docs/protocol.md §10.
   */
  | 'device-limit/shard-misconfigured'
  /**
   * docs/protocol.md §11.4: `approveRequest`/`refuseRequest` found no open request of that device, or
   * the rules refused the answer (another device answered first, it expired or was withdrawn, or the
   * slot to give up is gone).
   */
  | 'device-limit/request-not-pending';

export class DeviceLimitError extends Error {
  override readonly name = 'DeviceLimitError';
  /** For `device-limit/function-failed`: the functions error code, e.g. `functions/not-found`. */
  readonly functionsCode: string | undefined;

  constructor(
    readonly code: DeviceLimitErrorCode,
    message: string,
    options: { readonly cause?: unknown; readonly functionsCode?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.functionsCode = options.functionsCode;
  }
}

export function isDeviceLimitError(value: unknown, code?: DeviceLimitErrorCode): value is DeviceLimitError {
  return value instanceof DeviceLimitError && (code === undefined || value.code === code);
}

/**
 * The database SDK rejects a refused write with `error.code === 'PERMISSION_DENIED'`
 * (`Repo.ts` `repoCallOnCompleteCallback`); `get()` rejects with the bare message "Permission denied"
 * and no code (docs: rtdb-protocol docs/protocol.md §4.4), so both are recognised.
 */
export function isPermissionDenied(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /permission[_-]denied/i.test(code)) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /permission[ _]denied/i.test(message);
}
