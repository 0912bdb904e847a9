/**
 * The requester's side of sign-in approval (docs/protocol.md §11.4) in the state machine: pure
 * transitions of `ctx.approval`, which state-machine.ts calls. A session waiting at `limit-reached`
 * asks with `approval-requested`; it is let in by the machine's own adoption of an entry written for
 * it (state-machine.ts, "a device waiting at the limit adopts an entry"), so an approval needs no step
 * here but the cleanup of the request.
 */
import { chooseRequestSlot, ownRequest, pendingRequests } from './approval';
import { classLimitReached } from './classes';
import { REQUEST_TTL_MS } from './contract';
import type { DeviceListEntry, SignInRequest } from './presence';
import type { DeviceSessionState } from './session-api';
import type { SessionContext, SessionEffect } from './session-context';

/** `requestApproval()`: only a session settled at `limit-reached`, connected, with fresh data, asks. */
export function onApprovalRequested(ctx: SessionContext, effects: SessionEffect[]): SessionContext {
  const waiting = ctx.approval?.status === 'sending' || ctx.approval?.status === 'waiting';
  if (waiting || ctx.intent !== 'stop' || ctx.stopped.status !== 'limit-reached') return ctx;
  if (!ctx.connected || ctx.presence === null || ctx.deviceId === null) return ctx;
  const own = ownRequest(ctx.presence, ctx.deviceId);
  if (own !== null && own.answer === undefined && ctx.now < own.at + REQUEST_TTL_MS) {
    return { ...ctx, approval: { status: 'waiting', slot: own.slot } }; // asked before (another tab, a reload)
  }
  const choice = chooseRequestSlot(ctx.presence, ctx.now);
  if (choice.kind !== 'slot') return { ...ctx, approval: { status: 'unavailable' } };
  effects.push({ type: 'request', slot: choice.slot });
  return { ...ctx, approval: { status: 'sending', slot: choice.slot } };
}

/** The request write was answered; a refusal means the slot or the rate limit was taken meanwhile. */
export function onRequestSettled(ctx: SessionContext, ok: boolean, effects: SessionEffect[]): SessionContext {
  const approval = ctx.approval;
  if (approval?.status !== 'sending') return ctx;
  if (!ok) return { ...ctx, approval: { status: 'unavailable' } };
  const request = ctx.presence?.requests.get(approval.slot);
  const at = request?.deviceId === ctx.deviceId ? request.at : ctx.now;
  effects.push({ type: 'wait', ping: at, until: at + REQUEST_TTL_MS });
  return { ...ctx, approval: { status: 'waiting', slot: approval.slot } };
}

/**
 * On every decision while a request is out: let in (the adoption made this install hold a slot) →
 * remove the request; refused, withdrawn or expired → report it and remove the request.
 */
export function trackApproval(ctx: SessionContext, effects: SessionEffect[]): SessionContext {
  const approval = ctx.approval;
  if (approval?.status !== 'waiting' || ctx.presence === null || ctx.deviceId === null) return ctx;
  const request = ctx.presence.requests.get(approval.slot);
  const mine = request !== undefined && request.deviceId === ctx.deviceId;
  if (ctx.held !== null) {
    if (mine) effects.push({ type: 'withdraw-request', slot: approval.slot });
    return { ...ctx, approval: null };
  }
  // Approved: the entry is there (or on its way); the adoption resumes it.
  if (ctx.presence.devices.has(ctx.deviceId) || request?.answer === 'approved') return ctx;
  if (!mine) return { ...ctx, approval: { status: 'refused' } }; // withdrawn by another device
  if (request.answer === 'refused') {
    effects.push({ type: 'withdraw-request', slot: approval.slot });
    return { ...ctx, approval: { status: 'refused' } };
  }
  if (ctx.now >= request.at + REQUEST_TTL_MS) {
    effects.push({ type: 'withdraw-request', slot: approval.slot });
    return { ...ctx, approval: { status: 'expired' } };
  }
  return ctx;
}

/** The public state of a session stopped at the limit: `awaiting-approval` while its request is out (docs/protocol.md §11.4). */
export function limitState(
  ctx: SessionContext,
  deviceId: string,
  devices: readonly DeviceListEntry[],
  limit: number,
): DeviceSessionState {
  const approval = ctx.approval;
  if (approval?.status === 'sending' || approval?.status === 'waiting') {
    const request = approval.status === 'waiting' ? ctx.presence?.requests.get(approval.slot) : undefined;
    const expiresAt = request?.deviceId === deviceId ? request.at + REQUEST_TTL_MS : null;
    return { status: 'awaiting-approval', deviceId, devices, limit, expiresAt };
  }
  const classBlock = ctx.presence ? classLimitReached(ctx.classes, ctx.presence) : null;
  return {
    status: 'limit-reached',
    deviceId,
    devices,
    limit,
    ...(classBlock ? { classLimit: classBlock } : {}),
    ...(approval ? { approval: approval.status } : {}),
  };
}

/** The open requests an active device shows (docs/protocol.md §11.4), only when there are any. */
export function activeRequests(ctx: SessionContext, deviceId: string): { requests?: readonly SignInRequest[] } {
  const requests = ctx.presence ? pendingRequests(ctx.presence, ctx.now, deviceId) : [];
  return requests.length > 0 ? { requests } : {};
}
