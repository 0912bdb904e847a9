/**
 * Issue 5, "Done when": killing a device's socket abruptly frees its slot; release cancels the
 * onDisconnect (count stays right after the socket then closes); a reconnect re-registers and
 * re-claims; a re-opened install reuses its slot. Sockets are killed with a TCP reset through each
 * device's own proxy (support.ts DeviceLink), never with a clean goOffline().
 */
import { onValue, ref } from 'firebase/database';
import { startDeviceSession } from '../../client-sdk/src';
import {
  connectDevice,
  entries,
  eventually,
  eventuallyPresence,
  installStorage,
  isStatus,
  killDevice,
  readPresence,
  sharedEmulatorSuite,
  sleep,
  startDevice,
  trackSession,
  uniqueUid,
  waitForState,
} from './support';

const ns = sharedEmulatorSuite('demo-client-disconnect');

describe('the onDisconnect release', () => {
  it('frees the slot of a device whose socket dies abruptly', async () => {
    const uid = uniqueUid();
    const a = await startDevice(ns, uid);
    const b = await startDevice(ns, uid);
    await Promise.all([a.session.whenClaimed(), b.session.whenClaimed()]);
    expect((await readPresence(ns, uid)).count).toBe(2);

    await killDevice(a);
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 1);
    expect(entries(presence)).toEqual([b.session.deviceId]);

    const c = await startDevice(ns, uid);
    expect((await c.session.whenClaimed()).status).toBe('active');
  });

  it('is cancelled by release(), so the socket closing later does not give the slot back twice', async () => {
    const uid = uniqueUid();
    const storage = installStorage();
    const first = await startDevice(ns, uid, { storage });
    await first.session.whenClaimed();
    await first.session.release();
    expect((await readPresence(ns, uid)).count ?? 0).toBe(0);

    // The same install claims again on another connection (a second launch, another tab)…
    const second = await startDevice(ns, uid, { storage });
    await second.session.whenClaimed();
    expect(second.session.deviceId).toBe(first.session.deviceId);

    // …then the first connection dies. Had its onDisconnect survived the release, it would now remove
    // the entry the second connection holds (the rules allow that release: the entry exists), and the
    // count would drop to 0 until the second connection claimed again. Watch every value.
    const observer = await connectDevice(ns, uid);
    const counts: number[] = [];
    const unsubscribe = onValue(ref(observer.db, `presence/${uid}/count`), (snapshot) =>
      counts.push(snapshot.val() as number),
    );
    await eventually(() => counts.length > 0);
    first.link.cut();
    first.link.refuse();
    await sleep(750);
    unsubscribe();
    expect(counts.every((count) => count === 1)).toBe(true);
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(1);
    expect(entries(presence)).toEqual([second.session.deviceId]);
    expect(second.session.state.status).toBe('active');
  });
});

describe('reconnecting', () => {
  it('goes offline, then re-claims and re-registers its onDisconnect when the connection returns', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid);
    const other = await startDevice(ns, uid);
    await Promise.all([device.session.whenClaimed(), other.session.whenClaimed()]);
    const deviceId = device.session.deviceId;

    // Network loss: the server runs the onDisconnect (count 2 → 1); the SDK reconnects on its own.
    device.link.cut();
    await waitForState(device.session, isStatus('offline'));
    await waitForState(device.session, isStatus('active'), 15000);
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 2);
    expect(entries(presence)).toEqual([deviceId, other.session.deviceId].sort());

    // The onDisconnect was registered on the new connection: killing it for good frees the slot.
    await killDevice(device);
    const after = await eventuallyPresence(ns, uid, (p) => p.count === 1);
    expect(entries(after)).toEqual([other.session.deviceId]);
  }, 30000);

  it('reports limit-reached after a reconnect when another device took the freed slot meanwhile', async () => {
    const uid = uniqueUid();
    const device = await startDevice(ns, uid);
    const other = await startDevice(ns, uid);
    await Promise.all([device.session.whenClaimed(), other.session.whenClaimed()]);

    device.link.refuse();
    device.link.cut();
    await eventuallyPresence(ns, uid, (p) => p.count === 1);
    const newcomer = await startDevice(ns, uid);
    expect((await newcomer.session.whenClaimed()).status).toBe('active');

    const reconnecting = await startDevice(ns, uid, { deviceId: device.session.deviceId ?? undefined });
    const outcome = await reconnecting.session.whenClaimed();
    expect(outcome.status).toBe('limit-reached');
    expect((await readPresence(ns, uid)).count).toBe(2);
  });
});

describe('a re-opened install', () => {
  it('reuses its slot when the previous run is gone', async () => {
    const uid = uniqueUid();
    const storage = installStorage();
    const firstRun = await startDevice(ns, uid, { storage });
    const other = await startDevice(ns, uid);
    await Promise.all([firstRun.session.whenClaimed(), other.session.whenClaimed()]);
    await killDevice(firstRun);

    const secondRun = await startDevice(ns, uid, { storage });
    expect((await secondRun.session.whenClaimed()).status).toBe('active');
    expect(secondRun.session.deviceId).toBe(firstRun.session.deviceId);
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 2);
    expect(entries(presence)).toEqual([secondRun.session.deviceId, other.session.deviceId].sort());
  });

  it('resumes its own entry while the previous run is still connected, without taking a second slot', async () => {
    const uid = uniqueUid();
    const storage = installStorage();
    const firstRun = await startDevice(ns, uid, { storage });
    const other = await startDevice(ns, uid);
    await Promise.all([firstRun.session.whenClaimed(), other.session.whenClaimed()]);

    // The limit is full, yet the same install gets in again: it resumes (docs/protocol.md §4.3) instead of claiming.
    const { db } = await connectDevice(ns, uid);
    const secondRun = trackSession(
      startDeviceSession(db, { uid }, { platform: 'web', storage, tabs: false, lifecycle: 'manual' }),
    );
    expect((await secondRun.whenClaimed()).status).toBe('active');
    expect((await readPresence(ns, uid)).count).toBe(2);

    // The old run's socket finally dies: its onDisconnect removes the shared entry without an
    // eviction notice, and the new run claims it back (docs/protocol.md §4.8.2).
    firstRun.session.close();
    firstRun.link.refuse();
    firstRun.link.cut();
    await waitForState(secondRun, isStatus('claiming'));
    await waitForState(secondRun, isStatus('active'));
    const presence = await eventuallyPresence(
      ns,
      uid,
      (p) => p.count === 2 && Object.keys(p.devices ?? {}).length === 2,
    );
    expect(entries(presence)).toEqual([secondRun.deviceId, other.session.deviceId].sort());
  });

  it('registers the onDisconnect release again when it resumes an existing entry', async () => {
    const uid = uniqueUid();
    const storage = installStorage();
    const firstRun = await startDevice(ns, uid, { storage });
    await firstRun.session.whenClaimed();
    const secondRun = await startDevice(ns, uid, { storage });
    expect((await secondRun.session.whenClaimed()).status).toBe('active');

    // Only the second run's registration can give the slot back now: the first run's session is stopped
    // (its socket stays open), and the second run dies abruptly.
    firstRun.session.close();
    await killDevice(secondRun);
    const presence = await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);
    expect(entries(presence)).toEqual([]);
  });
});
