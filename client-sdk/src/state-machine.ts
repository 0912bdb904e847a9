/**
 * The device session as a pure state machine: `reduceSession(context, event)` returns the next
 * context and the effects (database writes, listener changes) the driver must perform. It imports
 * nothing from `firebase`, so every rule of docs/protocol.md §4 is unit-tested without a database.
 *
 * Two facts of the database SDK make the decisions below sound:
 * - After any write's response (ack or refusal), the listener cache on `/presence/{uid}` already
 *   reflects the server state as of that write: the SDK sends its listens before its writes on every
 *   (re)connect (`PersistentConnection.restoreState_`), and the server answers in order.
 * - An onDisconnect request in flight when the socket drops never gets an answer
 *   (`onRealtimeDisconnect_` clears `requestCBHash_`), so the machine forgets a pending write when the
 *   connection drops and decides again, from fresh data, once it is back.
 */
import { DEFAULT_DEVICE_LIMIT, evictionReasonFromNotice, type EvictionReason } from './contract';
import { DeviceLimitError } from './errors';
import { listDeviceEntries, type DeviceListEntry, type PresenceView } from './presence';
import type { DeviceSessionState, ReleaseReason } from './session-api';

export type { DeviceSessionState, DeviceSessionStatus, ReleaseReason } from './session-api';

/** Consecutive refused claims/resumes before the session gives up with `device-limit/claim-failed`. */
export const MAX_CLAIM_ATTEMPTS = 5;

/** What the driver must do. Write effects carry an id; their result events echo it. */
export type SessionEffect =
  | { readonly type: 'listen' }
  | { readonly type: 'unlisten' }
  /** docs/protocol.md §4.2 claim, then §4.6 register the onDisconnect release. */
  | { readonly type: 'claim'; readonly id: number; readonly generation: number }
  /** §4.3 resume: heartbeat, then register the onDisconnect release again. */
  | { readonly type: 'resume'; readonly id: number }
  /** §4.6 deliberate release: cancel the onDisconnect first, then release. */
  | { readonly type: 'release'; readonly id: number }
  /** After an eviction: the registered release would be refused anyway; drop it. */
  | { readonly type: 'cancel-on-disconnect' }
  /** §6: append a `denied` audit event after a refused claim. */
  | { readonly type: 'record-denied' };

export type SessionEvent =
  | { readonly type: 'device-id'; readonly deviceId: string }
  | { readonly type: 'auth-time'; readonly authTime: number | null }
  | { readonly type: 'connection'; readonly connected: boolean }
  | { readonly type: 'presence'; readonly presence: PresenceView }
  | { readonly type: 'limit'; readonly limit: number | null }
  /** The presence listener was cancelled by the server (rules). */
  | { readonly type: 'read-denied'; readonly error: DeviceLimitError }
  | { readonly type: 'claim-requested' }
  | { readonly type: 'release-requested'; readonly reason: ReleaseReason; readonly error?: DeviceLimitError }
  | { readonly type: 'write-succeeded'; readonly id: number }
  /** The write was refused with PERMISSION_DENIED. */
  | { readonly type: 'write-refused'; readonly id: number }
  /** Any other failure (e.g. the onDisconnect could not be registered and the claim was undone). */
  | { readonly type: 'write-failed'; readonly id: number; readonly error: DeviceLimitError }
  /** A periodic heartbeat was refused: the entry is gone or this session was cut off. */
  | { readonly type: 'heartbeat-refused' };

interface HeldSlot {
  /** The generation the entry was claimed with (§4.8 step 1). */
  readonly generation: number;
  /** The entry's `claimedAt` as last seen from the server; notices older than it are not ours. */
  readonly claimedAt: number | null;
}

type Stopped =
  | { readonly status: 'limit-reached' }
  | { readonly status: 'evicted'; readonly reason: EvictionReason }
  | { readonly status: 'released'; readonly reason: ReleaseReason; readonly error?: DeviceLimitError };

export interface SessionContext {
  readonly deviceId: string | null;
  readonly authTime: number | null;
  /** 'hold' while the app wants this install to hold a slot. */
  readonly intent: 'hold' | 'stop';
  /** Why the session stopped (meaningful when intent is 'stop'). */
  readonly stopped: Stopped;
  readonly listening: boolean;
  readonly connected: boolean;
  readonly everConnected: boolean;
  readonly presence: PresenceView | null;
  /** `/limits/{uid}`: a number, null when absent (the default applies), undefined until read. */
  readonly limit: number | null | undefined;
  readonly pending: {
    readonly kind: 'claim' | 'resume' | 'release';
    readonly id: number;
    readonly generation: number;
  } | null;
  readonly held: HeldSlot | null;
  /** The onDisconnect release must be registered again (after a reconnect, or a refused heartbeat). */
  readonly needsResume: boolean;
  readonly attempts: number;
  readonly nextId: number;
}

export interface SessionStep {
  readonly context: SessionContext;
  readonly effects: readonly SessionEffect[];
}

export function initialSessionContext(): SessionContext {
  return {
    deviceId: null,
    authTime: null,
    intent: 'hold',
    stopped: { status: 'released', reason: 'released' },
    listening: false,
    connected: false,
    everConnected: false,
    presence: null,
    limit: undefined,
    pending: null,
    held: null,
    needsResume: false,
    attempts: 0,
    nextId: 1,
  };
}

/** Starts the machine: listen, and claim once the deviceId, connection and presence are known. */
export function startSession(): SessionStep {
  return settle(initialSessionContext(), []);
}

export function reduceSession(ctx: SessionContext, event: SessionEvent): SessionStep {
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
        const releasing = ctx.pending?.kind === 'release';
        return settle(
          {
            ...ctx,
            connected: false,
            pending: null,
            held: releasing ? null : ctx.held,
            needsResume: !releasing && (ctx.held !== null || ctx.pending !== null),
          },
          effects,
        );
      }
      return settle({ ...ctx, connected: true, everConnected: true }, effects);
    case 'presence':
      return settle({ ...ctx, presence: event.presence }, effects);
    case 'limit':
      return settle({ ...ctx, limit: event.limit }, effects);
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
      return settle({ ...ctx, intent: 'hold', attempts: 0 }, effects);
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
    case 'heartbeat-refused':
      return settle(ctx.held ? { ...ctx, needsResume: true } : ctx, effects);
  }
}

function stop(ctx: SessionContext, stopped: Stopped): SessionContext {
  return { ...ctx, intent: 'stop', stopped, attempts: 0 };
}

function onWriteResult(
  ctx: SessionContext,
  pending: NonNullable<SessionContext['pending']>,
  event: Extract<SessionEvent, { type: 'write-succeeded' | 'write-refused' | 'write-failed' }>,
  effects: SessionEffect[],
): SessionStep {
  const base: SessionContext = { ...ctx, pending: null };
  if (pending.kind === 'release') {
    // Refused means the entry was already gone (§4.6): either way nothing is held any more.
    return settle({ ...base, held: null, needsResume: false }, effects);
  }
  if (event.type === 'write-succeeded') {
    const entry = ctx.deviceId ? ctx.presence?.devices.get(ctx.deviceId) : undefined;
    const generation = pending.kind === 'claim' ? pending.generation : (entry?.generation ?? pending.generation);
    return settle(
      { ...base, held: { generation, claimedAt: entry?.claimedAt ?? null }, needsResume: false, attempts: 0 },
      effects,
    );
  }
  if (event.type === 'write-failed') {
    return settle(stop({ ...base, held: null }, { status: 'released', reason: 'error', error: event.error }), effects);
  }
  // Refused: the listener cache is now fresh (file comment); decide again from it. A refused resume
  // means the entry is gone, so what we held (if anything) is checked against the notices.
  return settle({ ...base, needsResume: false, attempts: ctx.attempts + 1 }, effects);
}

type Verdict =
  | { readonly kind: 'held'; readonly slot: HeldSlot }
  | { readonly kind: 'evicted'; readonly reason: EvictionReason }
  | { readonly kind: 'gone' };

/** docs/protocol.md §4.8: is the slot this install believes it holds still its own? */
export function verifyHeldSlot(presence: PresenceView, deviceId: string, held: HeldSlot): Verdict {
  const entry = presence.devices.get(deviceId);
  // Our entry at the current generation: still ours. This also covers this install's own force login,
  // which bumps the generation but rewrites the caller's entry with it (§5.1).
  if (entry && entry.generation === presence.generation) {
    return { kind: 'held', slot: { generation: entry.generation, claimedAt: entry.claimedAt } };
  }
  if (presence.generation !== held.generation) return { kind: 'evicted', reason: 'force-login' }; // §4.8.1
  if (entry) return { kind: 'evicted', reason: 'force-login' }; // an entry of an older generation
  const notice = presence.evicted.get(deviceId);
  if (notice && (held.claimedAt === null || notice.at >= held.claimedAt)) {
    return { kind: 'evicted', reason: evictionReasonFromNotice(notice.reason) }; // §4.8.2
  }
  // No notice: released by this install itself (an earlier connection's onDisconnect, another tab).
  return { kind: 'gone' };
}

/** §4.8.3: sessions authenticated before the last force login are refused by the gate. */
function isCutOff(ctx: SessionContext): boolean {
  const notBefore = ctx.presence?.notBefore ?? null;
  return notBefore !== null && ctx.authTime !== null && ctx.authTime < notBefore;
}

function evict(ctx: SessionContext, reason: EvictionReason, effects: SessionEffect[]): SessionContext {
  effects.push({ type: 'cancel-on-disconnect' });
  return stop({ ...ctx, held: null, needsResume: false }, { status: 'evicted', reason });
}

/** Decides the next effect from the context: the heart of the machine. */
function settle(input: SessionContext, effects: SessionEffect[]): SessionStep {
  let ctx = input;
  const wantsListening =
    ctx.intent === 'hold' || ctx.stopped.status === 'limit-reached' || ctx.pending !== null || ctx.held !== null;
  if (wantsListening && !ctx.listening) {
    effects.push({ type: 'listen' });
    ctx = { ...ctx, listening: true };
  }

  // Decide only on complete knowledge: a limit not read yet must not be taken for the default.
  if (
    ctx.pending === null &&
    ctx.deviceId !== null &&
    ctx.connected &&
    ctx.presence !== null &&
    ctx.limit !== undefined
  ) {
    ctx = decide(ctx, ctx.deviceId, ctx.presence, effects);
  }

  const keepListening =
    ctx.intent === 'hold' || ctx.stopped.status === 'limit-reached' || ctx.pending !== null || ctx.held !== null;
  if (!keepListening && ctx.listening) {
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
  // 1. Check what we believe we hold (§4.8), whatever the intent: an eviction must be seen even while
  //    a release is about to happen, so the release is not sent for an entry that is gone.
  if (ctx.held) {
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

  // 2. Stopping: give back what we hold (§4.6), nothing else — except that a device waiting at the
  //    limit adopts an entry the server wrote for it: forceLogin (§5.1) creates the caller's entry,
  //    and its client must register the onDisconnect for it whenever the push arrives.
  if (ctx.intent === 'stop') {
    if (ctx.held) return withPending(ctx, 'release', 0, effects);
    const entry = presence.devices.get(deviceId);
    if (ctx.stopped.status === 'limit-reached' && entry && entry.generation === presence.generation) {
      return withPending({ ...ctx, intent: 'hold', attempts: 0 }, 'resume', entry.generation, effects);
    }
    return ctx;
  }

  // 3. Holding: re-register after a reconnect (§4.3), or nothing to do.
  if (ctx.held) {
    return ctx.needsResume ? withPending(ctx, 'resume', ctx.held.generation, effects) : ctx;
  }

  // 4. Not holding: resume an entry that is ours at the current generation (a re-opened install, a
  //    tab taking over, or our own force login), else claim (§4.2) unless we already know the answer.
  const entry = presence.devices.get(deviceId);
  if (ctx.attempts >= MAX_CLAIM_ATTEMPTS) return giveUp(ctx, presence);
  if (entry && entry.generation === presence.generation) {
    return withPending(ctx, 'resume', entry.generation, effects);
  }
  if (isCutOff(ctx)) return evict(ctx, 'force-login', effects);
  const limit = ctx.limit ?? DEFAULT_DEVICE_LIMIT;
  if (presence.count >= limit) {
    effects.push({ type: 'record-denied' });
    return stop(ctx, { status: 'limit-reached' });
  }
  return withPending(ctx, 'claim', presence.generation, effects);
}

function giveUp(ctx: SessionContext, presence: PresenceView): SessionContext {
  // Refused again and again with room left and no entry: a force login we could not attribute to our
  // auth_time (unknown) is the documented cause (§4.2); anything else is a contract mismatch.
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

function withPending(
  ctx: SessionContext,
  kind: 'claim' | 'resume' | 'release',
  generation: number,
  effects: SessionEffect[],
): SessionContext {
  const id = ctx.nextId;
  if (kind === 'claim') effects.push({ type: 'claim', id, generation });
  else if (kind === 'resume') effects.push({ type: 'resume', id });
  else effects.push({ type: 'release', id });
  return { ...ctx, pending: { kind, id, generation }, nextId: id + 1 };
}

/** The state the app sees, derived from the context. */
export function publicState(ctx: SessionContext): DeviceSessionState {
  const deviceId = ctx.deviceId;
  const devices = (): DeviceListEntry[] => (ctx.presence ? listDeviceEntries(ctx.presence, deviceId) : []);
  const limit = ctx.limit ?? DEFAULT_DEVICE_LIMIT;
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
    return { status: 'limit-reached', deviceId, devices: devices(), limit };
  }
  if (!ctx.connected && ctx.everConnected) return { status: 'offline', deviceId };
  if (ctx.held && !ctx.needsResume && ctx.pending === null)
    return { status: 'active', deviceId, devices: devices(), limit };
  return { status: 'claiming', deviceId };
}
