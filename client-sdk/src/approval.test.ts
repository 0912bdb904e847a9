/**
 * Sign-in approval in the session (docs/protocol.md §11.4): which slot a request takes, what an
 * active device shows, and the requester's states from `requestApproval()` to its answer.
 */
import { chooseRequestSlot, pendingRequests, requestUpdate, withdrawUpdate } from './approval';
import { REQUEST_INTERVAL_MS, REQUEST_TTL_MS, DEFAULT_PATHS } from './contract';
import { EMPTY_PRESENCE, type DeviceEntry, type PresenceView, type SignInRequest } from './presence';
import {
  publicState,
  reduceSession,
  startSession,
  type SessionContext,
  type SessionEffect,
  type SessionEvent,
} from './state-machine';

const D = 'thisDevice01';
const NOW = 1_000_000;

function entry(deviceId: string): DeviceEntry {
  return { deviceId, platform: 'web', label: deviceId, claimedAt: 1, lastSeen: 1, generation: 0 };
}

function request(slot: string, deviceId: string, at: number, extra: Partial<SignInRequest> = {}): SignInRequest {
  return { slot, deviceId, label: 'Tablet', platform: 'android', at, ...extra };
}

function presence(requests: SignInRequest[] = [], extra: Partial<PresenceView> = {}): PresenceView {
  const devices = new Map([entry('a0000001'), entry('b0000001')].map((e) => [e.deviceId, e]));
  return { ...EMPTY_PRESENCE, count: 2, devices, requests: new Map(requests.map((r) => [r.slot, r])), ...extra };
}

describe('where a request goes', () => {
  test('the first free or expired slot', () => {
    expect(chooseRequestSlot(presence(), NOW)).toEqual({ kind: 'slot', slot: 'r0' });
    expect(chooseRequestSlot(presence([request('r0', 'x0000001', NOW - 1)]), NOW)).toEqual({
      kind: 'slot',
      slot: 'r1',
    });
    expect(chooseRequestSlot(presence([request('r0', 'x0000001', NOW - REQUEST_TTL_MS)]), NOW)).toEqual({
      kind: 'slot',
      slot: 'r0',
    });
  });

  test('none within REQUEST_INTERVAL_MS of the last request, none when every slot is open', () => {
    expect(chooseRequestSlot(presence([], { requestedAt: NOW - 1 }), NOW)).toEqual({
      kind: 'rate-limited',
      until: NOW - 1 + REQUEST_INTERVAL_MS,
    });
    const open = ['r0', 'r1', 'r2'].map((slot, i) => request(slot, `x000000${i}`, NOW - 1));
    expect(chooseRequestSlot(presence(open), NOW)).toEqual({ kind: 'full' });
  });

  test('the writes: the request with the rate-limit stamp, and its removal', () => {
    expect(requestUpdate('u1', 'r1', { deviceId: D, label: 'Tablet', platform: 'android' }, DEFAULT_PATHS)).toEqual({
      'presence/u1/requests/r1': { deviceId: D, label: 'Tablet', platform: 'android', at: { '.sv': 'timestamp' } },
      'presence/u1/requestedAt': { '.sv': 'timestamp' },
    });
    expect(withdrawUpdate('u1', 'r1')).toEqual({ 'presence/u1/requests/r1': null });
  });
});

test('an active device shows the open requests of others, oldest first', () => {
  const p = presence([
    request('r1', 'new00001', NOW - 10),
    request('r0', 'old00001', NOW - 20),
    request('r2', 'done0001', NOW - 5, { answer: 'refused' }),
  ]);
  expect(pendingRequests(p, NOW, D).map((r) => r.deviceId)).toEqual(['old00001', 'new00001']);
  expect(pendingRequests(p, NOW + REQUEST_TTL_MS, D)).toEqual([]);
});

describe("the requester's states", () => {
  function atLimit(p: PresenceView) {
    let ctx: SessionContext = startSession().context;
    const send = (...events: SessionEvent[]): SessionEffect[] => {
      const out: SessionEffect[] = [];
      for (const event of events) {
        const step = reduceSession(ctx, event, NOW);
        ctx = step.context;
        out.push(...step.effects);
      }
      return out;
    };
    // Full and every holder fresh: the liveness check ends at once in limit-reached.
    send(
      { type: 'device-id', deviceId: D },
      { type: 'connection', connected: true },
      { type: 'limit', limit: 2 },
      { type: 'presence', presence: p },
    );
    send(
      { type: 'presence', presence: { ...p, ping: NOW - 1 } },
      { type: 'write-succeeded', id: ctx.pending?.id ?? 0 },
    );
    return {
      send,
      get ctx() {
        return ctx;
      },
    };
  }

  const fresh = (p: PresenceView): PresenceView => ({
    ...p,
    devices: new Map([...p.devices].map(([id, e]) => [id, { ...e, lastSeen: NOW }])),
  });

  test('limit-reached, then awaiting-approval while the request is out, then refused', () => {
    const h = atLimit(fresh(presence()));
    expect(publicState(h.ctx).status).toBe('limit-reached');
    expect(h.send({ type: 'approval-requested' })).toEqual([{ type: 'request', slot: 'r0' }]);
    expect(publicState(h.ctx)).toMatchObject({ status: 'awaiting-approval', expiresAt: null });
    h.send({ type: 'presence', presence: fresh(presence([request('r0', D, NOW)])) });
    expect(h.send({ type: 'request-settled', ok: true })).toContainEqual({
      type: 'wait',
      ping: NOW,
      until: NOW + REQUEST_TTL_MS,
    });
    expect(publicState(h.ctx)).toMatchObject({ status: 'awaiting-approval', expiresAt: NOW + REQUEST_TTL_MS });
    const effects = h.send({
      type: 'presence',
      presence: fresh(presence([request('r0', D, NOW, { answer: 'refused' })])),
    });
    expect(effects).toContainEqual({ type: 'withdraw-request', slot: 'r0' });
    expect(publicState(h.ctx)).toMatchObject({ status: 'limit-reached', approval: 'refused' });
  });

  test('approved: the entry written for it is resumed, and the request removed', () => {
    const h = atLimit(fresh(presence()));
    h.send({ type: 'approval-requested' });
    h.send(
      { type: 'presence', presence: fresh(presence([request('r0', D, NOW)])) },
      { type: 'request-settled', ok: true },
    );
    const approved = fresh(presence([request('r0', D, NOW, { answer: 'approved' })]));
    const withEntry = { ...approved, devices: new Map([...approved.devices, [D, { ...entry(D), lastSeen: NOW }]]) };
    expect(h.send({ type: 'presence', presence: withEntry })).toContainEqual(
      expect.objectContaining({ type: 'resume' }),
    );
    const effects = h.send({ type: 'write-succeeded', id: h.ctx.pending?.id ?? 0 });
    expect(effects).toContainEqual({ type: 'withdraw-request', slot: 'r0' });
    expect(publicState(h.ctx).status).toBe('active');
  });

  test('a refused request write, or no slot to ask in, is unavailable', () => {
    const h = atLimit(fresh(presence()));
    h.send({ type: 'approval-requested' });
    h.send({ type: 'request-settled', ok: false });
    expect(publicState(h.ctx)).toMatchObject({ status: 'limit-reached', approval: 'unavailable' });
    const limited = atLimit(fresh(presence([], { requestedAt: NOW - 1 })));
    expect(limited.send({ type: 'approval-requested' })).toEqual([]);
    expect(publicState(limited.ctx)).toMatchObject({ status: 'limit-reached', approval: 'unavailable' });
  });

  test('nothing to ask while holding a slot', () => {
    let ctx = startSession().context;
    ctx = reduceSession(ctx, { type: 'approval-requested' }, NOW).context;
    expect(ctx.approval).toBeNull();
  });
});
