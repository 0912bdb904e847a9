/**
 * The policy `evict-least-recent` with real sessions (docs/protocol.md §11.2): a device that meets a
 * full account takes the slot of the device active least recently, which reports `evicted` with
 * reason `replaced`; an admin's per-user policy wins over the app's option; sessions that all arrive
 * at once leave exactly `limit` devices holding slots. Each device is its own `firebase` app and socket.
 */
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

const ns = sharedEmulatorSuite('demo-client-replace');

/** Two devices holding the slots (default limit 2), `first` claimed (and last seen) first. */
async function fullAccount(uid: string): Promise<{ first: Device; second: Device }> {
  const first = await startDevice(ns, uid, { label: 'First' });
  expect((await first.session.whenClaimed()).status).toBe('active');
  const second = await startDevice(ns, uid, { label: 'Second' });
  expect((await second.session.whenClaimed()).status).toBe('active');
  return { first, second };
}

describe('evict-least-recent', () => {
  it('the newcomer takes the slot of the device active least recently, which learns it was replaced', async () => {
    const uid = uniqueUid();
    const { first, second } = await fullAccount(uid);
    const third = await startDevice(ns, uid, { label: 'Third', policy: 'evict-least-recent' });
    expect(await third.session.whenClaimed()).toMatchObject({ status: 'active', limit: 2 });
    await waitForState(first.session, (s) => s.status === 'evicted' && s.reason === 'replaced');
    expect(second.session.state.status).toBe('active');
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual([second.session.deviceId, third.session.deviceId].sort());
    expect(presence.evicted?.[first.session.deviceId as string]?.reason).toBe('replaced');
  });

  it("an admin's per-user policy turns it on for an app that refuses", async () => {
    const uid = uniqueUid();
    const { first } = await fullAccount(uid);
    await owner('PUT', `presence/${uid}/policy`, ns, 'evict-least-recent');
    const third = await startDevice(ns, uid, { label: 'Third' });
    expect((await third.session.whenClaimed()).status).toBe('active');
    await waitForState(first.session, (s) => s.status === 'evicted' && s.reason === 'replaced');
  });

  it("an admin's per-user refuse wins over the app's option", async () => {
    const uid = uniqueUid();
    const { first, second } = await fullAccount(uid);
    await owner('PUT', `presence/${uid}/policy`, ns, 'refuse');
    const third = await startDevice(ns, uid, { label: 'Third', policy: 'evict-least-recent' });
    expect((await third.session.whenClaimed()).status).toBe('limit-reached');
    expect([first.session.state.status, second.session.state.status]).toEqual(['active', 'active']);
  });

  it('four newcomers at once on a full account: exactly two devices hold slots in the end', async () => {
    const uid = uniqueUid();
    const holders = await fullAccount(uid);
    const newcomers = await Promise.all(
      [0, 1, 2, 3].map((i) => startDevice(ns, uid, { label: `New ${i}`, policy: 'evict-least-recent' })),
    );
    await Promise.all(newcomers.map((d) => waitForState(d.session, (s) => s.status !== 'claiming')));
    const everyone = [holders.first, holders.second, ...newcomers];
    // Every replace swaps one entry for one other: the account ends with exactly its limit.
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 2 && entries(p).length === 2);
    await Promise.all(
      everyone
        .filter((d) => entries(presence).includes(d.session.deviceId as string))
        .map((d) => waitForState(d.session, isStatus('active'))),
    );
    const active = everyone.filter((d) => d.session.state.status === 'active').map((d) => d.session.deviceId);
    expect(active.sort()).toEqual(entries(presence));
    for (const device of everyone.filter((d) => !active.includes(d.session.deviceId))) {
      expect(device.session.state).toMatchObject({ status: 'evicted', reason: 'replaced' });
    }
  });
});
