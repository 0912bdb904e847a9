/**
 * The vocabulary of the session state machine (state-machine.ts): the context it keeps, the events it
 * takes and the effects it asks the driver (slot-holder.ts) to perform, plus the few transitions that
 * both the machine and its contention rules (contention.ts) use. No `firebase` import.
 */
import { DEFAULT_DEVICE_LIMIT, type EvictionReason, type LimitPolicy } from './contract';
import type { DeviceLimitError } from './errors';
import { claimClearsRejoin } from './liveness';
import {
  claimMoves,
  releaseAfterClaim,
  releaseAfterReplace,
  removalMoves,
  replaceMoves,
  type ClassMoves,
  type ClassSettings,
} from './classes';
import { EMPTY_PRESENCE, type PresenceView } from './presence';
import type { ReleaseReason } from './session-api';

/** What the driver must do. Write effects carry an id; their result events echo it. */
export type SessionEffect =
  | { readonly type: 'listen' }
  | { readonly type: 'unlisten' }
  /**
   * docs/protocol.md §4.2 claim, then §4.6 register the onDisconnect release. `planLimit`: the token's
   * plan limit to record as the server's copy with the claim (docs/protocol.md §11.1; null removes it, absent: untouched).
   */
  | {
      readonly type: 'claim';
      readonly id: number;
      readonly generation: number;
      readonly planLimit?: number | null;
      /** docs/protocol.md §4.11: remove the rejoin reservation with the claim (this install's own, or an expired one). */
      readonly clearRejoin?: true;
      /** docs/protocol.md §11.3: the class of the new entry and its counter move; and those of the release registered after it. */
      readonly classes?: ClassMoves;
      readonly releaseClasses?: ClassMoves;
    }
  /**
   * docs/protocol.md §11.2 the replace form of a claim (policy `evict-least-recent`): take `victim`'s slot in one write,
   * then register the onDisconnect release as after a claim.
   */
  | {
      readonly type: 'replace';
      readonly id: number;
      readonly generation: number;
      readonly victim: string;
      readonly planLimit?: number | null;
      /** docs/protocol.md §11.3: the class of the new entry and the counter moves of the two entries; and the release's. */
      readonly classes?: ClassMoves;
      readonly releaseClasses?: ClassMoves;
    }
  /** docs/protocol.md §11.1: the token's plan limit changed while holding: record it as the server's copy, alone. */
  | { readonly type: 'record-plan-limit'; readonly planLimit: number | null }
  /** docs/protocol.md §4.3 resume: renew the lease (with the label), then register the onDisconnect release again. */
  | { readonly type: 'resume'; readonly id: number; readonly releaseClasses?: ClassMoves }
  /**
   * docs/protocol.md §4.6 deliberate release: cancel the onDisconnect first, then release, recording `reason`. With
   * `classes` (docs/protocol.md §11.3), the entry's class counter goes down with it (and in the re-registered release).
   */
  | { readonly type: 'release'; readonly id: number; readonly reason: ReleaseReason; readonly classes?: ClassMoves }
  /** docs/protocol.md §4.4 lease renewal (periodic, or a liveness answer); a refusal comes back as `renewal-refused`. */
  | { readonly type: 'renew' }
  /** docs/protocol.md §4.9 step 1: ask the holders to prove they are alive. */
  | { readonly type: 'ping'; readonly id: number }
  /**
   * Raise `check-due` once the server's clock passes `until`: the deadline of `ping` (docs/protocol.md §4.9 step 3), or
   * the end of another device's rejoin window (docs/protocol.md §4.11; `ping` is then the release's time).
   */
  | { readonly type: 'wait'; readonly ping: number; readonly until: number }
  /** docs/protocol.md §4.10: remove another entry of this user, with a `swept` notice; answered by `sweep-settled`. */
  | { readonly type: 'sweep'; readonly deviceId: string; readonly generation: number; readonly classes?: ClassMoves }
  /** docs/protocol.md §5.4: call the `repairPresence` callable; answered by `repair-settled`. */
  | { readonly type: 'repair' }
  /** A drifted count blocks the claim and there is no `Functions` to repair it with: warn the app. */
  | { readonly type: 'drift-unrepaired'; readonly count: number; readonly entries: number }
  /** After an eviction: the registered release would be refused anyway; drop it. */
  | { readonly type: 'cancel-on-disconnect' }
  /** docs/protocol.md §6: append a `denied` audit event when the session settles at the limit. */
  | { readonly type: 'record-denied' }
  /** docs/protocol.md §11.4: leave a sign-in request in `slot`; answered by `request-settled`. */
  | { readonly type: 'request'; readonly slot: string }
  /** docs/protocol.md §11.4: remove this install's request in `slot` (answered, expired, or no longer needed). */
  | { readonly type: 'withdraw-request'; readonly slot: string };

export type SessionEvent =
  | { readonly type: 'device-id'; readonly deviceId: string }
  | { readonly type: 'auth-time'; readonly authTime: number | null }
  | { readonly type: 'connection'; readonly connected: boolean }
  | { readonly type: 'presence'; readonly presence: PresenceView }
  | { readonly type: 'limit'; readonly limit: number | null }
  /** The `deviceLimit` claim of the session's ID token (docs/protocol.md §11.1), null when it carries no valid one. */
  | { readonly type: 'plan-limit'; readonly planLimit: number | null }
  /** The presence listener was cancelled by the server (rules). */
  | { readonly type: 'read-denied'; readonly error: DeviceLimitError }
  | { readonly type: 'claim-requested' }
  /** docs/protocol.md §11.4: the app asks the user's active devices to let this install in (`requestApproval()`). */
  | { readonly type: 'approval-requested' }
  /** docs/protocol.md §11.4: the request write was accepted (`ok`) or refused. */
  | { readonly type: 'request-settled'; readonly ok: boolean }
  | { readonly type: 'release-requested'; readonly reason: ReleaseReason; readonly error?: DeviceLimitError }
  | { readonly type: 'write-succeeded'; readonly id: number }
  /** The write was refused with PERMISSION_DENIED. */
  | { readonly type: 'write-refused'; readonly id: number }
  /** Any other failure (e.g. the onDisconnect could not be registered and the claim was undone). */
  | { readonly type: 'write-failed'; readonly id: number; readonly error: DeviceLimitError }
  /** A lease renewal was refused: the entry is gone or this session was cut off. */
  | { readonly type: 'renewal-refused' }
  /** The lease timer says a renewal is due (docs/protocol.md §4.4). */
  | { readonly type: 'lease-due' }
  /** The deadline of a `wait` effect passed. */
  | { readonly type: 'check-due' }
  /** A sweep write was answered (accepted or refused: the listener shows which). */
  | { readonly type: 'sweep-settled'; readonly deviceId: string }
  /** The `repairPresence` callable returned (`ok`) or failed. */
  | { readonly type: 'repair-settled'; readonly ok: boolean };

export interface HeldSlot {
  /** The generation the entry was claimed with (§4.8 step 1). */
  readonly generation: number;
  /** The entry's `claimedAt` as last seen from the server; notices older than it are not ours. */
  readonly claimedAt: number | null;
}

export type Stopped =
  | { readonly status: 'limit-reached' }
  | { readonly status: 'evicted'; readonly reason: EvictionReason }
  | { readonly status: 'released'; readonly reason: ReleaseReason; readonly error?: DeviceLimitError };

/**
 * What one claim attempt (a start, `claim()`, a re-claim) has already tried at a full account. Each
 * step happens at most once per attempt, so a contended claim always settles: no loops.
 */
export interface ClaimAttempt {
  /** The liveness check (docs/protocol.md §4.9): null before it; `ping: null` while our ping write is in flight. */
  readonly check: { readonly ping: number | null } | null;
  /** docs/protocol.md §5.4: `retry` claims once whatever the cache says (the repair may be ahead of the listener). */
  readonly repair: 'none' | 'running' | 'retry' | 'done';
  /** docs/protocol.md §4.11: the end of another device's rejoin window this attempt waits for (absent: not waiting). */
  readonly rejoinUntil?: number;
}

export const FRESH_ATTEMPT: ClaimAttempt = { check: null, repair: 'none' };

export interface SessionContext {
  readonly deviceId: string | null;
  readonly authTime: number | null;
  /** Whether the app gave a `Functions` instance to repair a drifted count with. */
  readonly canRepair: boolean;
  /** The server's time (ms) when the current event arrived: the local clock plus the SDK's offset. */
  readonly now: number;
  /** 'hold' while the app wants this install to hold a slot. */
  readonly intent: 'hold' | 'stop';
  /** Why the session stopped (meaningful when intent is 'stop'). */
  readonly stopped: Stopped;
  readonly listening: boolean;
  readonly connected: boolean;
  readonly everConnected: boolean;
  readonly presence: PresenceView | null;
  /** `/limits/{uid}`: a number, null when absent (the plan or the default applies), undefined until read. */
  readonly limit: number | null | undefined;
  /**
   * The ID token's plan limit (docs/protocol.md §11.1): a number, null when the token carries none, undefined until
   * the token was read (a session without a token reader starts with null).
   */
  readonly planLimit: number | null | undefined;
  /** The app's policy at a full account (docs/protocol.md §11.2); the user's own `policy` in the presence node wins. */
  readonly policy: LimitPolicy;
  /** docs/protocol.md §11.3: this install's class, and whether its writes always carry classes. */
  readonly classes: ClassSettings;
  /** docs/protocol.md §11.4: this install's sign-in request, from `requestApproval()` until it is settled and cleared. */
  readonly approval: ApprovalState | null;
  /** The limit when neither `/limits/{uid}` nor a plan sets one: the app's `defaultLimit` (docs/protocol.md §2, §11.1). */
  readonly defaultLimit: number;
  readonly pending: {
    readonly kind: 'claim' | 'replace' | 'resume' | 'release' | 'ping';
    readonly id: number;
    readonly generation: number;
  } | null;
  readonly held: HeldSlot | null;
  /** The onDisconnect release must be registered again (after a reconnect, or a refused renewal). */
  readonly needsResume: boolean;
  /** Consecutive refused claims/resumes (see MAX_CLAIM_ATTEMPTS). */
  readonly attempts: number;
  readonly attempt: ClaimAttempt;
  /** Entries (deviceIds) with a sweep write in flight. */
  readonly sweeping: ReadonlySet<string>;
  /** Sweeps already sent (liveness.ts sweepKey): each candidate is tried once. */
  readonly tried: ReadonlySet<string>;
  /** The last ping this install answered (docs/protocol.md §4.9 step 2: once per ping). */
  readonly answeredPing: number | null;
  readonly nextId: number;
}

/**
 * docs/protocol.md §11.4, the requester's side: `sending` (the request write is in flight), `waiting` (stored in
 * `slot`, no answer yet); or how it ended without a slot: `refused` (refused or withdrawn by another
 * device), `expired` (nobody answered within REQUEST_TTL_MS), `unavailable` (every request slot is
 * taken, or another request of the user was made less than REQUEST_INTERVAL_MS ago).
 */
export type ApprovalState =
  | { readonly status: 'sending' | 'waiting'; readonly slot: string }
  | { readonly status: 'refused' | 'expired' | 'unavailable' };

export interface SessionStep {
  readonly context: SessionContext;
  readonly effects: readonly SessionEffect[];
}

export interface SessionStartOptions {
  readonly canRepair?: boolean;
  /** The driver reads the ID token's plan limit and reports it with `plan-limit`: wait for it. */
  readonly readsPlanLimit?: boolean;
  /** The app's policy at a full account (docs/protocol.md §11.2); default `refuse`. */
  readonly policy?: LimitPolicy;
  /** The default limit the rules were generated with (`--default-limit`); default DEFAULT_DEVICE_LIMIT. */
  readonly defaultLimit?: number;
  /** docs/protocol.md §11.3: this install's class, and whether the app asked for classes (default: the platform's, no). */
  readonly classes?: ClassSettings;
}

export function initialSessionContext(options: SessionStartOptions = {}): SessionContext {
  return {
    deviceId: null,
    authTime: null,
    canRepair: options.canRepair ?? false,
    now: 0,
    intent: 'hold',
    stopped: { status: 'released', reason: 'released' },
    listening: false,
    connected: false,
    everConnected: false,
    presence: null,
    limit: undefined,
    planLimit: options.readsPlanLimit ? undefined : null,
    policy: options.policy ?? 'refuse',
    classes: options.classes ?? { deviceClass: 'other', always: false },
    approval: null,
    defaultLimit: options.defaultLimit ?? DEFAULT_DEVICE_LIMIT,
    pending: null,
    held: null,
    needsResume: false,
    attempts: 0,
    attempt: FRESH_ATTEMPT,
    sweeping: new Set(),
    tried: new Set(),
    answeredPing: null,
    nextId: 1,
  };
}

export function stop(ctx: SessionContext, stopped: Stopped): SessionContext {
  return { ...ctx, intent: 'stop', stopped, attempts: 0, attempt: FRESH_ATTEMPT };
}

/** The account is full and nothing more can be done in this attempt (docs/protocol.md §4.2: report `limit-reached`). */
export function limitReached(ctx: SessionContext, effects: SessionEffect[]): SessionContext {
  effects.push({ type: 'record-denied' });
  return stop(ctx, { status: 'limit-reached' });
}

export function withPending(
  ctx: SessionContext,
  kind: NonNullable<SessionContext['pending']>['kind'],
  generation: number,
  effects: SessionEffect[],
  victim?: string,
): SessionContext {
  const id = ctx.nextId;
  const presence = ctx.presence ?? EMPTY_PRESENCE;
  if (kind === 'replace') {
    if (victim === undefined) throw new Error('a replace needs its victim');
    const planLimit = planLimitToRecord(ctx);
    const classes = replaceMoves(ctx.classes, presence, victim);
    const releaseClasses = releaseAfterReplace(classes, presence);
    effects.push({
      type: 'replace',
      id,
      generation,
      victim,
      ...(planLimit === undefined ? {} : { planLimit }),
      ...(classes === undefined ? {} : { classes }),
      ...(releaseClasses === undefined ? {} : { releaseClasses }),
    });
    return { ...ctx, pending: { kind, id, generation }, nextId: id + 1 };
  }
  if (kind === 'claim') {
    const planLimit = planLimitToRecord(ctx);
    const clearRejoin =
      ctx.presence !== null && ctx.deviceId !== null && claimClearsRejoin(ctx.presence, ctx.deviceId, ctx.now);
    const classes = claimMoves(ctx.classes, presence);
    const releaseClasses = releaseAfterClaim(classes);
    effects.push({
      type: 'claim',
      id,
      generation,
      ...(planLimit === undefined ? {} : { planLimit }),
      ...(clearRejoin ? { clearRejoin: true as const } : {}),
      ...(classes === undefined ? {} : { classes }),
      ...(releaseClasses === undefined ? {} : { releaseClasses }),
    });
  } else if (kind === 'resume') {
    const releaseClasses = ctx.deviceId === null ? undefined : removalMoves(presence, ctx.deviceId);
    effects.push(releaseClasses === undefined ? { type: 'resume', id } : { type: 'resume', id, releaseClasses });
  } else if (kind === 'ping') effects.push({ type: 'ping', id });
  else {
    const reason = ctx.stopped.status === 'released' ? ctx.stopped.reason : 'released';
    const classes = ctx.deviceId === null ? undefined : removalMoves(presence, ctx.deviceId);
    effects.push(classes === undefined ? { type: 'release', id, reason } : { type: 'release', id, reason, classes });
  }
  return { ...ctx, pending: { kind, id, generation }, nextId: id + 1 };
}

/** The limit in force as this session sees it (docs/protocol.md §11.1): `/limits/{uid}`, then its plan, then the default. */
export function effectiveLimit(ctx: SessionContext): number {
  return ctx.limit ?? ctx.planLimit ?? ctx.defaultLimit;
}

/**
 * What a claim records as the server's copy of the plan limit (docs/protocol.md §11.1): the token's plan; null (remove
 * it) when the token has none but a copy exists; undefined (leave the field out) otherwise, so a user
 * without plans sends the claim of docs/protocol.md §4.2 unchanged.
 */
export function planLimitToRecord(ctx: SessionContext): number | null | undefined {
  if (typeof ctx.planLimit === 'number') return ctx.planLimit;
  return ctx.presence?.planLimit != null ? null : undefined;
}
