/**
 * The device session as a pure state machine: `reduceSession(context, event, now)` returns the next
 * context and the effects (database writes, listener changes, timers) the driver must perform. It
 * imports nothing from `firebase`, so every rule of docs/protocol.md §4 is unit-tested without a
 * database; `now` is the server's time as the driver estimates it (docs/protocol.md §4: the local clock plus
 * `.info/serverTimeOffset`).
 *
 * Two facts of the database SDK make the decisions below sound:
 * - After any write's response (ack or refusal), the listener cache on `/presence/{uid}` already
 *   reflects the server state as of that write: the SDK sends its listens before its writes on every
 *   (re)connect (`PersistentConnection.restoreState_`), and the server answers in order.
 * - An onDisconnect request in flight when the socket drops never gets an answer
 *   (`onRealtimeDisconnect_` clears `requestCBHash_`), so the machine forgets a pending write when the
 *   connection drops and decides again, from fresh data, once it is back.
 */
import { REJOIN_WINDOW_MS, evictionReasonFromNotice, type EvictionReason } from './contract';
import { classLimitReached } from './classes';
import { activeRequests, limitState, onApprovalRequested, onRequestSettled, trackApproval } from './approval-steps';
import { afterPing, decideFull, holderDuties } from './contention';
import { CHECK_MARGIN_MS, rejoinHeldUntil } from './liveness';
import { DeviceLimitError } from './errors';
import { listDeviceEntries, type DeviceListEntry, type PresenceView } from './presence';
import type { DeviceSessionState } from './session-api';
import {
  FRESH_ATTEMPT,
  effectiveLimit,
  initialSessionContext,
  stop,
  withPending,
  type HeldSlot,
  type SessionContext,
  type SessionEffect,
  type SessionEvent,
  type SessionStartOptions,
  type SessionStep,
  type Stopped,
} from './session-context';

export type { DeviceSessionState, DeviceSessionStatus, ReleaseReason } from './session-api';
export type { SessionContext, SessionEffect, SessionEvent, SessionStep } from './session-context';

/** Consecutive refused claims/resumes before the session gives up with `device-limit/claim-failed`. */
export const MAX_CLAIM_ATTEMPTS = 5;

/** Starts the machine: listen, and claim once the deviceId, connection and presence are known. */
export function startSession(options: SessionStartOptions = {}): SessionStep {
  return settle(initialSessionContext(options), []);
}

export function reduceSession(input: SessionContext, event: SessionEvent, now: number): SessionStep {
  const ctx: SessionContext = { ...input, now };
  const effects: SessionEffect[] = [];
  switch (event.type) {
    case 'device-id':
      return settle({ ...ctx, deviceId: event.deviceId }, effects);
    case 'auth-time':
      return settle({ ...ctx, authTime: event.authTime }, effects);
    case 'connection':
      if (event.connected === ctx.connected) return settle(ctx, effects);
      if (!event.connected) {
        // A write in flight may never be answered (see the file comment); forget it. A release in
        // flight is as good as done: either it reached the server or the server's onDisconnect runs.
        // A ping in flight may or may not have landed: the check starts over from the fresh cache.
        const releasing = ctx.pending?.kind === 'release';
        const attempt = ctx.pending?.kind === 'ping' ? { ...ctx.attempt, check: null } : ctx.attempt;
        return settle(
          {
            ...ctx,
            connected: false,
            pending: null,
            attempt,
            sweeping: new Set(),
            held: releasing ? null : ctx.held,
            needsResume: !releasing && (ctx.held !== null || (ctx.pending !== null && ctx.pending.kind !== 'ping')),
          },
          effects,
        );
      }
      return settle({ ...ctx, connected: true, everConnected: true }, effects);
    case 'presence':
      return settle({ ...ctx, presence: event.presence }, effects);
    case 'limit':
      return settle({ ...ctx, limit: event.limit }, effects);
    case 'plan-limit':
      return settle(onPlanLimit(ctx, event.planLimit, effects), effects);
    case 'read-denied':
      if (ctx.intent === 'stop') return settle(ctx, effects);
      return settle(
        stop({ ...ctx, held: null, pending: null }, { status: 'released', reason: 'error', error: event.error }),
        effects,
      );
    case 'claim-requested':
      if (ctx.intent === 'hold') return settle(ctx, effects);
      // Claim again; if the listeners were detached (released, evicted), settle re-attaches them and
      // waits for fresh values before deciding.
      return settle({ ...ctx, intent: 'hold', attempts: 0, attempt: FRESH_ATTEMPT, approval: null }, effects);
    case 'approval-requested':
      return settle(onApprovalRequested(ctx, effects), effects);
    case 'request-settled':
      return settle(onRequestSettled(ctx, event.ok, effects), effects);
    case 'release-requested': {
      const stopped: Stopped = event.error
        ? { status: 'released', reason: event.reason, error: event.error }
        : { status: 'released', reason: event.reason };
      if (ctx.intent === 'stop' && ctx.stopped.status !== 'limit-reached' && ctx.held === null) {
        return settle(ctx, effects);
      }
      return settle(stop(ctx, stopped), effects);
    }
    case 'write-succeeded':
    case 'write-refused':
    case 'write-failed':
      if (ctx.pending === null || ctx.pending.id !== event.id) return settle(ctx, effects); // stale
      return onWriteResult(ctx, ctx.pending, event, effects);
    case 'renewal-refused':
      return settle(ctx.held ? { ...ctx, needsResume: true } : ctx, effects);
    case 'lease-due':
      // docs/protocol.md §4.4. Offline or mid-write, the resume that follows renews anyway.
      if (ctx.held && ctx.intent === 'hold' && ctx.connected && !ctx.needsResume && ctx.pending === null) {
        effects.push({ type: 'renew' });
      }
      return settle(ctx, effects);
    case 'check-due':
      return settle(ctx, effects); // decide() compares `now` with the deadline
    case 'sweep-settled': {
      if (!ctx.sweeping.has(event.deviceId)) return settle(ctx, effects);
      const sweeping = new Set(ctx.sweeping);
      sweeping.delete(event.deviceId);
      return settle({ ...ctx, sweeping }, effects);
    }
    case 'repair-settled':
      if (ctx.attempt.repair !== 'running') return settle(ctx, effects);
      return settle({ ...ctx, attempt: { ...ctx.attempt, repair: event.ok ? 'retry' : 'done' } }, effects);
  }
}

function onWriteResult(
  ctx: SessionContext,
  pending: NonNullable<SessionContext['pending']>,
  event: Extract<SessionEvent, { type: 'write-succeeded' | 'write-refused' | 'write-failed' }>,
  effects: SessionEffect[],
): SessionStep {
  const base: SessionContext = { ...ctx, pending: null };
  if (pending.kind === 'release') {
    // Refused means the entry was already gone (docs/protocol.md §4.6): either way nothing is held any more.
    return settle({ ...base, held: null, needsResume: false }, effects);
  }
  if (pending.kind === 'ping') {
    // Refused means another device asked within the deadline (docs/protocol.md §4.9): the cache shows its ping.
    return settle(afterPing(base, event.type === 'write-failed', effects), effects);
  }
  if (event.type === 'write-succeeded') {
    const entry = ctx.deviceId ? ctx.presence?.devices.get(ctx.deviceId) : undefined;
    const claimed = pending.kind === 'claim' || pending.kind === 'replace';
    const generation = claimed ? pending.generation : (entry?.generation ?? pending.generation);
    const held: HeldSlot = { generation, claimedAt: entry?.claimedAt ?? null };
    return settle({ ...base, held, needsResume: false, attempts: 0, attempt: FRESH_ATTEMPT }, effects);
  }
  if (event.type === 'write-failed') {
    return settle(stop({ ...base, held: null }, { status: 'released', reason: 'error', error: event.error }), effects);
  }
  // Refused: the listener cache is now fresh (file comment); decide again from it. A refused resume
  // means the entry is gone, so what we held (if anything) is checked against the notices.
  return settle({ ...base, needsResume: false, attempts: ctx.attempts + 1 }, effects);
}

/**
 * docs/protocol.md §11.1: the token's plan limit was read (at the start, a claim, a lease renewal).
 * While holding, a plan that differs from the server's copy is recorded there, so the operations
 * without a token enforce it; when it leaves more devices than the limit, the session asks
 * `repairPresence`, whose callable sees the same token and evicts the newest extras (`limit-lowered`).
 * Token reads are rare (no loop): two devices whose tokens disagree write at most once an hour each.
 */
function onPlanLimit(ctx: SessionContext, planLimit: number | null, effects: SessionEffect[]): SessionContext {
  const next = { ...ctx, planLimit };
  if (!ctx.held || !ctx.connected || !ctx.presence || ctx.presence.planLimit === planLimit) return next;
  effects.push({ type: 'record-plan-limit', planLimit });
  if (ctx.canRepair && ctx.presence.count > effectiveLimit(next)) effects.push({ type: 'repair' });
  return next;
}

type Verdict =
  | { readonly kind: 'held'; readonly slot: HeldSlot }
  | { readonly kind: 'evicted'; readonly reason: EvictionReason }
  | { readonly kind: 'gone' };

/** docs/protocol.md §4.8: is the slot this install believes it holds still its own? */
export function verifyHeldSlot(presence: PresenceView, deviceId: string, held: HeldSlot): Verdict {
  const entry = presence.devices.get(deviceId);
  // Our entry at the current generation: still ours. This also covers this install's own force login,
  // which bumps the generation but rewrites the caller's entry with it (docs/protocol.md §5.1).
  if (entry && entry.generation === presence.generation) {
    return { kind: 'held', slot: { generation: entry.generation, claimedAt: entry.claimedAt } };
  }
  if (presence.generation !== held.generation) return { kind: 'evicted', reason: 'force-login' }; // docs/protocol.md §4.8.1
  if (entry) return { kind: 'evicted', reason: 'force-login' }; // an entry of an older generation
  const notice = presence.evicted.get(deviceId);
  if (notice && (held.claimedAt === null || notice.at >= held.claimedAt)) {
    return { kind: 'evicted', reason: evictionReasonFromNotice(notice.reason) }; // docs/protocol.md §4.8.2
  }
  // No notice: released by this install itself (an earlier connection's onDisconnect, another tab).
  return { kind: 'gone' };
}

/** docs/protocol.md §4.8.3: sessions authenticated before the last force login are refused by the gate. */
function isCutOff(ctx: SessionContext): boolean {
  const notBefore = ctx.presence?.notBefore ?? null;
  return notBefore !== null && ctx.authTime !== null && ctx.authTime < notBefore;
}

function evict(ctx: SessionContext, reason: EvictionReason, effects: SessionEffect[]): SessionContext {
  effects.push({ type: 'cancel-on-disconnect' });
  return stop({ ...ctx, held: null, needsResume: false }, { status: 'evicted', reason });
}

function wantsListening(ctx: SessionContext): boolean {
  return ctx.intent === 'hold' || ctx.stopped.status === 'limit-reached' || ctx.pending !== null || ctx.held !== null;
}

/** Decides the next effect from the context: the heart of the machine. */
function settle(input: SessionContext, effects: SessionEffect[]): SessionStep {
  let ctx = input;
  if (wantsListening(ctx) && !ctx.listening) {
    effects.push({ type: 'listen' });
    ctx = { ...ctx, listening: true };
  }

  // Decide only on complete knowledge: a limit not read yet must not be taken for the default.
  if (
    ctx.pending === null &&
    ctx.deviceId !== null &&
    ctx.connected &&
    ctx.presence !== null &&
    ctx.limit !== undefined &&
    ctx.planLimit !== undefined
  ) {
    ctx = decide(ctx, ctx.deviceId, ctx.presence, effects);
  }
  ctx = trackApproval(ctx, effects); // docs/protocol.md §11.4: a request of this install, answered or expired

  if (!wantsListening(ctx) && ctx.listening) {
    effects.push({ type: 'unlisten' });
    ctx = { ...ctx, listening: false, connected: false, everConnected: false, presence: null, limit: undefined };
  }
  return { context: ctx, effects };
}

function decide(
  ctx: SessionContext,
  deviceId: string,
  presence: PresenceView,
  effects: SessionEffect[],
): SessionContext {
  // 1. Check what we believe we hold (docs/protocol.md §4.8), whatever the intent: an eviction must be seen even while
  //    a release is about to happen, so the release is not sent for an entry that is gone. Not right
  //    after a reconnect (needsResume): the cache then still shows what the SDK applied locally when
  //    the socket dropped, our own onDisconnect release (`repoRunOnDisconnectEvents`), whatever the
  //    server did; judging that would re-claim over a slot the server kept (an expired token refused
  //    the release, or the server has not noticed the drop) or miss an eviction notice. The resume
  //    goes first; its answer comes after the fresh data (file comment), and the check runs then.
  if (ctx.held && !ctx.needsResume) {
    const verdict = verifyHeldSlot(presence, deviceId, ctx.held);
    if (verdict.kind === 'evicted') {
      return ctx.intent === 'hold' ? evict(ctx, verdict.reason, effects) : { ...ctx, held: null, needsResume: false };
    }
    if (verdict.kind === 'gone') {
      ctx = { ...ctx, held: null, needsResume: false };
    } else {
      ctx = { ...ctx, held: verdict.slot };
    }
  }

  // 2. Stopping: give back what we hold (docs/protocol.md §4.6), nothing else — except that a device waiting at the
  //    limit adopts an entry the server wrote for it: forceLogin (docs/protocol.md §5.1) creates the caller's entry,
  //    and its client must register the onDisconnect for it whenever the push arrives.
  if (ctx.intent === 'stop') {
    if (ctx.held) return withPending(ctx, 'release', 0, effects);
    const entry = presence.devices.get(deviceId);
    if (ctx.stopped.status === 'limit-reached' && entry && entry.generation === presence.generation) {
      return withPending({ ...ctx, intent: 'hold', attempts: 0 }, 'resume', entry.generation, effects);
    }
    return ctx;
  }

  // 3. Holding: re-register after a reconnect (docs/protocol.md §4.3); otherwise answer pings and sweep expired siblings.
  if (ctx.held) {
    if (ctx.needsResume) return withPending(ctx, 'resume', ctx.held.generation, effects);
    return holderDuties(ctx, deviceId, presence, effects);
  }

  // 4. Not holding: resume an entry that is ours at the current generation (a re-opened install, a
  //    tab taking over, or our own force login), else claim (docs/protocol.md §4.2), or deal with a full account.
  const entry = presence.devices.get(deviceId);
  if (ctx.attempts >= MAX_CLAIM_ATTEMPTS) return giveUp(ctx, presence);
  if (entry && entry.generation === presence.generation) {
    return withPending(ctx, 'resume', entry.generation, effects);
  }
  if (isCutOff(ctx)) return evict(ctx, 'force-login', effects);
  const limit = effectiveLimit(ctx);
  if (ctx.attempt.repair === 'retry') {
    // The repair committed before its callable returned; the listener may not show it yet (docs/protocol.md §5.4).
    return withPending({ ...ctx, attempt: { ...ctx.attempt, repair: 'done' } }, 'claim', presence.generation, effects);
  }
  if (presence.count >= limit) return decideFull(ctx, deviceId, presence, limit, effects);
  // docs/protocol.md §11.3: the total has room, but this install's class is at its limit.
  const classBlock = classLimitReached(ctx.classes, presence);
  if (classBlock !== null) return decideFull(ctx, deviceId, presence, limit, effects, classBlock.deviceClass);
  // docs/protocol.md §4.11: the last free slot is kept for the device whose connection just dropped (another tab of
  // its browser, or the same app reconnecting): a claim now would be refused, so wait for the window.
  const rejoinUntil = rejoinHeldUntil(presence, deviceId, ctx.now);
  if (rejoinUntil !== null && presence.count + 1 >= limit) return waitForRejoin(ctx, rejoinUntil, effects);
  return withPending(ctx, 'claim', presence.generation, effects);
}

function waitForRejoin(ctx: SessionContext, until: number, effects: SessionEffect[]): SessionContext {
  if (ctx.attempt.rejoinUntil === until) return ctx;
  effects.push({ type: 'wait', ping: until - REJOIN_WINDOW_MS - CHECK_MARGIN_MS, until });
  return { ...ctx, attempt: { ...ctx.attempt, rejoinUntil: until } };
}

function giveUp(ctx: SessionContext, presence: PresenceView): SessionContext {
  // Refused again and again with room left and no entry: a force login we could not attribute to our
  // auth_time (unknown) is the documented cause (docs/protocol.md §4.2); anything else is a contract mismatch.
  if (presence.notBefore !== null && ctx.authTime === null) {
    return stop(ctx, { status: 'evicted', reason: 'force-login' });
  }
  return stop(ctx, { status: 'released', reason: 'error', error: claimFailedError() });
}

function claimFailedError(): DeviceLimitError {
  return new DeviceLimitError(
    'device-limit/claim-failed',
    `The claim was refused ${MAX_CLAIM_ATTEMPTS} times although a slot looked free; are database.rules.json and this client on the same protocol version?`,
  );
}

/** A liveness check, a sweep or a repair of this claim attempt is under way (docs/protocol.md §4.9, §4.10, §5.4). */
function isChecking(ctx: SessionContext): boolean {
  if (ctx.pending !== null) return ctx.pending.kind === 'ping';
  return (
    ctx.attempt.check !== null ||
    ctx.sweeping.size > 0 ||
    ctx.attempt.repair === 'running' ||
    (ctx.attempt.rejoinUntil !== undefined && ctx.now < ctx.attempt.rejoinUntil)
  );
}

/** The state the app sees, derived from the context. */
export function publicState(ctx: SessionContext): DeviceSessionState {
  const deviceId = ctx.deviceId;
  const devices = (): DeviceListEntry[] => (ctx.presence ? listDeviceEntries(ctx.presence, deviceId) : []);
  const limit = effectiveLimit(ctx);
  if (ctx.intent === 'stop' || deviceId === null) {
    if (deviceId === null && ctx.intent === 'hold') return { status: 'claiming', deviceId: null };
    const stopped = ctx.stopped;
    if (stopped.status === 'released' || deviceId === null) {
      const s = stopped.status === 'released' ? stopped : ({ status: 'released', reason: 'released' } as const);
      return s.error
        ? { status: 'released', deviceId, reason: s.reason, error: s.error }
        : { status: 'released', deviceId, reason: s.reason };
    }
    if (stopped.status === 'evicted') return { status: 'evicted', deviceId, reason: stopped.reason };
    return limitState(ctx, deviceId, devices(), limit);
  }
  if (!ctx.connected && ctx.everConnected) return { status: 'offline', deviceId };
  if (ctx.held && !ctx.needsResume && ctx.pending === null)
    return { status: 'active', deviceId, devices: devices(), limit, ...activeRequests(ctx, deviceId) };
  if (!ctx.held && isChecking(ctx)) return { status: 'checking', deviceId, devices: devices(), limit };
  return { status: 'claiming', deviceId };
}
