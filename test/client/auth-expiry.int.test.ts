/**
 * Failure mode 1 of issue 12: a hidden tab whose ID token is no longer refreshed. When its token
 * expires, the server evaluates its connection as unauthenticated; when that connection later ends,
 * its onDisconnect release is refused by the rules (they check it again when it runs), and its entry
 * stays: a ghost. What the client does about it (client-sdk/README.md, "States"):
 * - nothing can run on the dead tab; the ghost is swept by the next device that needs the slot, within
 *   PING_DEADLINE_MS (docs/protocol.md §4.9), and by a sibling after the lease otherwise;
 * - a tab that wakes up gets the server's auth-revoked message, reconnects with a fresh token and
 *   resumes its entry (renewal and a new onDisconnect registration, §4.3), so its slot is given back
 *   normally when it closes later;
 * - a tab that wakes up after its ghost was swept reports `evicted` / `swept-stale`, and `claim()`
 *   takes a slot again when one is free.
 * The token expiry is injected on the socket by the proxy (test/helpers/tcp-proxy.ts `expireAuth`),
 * and the deadline passes in virtual time on our in-process emulator.
 */
import { onValue, ref } from 'firebase/database';
import { PING_DEADLINE_MS } from '../../client-sdk/src';
import { ownEmulatorSuite } from './own-emulator';
import {
  connectDevice,
  entries,
  eventually,
  eventuallyPresence,
  isStatus,
  killDevice,
  readPresence,
  sleep,
  startDevice,
  uniqueUid,
  waitForState,
  type Device,
} from './support';

const { ns, time } = ownEmulatorSuite('demo-client-auth-expiry');

/** Real time in which an onDisconnect the server ran would have shown in the data. */
const SETTLE_MS = 400;
const PAST_DEADLINE_MS = PING_DEADLINE_MS + 1500;

async function active(uid: string, label: string): Promise<Device> {
  const device = await startDevice(ns, uid, { timers: time, label });
  expect((await device.session.whenClaimed()).status).toBe('active');
  return device;
}

/** Every `count` the server reports from now on, seen by a separate observer. */
async function watchCount(uid: string): Promise<number[]> {
  const { db } = await connectDevice(ns, uid);
  const counts: number[] = [];
  onValue(ref(db, `presence/${uid}/count`), (s) => counts.push((s.val() as number | null) ?? 0));
  await eventually(() => counts.length > 0);
  return counts;
}

/** The tab is hidden and frozen, and its token expires: the server now sees it signed out. */
function freezeAndExpire(device: Device): void {
  device.link.freeze();
  device.link.expireAuth();
}

describe('a frozen tab whose ID token expired', () => {
  it('leaves a ghost when its socket ends (the release is refused), and a claimer sweeps it within the deadline', async () => {
    const uid = uniqueUid();
    const tab = await active(uid, 'Hidden tab');
    const other = await active(uid, 'Phone');
    const tabId = tab.session.deviceId!;

    freezeAndExpire(tab);
    // The browser discards the frozen tab: its socket ends, and the server runs its onDisconnect
    // release with the connection's auth, which is none any more.
    tab.link.refuse();
    tab.link.cut();
    await sleep(SETTLE_MS);
    const ghost = await readPresence(ns, uid);
    expect(ghost.count).toBe(2);
    expect(entries(ghost)).toEqual([tabId, other.session.deviceId].sort());
    expect(ghost.rejoin).toBeUndefined();

    const claimer = await startDevice(ns, uid, { timers: time, label: 'Laptop' });
    await waitForState(claimer.session, isStatus('checking'));
    // The live phone answers the check; the ghost cannot.
    await eventuallyPresence(
      ns,
      uid,
      (p) => p.ping !== undefined && (p.devices?.[other.session.deviceId!]?.lastSeen ?? 0) >= p.ping,
    );
    time.advance(PAST_DEADLINE_MS);
    await waitForState(claimer.session, isStatus('active'));
    const after = await readPresence(ns, uid);
    expect(entries(after)).toEqual([claimer.session.deviceId, other.session.deviceId].sort());
    expect(after.evicted?.[tabId]?.reason).toBe('swept');
    expect(other.session.state.status).toBe('active');
  });

  it('with a live token instead, the same discard gives the slot back at once (the control)', async () => {
    const uid = uniqueUid();
    const tab = await active(uid, 'Hidden tab');
    await active(uid, 'Phone');
    tab.link.freeze();
    tab.link.refuse();
    tab.link.cut();
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 1);
    expect(presence.rejoin?.deviceId).toBe(tab.session.deviceId);
  });

  it('reconnects with a fresh token when it wakes up, and keeps its slot without a second one', async () => {
    const uid = uniqueUid();
    const tab = await active(uid, 'Hidden tab');
    await active(uid, 'Phone');
    const counts = await watchCount(uid);

    freezeAndExpire(tab);
    await sleep(SETTLE_MS);
    tab.session.resume(); // the page is visible again (lifecycle: 'auto' calls this)
    tab.link.thaw();
    // The auth-revoked message makes the SDK close the socket and reconnect: offline, then active.
    await waitForState(tab.session, isStatus('offline'));
    await waitForState(tab.session, isStatus('active'));
    await sleep(SETTLE_MS);
    // The old connection's release ran unauthenticated and was refused: the slot never moved.
    expect(counts.every((count) => count === 2)).toBe(true);
    expect((await readPresence(ns, uid)).count).toBe(2);

    // Its new connection registered the release: closing the tab now gives the slot back.
    await killDevice(tab);
    const after = await eventuallyPresence(ns, uid, (p) => p.count === 1);
    expect(after.devices?.[tab.session.deviceId!]).toBeUndefined();
  });

  it('wakes up swept when a claimer needed the slot meanwhile, and can claim again once a slot is free', async () => {
    const uid = uniqueUid();
    const tab = await active(uid, 'Hidden tab');
    const other = await active(uid, 'Phone');
    freezeAndExpire(tab);

    const claimer = await startDevice(ns, uid, { timers: time, label: 'Laptop' });
    await waitForState(claimer.session, isStatus('checking'));
    await eventuallyPresence(
      ns,
      uid,
      (p) => p.ping !== undefined && (p.devices?.[other.session.deviceId!]?.lastSeen ?? 0) >= p.ping,
    );
    time.advance(PAST_DEADLINE_MS);
    await waitForState(claimer.session, isStatus('active'));

    tab.link.thaw();
    const state = await waitForState(tab.session, isStatus('evicted'), 10_000);
    expect(state.reason).toBe('swept-stale');

    await other.session.release();
    tab.session.claim();
    await waitForState(tab.session, isStatus('active'));
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual([claimer.session.deviceId, tab.session.deviceId].sort());
  });
});
