/**
 * Sign-in approval with real sessions (docs/protocol.md §11.4): a device at `limit-reached` asks with
 * `requestApproval()`; the active devices see the request in their state within one round trip; one
 * approves (giving up its own slot) or refuses, and the requester learns it at once; two approvals at
 * once let the requester in once; a request nobody answers expires; a second request within
 * REQUEST_INTERVAL_MS is unavailable. Each device is its own `firebase` app and socket.
 */
import { REQUEST_TTL_MS } from '@device-limit/contract';
import { approveRequest, isDeviceLimitError, refuseRequest } from '../../client-sdk/src';
import {
  entries,
  eventuallyPresence,
  isStatus,
  owner,
  readPresence,
  sharedEmulatorSuite,
  startDevice,
  uniqueUid,
  waitForState,
  type Device,
} from './support';

const ns = sharedEmulatorSuite('demo-client-approval');

/** Two active devices (default limit 2) and a third at `limit-reached` that has asked to be let in. */
async function asking(): Promise<{ uid: string; a: Device; b: Device; c: Device }> {
  const uid = uniqueUid();
  const a = await startDevice(ns, uid, { label: 'Laptop' });
  await a.session.whenClaimed();
  const b = await startDevice(ns, uid, { label: 'Phone', platform: 'ios' });
  await b.session.whenClaimed();
  const c = await startDevice(ns, uid, { label: 'Tablet', platform: 'android' });
  expect((await c.session.whenClaimed()).status).toBe('limit-reached');
  c.session.requestApproval();
  await waitForState(c.session, (s) => s.status === 'awaiting-approval' && s.expiresAt !== null);
  return { uid, a, b, c };
}

const seesRequestOf =
  (deviceId: string | null) => (s: { status: string; requests?: readonly { deviceId: string }[] }) =>
    s.status === 'active' && (s.requests ?? []).some((r) => r.deviceId === deviceId);

describe('sign-in approval', () => {
  it('every active device sees the request; one approves with its own slot; the requester is let in', async () => {
    const { uid, a, b, c } = await asking();
    await Promise.all([
      waitForState(a.session, seesRequestOf(c.session.deviceId)),
      waitForState(b.session, seesRequestOf(c.session.deviceId)),
    ]);
    const state = a.session.state;
    if (state.status !== 'active') throw new Error(state.status);
    expect(state.requests?.[0]).toMatchObject({ deviceId: c.session.deviceId, label: 'Tablet', platform: 'android' });

    await approveRequest(a.db, uid, c.session.deviceId as string, {
      by: a.session.deviceId as string,
      release: a.session.deviceId as string,
    });
    await waitForState(c.session, isStatus('active'));
    await waitForState(a.session, (s) => s.status === 'evicted' && s.reason === 'replaced');
    const presence = await eventuallyPresence(ns, uid, (p) => !(p as { requests?: unknown }).requests);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual([b.session.deviceId, c.session.deviceId].sort());
    // The request is gone from the active devices' state too.
    await waitForState(b.session, (s) => s.status === 'active' && s.requests === undefined);
  });

  it('a refusal reaches the requester at once', async () => {
    const { uid, b, c } = await asking();
    await refuseRequest(b.db, uid, c.session.deviceId as string, { by: b.session.deviceId as string });
    await waitForState(c.session, (s) => s.status === 'limit-reached' && s.approval === 'refused');
    await eventuallyPresence(ns, uid, (p) => !(p as { requests?: unknown }).requests);
  });

  it('two devices approve at once: the requester gets one slot, the slower answer is refused', async () => {
    const { uid, a, b, c } = await asking();
    const results = await Promise.allSettled([
      approveRequest(a.db, uid, c.session.deviceId as string, {
        by: a.session.deviceId as string,
        release: a.session.deviceId as string,
      }),
      approveRequest(b.db, uid, c.session.deviceId as string, {
        by: b.session.deviceId as string,
        release: b.session.deviceId as string,
      }),
    ]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(isDeviceLimitError((refused[0] as PromiseRejectedResult).reason, 'device-limit/request-not-pending')).toBe(
      true,
    );
    await waitForState(c.session, isStatus('active'));
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toContain(c.session.deviceId);
  });

  it('a request nobody answers expires, and the requester says so', async () => {
    const { uid, c } = await asking();
    const presence = (await readPresence(ns, uid)) as { requests?: Record<string, { deviceId: string }> };
    const slot = Object.keys(presence.requests ?? {})[0] as string;
    // Move the request into the past, as REQUEST_TTL_MS of waiting would.
    await owner('PATCH', `presence/${uid}/requests/${slot}`, ns, { at: Date.now() - REQUEST_TTL_MS - 1000 });
    await waitForState(c.session, (s) => s.status === 'limit-reached' && s.approval === 'expired');
  });

  it('a second device asking within REQUEST_INTERVAL_MS is told no request can be made now', async () => {
    const { uid } = await asking();
    const d = await startDevice(ns, uid, { label: 'Other tablet', platform: 'android' });
    expect((await d.session.whenClaimed()).status).toBe('limit-reached');
    d.session.requestApproval();
    await waitForState(d.session, (s) => s.status === 'limit-reached' && s.approval === 'unavailable');
  });

  it("approving another user's request is refused", async () => {
    const { uid, c } = await asking();
    const stranger = await startDevice(ns, uniqueUid(), { label: 'Stranger' });
    await stranger.session.whenClaimed();
    await expect(
      approveRequest(stranger.db, uid, c.session.deviceId as string, {
        by: stranger.session.deviceId as string,
        release: stranger.session.deviceId as string,
      }),
    ).rejects.toThrow(/permission/i);
    expect(c.session.state.status).toBe('awaiting-approval');
  });
});
