/**
 * Failure modes 2 and 3 of issue 12, through the real SDK and a real socket (test/helpers/tcp-proxy.ts):
 * - (3) the window between a claim and its onDisconnect registration. The session sends both back to
 *   back (docs/protocol.md §4.2), so the window is one message wide; the proxy drops the connection
 *   right there. A device that lives on resumes its entry and registers the release on its next
 *   connection; a device that died there leaves a ghost that the next claimer sweeps within
 *   PING_DEADLINE_MS (docs/protocol.md §4.9).
 * - (2) writes in flight when the network stopped, which the SDK replays on reconnect before anything
 *   sent after (listens, then the replayed writes, then new requests; the onDisconnect registration
 *   that was in flight is not replayed). The session never queues writes of its own while offline: it
 *   decides again once connected, and its resume registers the release right behind the replayed
 *   claim. A drop between the two is the window of (3) again.
 * Neither ever takes a second slot. The deadline passes in virtual time on our in-process emulator.
 */
import { onValue, ref, type Database } from 'firebase/database';
import { PING_DEADLINE_MS, startDeviceSession, type DeviceSession } from '../../client-sdk/src';
import { ownEmulatorSuite } from './own-emulator';
import {
  connectDevice,
  entries,
  eventually,
  eventuallyPresence,
  installStorage,
  isStatus,
  readPresence,
  sleep,
  startDevice,
  trackSession,
  uniqueUid,
  waitForState,
  type DeviceLink,
} from './support';

const { ns, time } = ownEmulatorSuite('demo-client-replay');

const SETTLE_MS = 400;

/** The client message of a claim (docs/protocol.md §4.2): a root update that moves this user's count by +1. */
const isClaimOf =
  (uid: string) =>
  (message: { a?: unknown; b?: Record<string, unknown> }): boolean => {
    const data = message.b?.['d'] as Record<string, { '.sv'?: { increment?: number } }> | undefined;
    return message.a === 'm' && data?.[`presence/${uid}/count`]?.['.sv']?.increment === 1;
  };

interface Prepared {
  readonly session: DeviceSession;
  readonly link: DeviceLink;
  readonly db: Database;
}

/** A device whose link is prepared (`prepare`) before its session sends anything. */
async function preparedDevice(uid: string, prepare: (link: DeviceLink) => void): Promise<Prepared> {
  const { db, link } = await connectDevice(ns, uid);
  prepare(link);
  const session = trackSession(
    startDeviceSession(
      db,
      { uid, getIdTokenResult: async () => ({ claims: { auth_time: 1_700_000_000 } }) },
      { platform: 'web', storage: installStorage(), tabs: false, lifecycle: 'manual', timers: time },
    ),
  );
  return { session, link, db };
}

/** Every `count` the server reports from now on. */
async function watchCount(uid: string): Promise<number[]> {
  const { db } = await connectDevice(ns, uid);
  const counts: number[] = [];
  onValue(ref(db, `presence/${uid}/count`), (s) => counts.push((s.val() as number | null) ?? 0));
  await eventually(() => counts.length > 0);
  return counts;
}

/** A claimer at the full account of `uid`: checking, the live holders answer, the deadline passes. */
async function claimAfterDeadline(uid: string, liveHolders: readonly string[]): Promise<DeviceSession> {
  const claimer = await startDevice(ns, uid, { timers: time, label: 'Claimer' });
  await waitForState(claimer.session, isStatus('checking'));
  await eventuallyPresence(
    ns,
    uid,
    (p) => p.ping !== undefined && liveHolders.every((id) => (p.devices?.[id]?.lastSeen ?? 0) >= (p.ping ?? 0)),
  );
  time.advance(PING_DEADLINE_MS + 1500);
  await waitForState(claimer.session, isStatus('active'));
  return claimer.session;
}

describe('(3) the connection drops between the claim and its onDisconnect registration', () => {
  it('a device that lives on resumes its entry and registers the release on its next connection', async () => {
    const uid = uniqueUid();
    const counts = await watchCount(uid);
    const device = await preparedDevice(uid, (link) => link.cutAfterClientMessage(isClaimOf(uid)));
    const seen: string[] = [];
    device.session.onStateChanged((state) => seen.push(state.status));

    // The claim landed, the registration did not; the SDK reconnects and the session resumes.
    await waitForState(device.session, isStatus('active'), 15_000);
    expect(seen).toContain('offline'); // the connection did drop in the window
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(1);
    expect(entries(presence)).toEqual([device.session.deviceId]);
    expect(Math.max(...counts)).toBe(1);

    // The release is registered now: the device going away gives the slot back.
    device.link.refuse();
    device.link.cut();
    await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);
    expect(Math.max(...counts)).toBe(1);
  });

  it('a device that died there leaves a ghost, which the next claimer sweeps within the deadline', async () => {
    const uid = uniqueUid();
    const phone = await startDevice(ns, uid, { timers: time, label: 'Phone' });
    await phone.session.whenClaimed();
    // The app is killed with that connection: it never comes back.
    const dying = await preparedDevice(uid, (link) => link.cutAfterClientMessage(isClaimOf(uid), { thenRefuse: true }));
    await eventuallyPresence(ns, uid, (p) => p.count === 2);
    dying.session.close();
    await sleep(SETTLE_MS);
    const ghostId = entries(await readPresence(ns, uid)).find((id) => id !== phone.session.deviceId);
    expect(ghostId).toBeDefined();
    expect((await readPresence(ns, uid)).count).toBe(2); // nothing gave it back

    const claimer = await claimAfterDeadline(uid, [phone.session.deviceId!]);
    const after = await readPresence(ns, uid);
    expect(entries(after)).toEqual([claimer.deviceId, phone.session.deviceId].sort());
    expect(after.evicted?.[ghostId!]?.reason).toBe('swept');
  });
});

describe('(2) a claim in flight when the network stopped is replayed on reconnect', () => {
  it('the replayed claim comes before the registration; the session registers right behind it, one slot only', async () => {
    const uid = uniqueUid();
    const counts = await watchCount(uid);
    // The claim and its registration leave the device, and the network stops delivering.
    const device = await preparedDevice(uid, (link) => link.holdFromClientMessage(isClaimOf(uid)));
    await sleep(SETTLE_MS);
    expect(await readPresence(ns, uid)).toEqual({});

    // The network dies for good on that connection; the SDK reconnects and replays the claim.
    device.link.cut();
    device.link.thaw();
    await waitForState(device.session, isStatus('active'), 15_000);
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 1);
    expect(entries(presence)).toEqual([device.session.deviceId]);

    device.link.refuse();
    device.link.cut();
    await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);
    expect(Math.max(...counts)).toBe(1);
  });

  it('a drop right after the replayed claim is the window of (3): a ghost the next claimer sweeps', async () => {
    const uid = uniqueUid();
    const phone = await startDevice(ns, uid, { timers: time, label: 'Phone' });
    await phone.session.whenClaimed();
    const device = await preparedDevice(uid, (link) => link.holdFromClientMessage(isClaimOf(uid)));
    await sleep(SETTLE_MS);

    // On the next connection, the replayed claim gets through and the app dies right after it.
    device.link.cutAfterClientMessage(isClaimOf(uid), { thenRefuse: true });
    device.link.cut();
    device.link.thaw();
    await eventuallyPresence(ns, uid, (p) => p.count === 2, 10_000);
    device.session.close();
    await sleep(SETTLE_MS);
    expect((await readPresence(ns, uid)).count).toBe(2);

    const claimer = await claimAfterDeadline(uid, [phone.session.deviceId!]);
    expect(entries(await readPresence(ns, uid))).toEqual([claimer.deviceId, phone.session.deviceId].sort());
  });

  it('a release asked while offline is sent on reconnect; with the slot already given back, nothing counts twice', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid, { timers: time, label: 'Laptop' });
    await device.session.whenClaimed();
    const other = await startDevice(ns, uid, { timers: time, label: 'Phone' });
    await other.session.whenClaimed();
    const counts = await watchCount(uid);

    device.link.refuse();
    device.link.cut();
    await waitForState(device.session, isStatus('offline'));
    await eventuallyPresence(ns, uid, (p) => p.count === 1); // the server ran the onDisconnect release
    await device.session.release(); // resolves at once offline
    expect(device.session.state.status).toBe('released');

    device.link.allow();
    await sleep(1500); // the SDK reconnects (its first retry is within a second) and sends the release
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(1);
    expect(entries(presence)).toEqual([other.session.deviceId]);
    expect(Math.min(...counts)).toBe(1);
    expect(device.session.state.status).toBe('released');
  });
});
