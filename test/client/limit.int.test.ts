/**
 * Issue 5, "Done when": limit 2 lets two in and reports limit-reached with the device list to the
 * third. Each device is a separate `firebase` app (its own socket) of the same user.
 */
import { listDevices } from '../../client-sdk/src';
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
} from './support';

const ns = sharedEmulatorSuite('demo-client-limit');

describe('the device limit', () => {
  it('lets two devices in with the default limit and tells the third which devices hold the slots', async () => {
    const uid = uniqueUid();
    const laptop = await startDevice(ns, uid, { label: 'Laptop' });
    expect((await laptop.session.whenClaimed()).status).toBe('active');
    const phone = await startDevice(ns, uid, { platform: 'ios', label: 'Phone' });
    const phoneOutcome = await phone.session.whenClaimed();
    expect(phoneOutcome.status).toBe('active');
    if (phoneOutcome.status === 'active') {
      expect(phoneOutcome.limit).toBe(2);
      expect(phoneOutcome.devices.map((d) => [d.label, d.current])).toEqual([
        ['Laptop', false],
        ['Phone', true],
      ]);
    }

    const tablet = await startDevice(ns, uid, { platform: 'android', label: 'Tablet' });
    const outcome = await tablet.session.whenClaimed();
    if (outcome.status !== 'limit-reached') throw new Error(`expected limit-reached, got ${outcome.status}`);
    expect(outcome.limit).toBe(2);
    expect(
      outcome.devices.map((d) => ({ deviceId: d.deviceId, platform: d.platform, label: d.label, current: d.current })),
    ).toEqual([
      { deviceId: laptop.session.deviceId, platform: 'web', label: 'Laptop', current: false },
      { deviceId: phone.session.deviceId, platform: 'ios', label: 'Phone', current: false },
    ]);
    for (const device of outcome.devices) {
      expect(device.claimedAt).toBeGreaterThan(0);
      expect(device.lastSeen).toBeGreaterThanOrEqual(device.claimedAt);
    }

    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual([laptop.session.deviceId, phone.session.deviceId].sort());
    // The refused device recorded why it holds no slot (docs/protocol.md §6, `denied`).
    const events = (await owner('GET', `presenceEvents/${uid}`, ns)) as Record<
      string,
      { type: string; deviceId: string }
    >;
    expect(Object.values(events)).toContainEqual(
      expect.objectContaining({ type: 'denied', deviceId: tablet.session.deviceId }),
    );
  });

  it('lets the third device in once the user signs one out and it claims again', async () => {
    const uid = uniqueUid();
    const a = await startDevice(ns, uid);
    const b = await startDevice(ns, uid);
    await Promise.all([a.session.whenClaimed(), b.session.whenClaimed()]);
    const c = await startDevice(ns, uid);
    expect((await c.session.whenClaimed()).status).toBe('limit-reached');

    await b.session.release();
    expect(b.session.state).toEqual({ status: 'released', deviceId: b.session.deviceId, reason: 'released' });
    // The limit-reached device list is live: it shows the freed slot.
    await waitForState(c.session, (s) => s.status === 'limit-reached' && s.devices.length === 1);
    c.session.claim();
    await waitForState(c.session, isStatus('active'));
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 2);
    expect(entries(presence)).toEqual([a.session.deviceId, c.session.deviceId].sort());
  });

  it('follows a per-user limit from /limits/{uid}', async () => {
    const uid = uniqueUid();
    await owner('PUT', `limits/${uid}`, ns, 3);
    const devices = [];
    for (let i = 0; i < 3; i++) devices.push(await startDevice(ns, uid));
    const outcomes = await Promise.all(devices.map((d) => d.session.whenClaimed()));
    expect(outcomes.map((o) => o.status)).toEqual(['active', 'active', 'active']);
    const fourth = await startDevice(ns, uid);
    const outcome = await fourth.session.whenClaimed();
    expect(outcome.status === 'limit-reached' && outcome.limit).toBe(3);
    expect((await readPresence(ns, uid)).count).toBe(3);
  });

  it('lists the devices for the owner (listDevices)', async () => {
    const uid = uniqueUid();
    const a = await startDevice(ns, uid, { label: 'First' });
    await a.session.whenClaimed();
    const list = await listDevices(a.db, uid, a.session.deviceId);
    expect(list.map((d) => [d.label, d.current])).toEqual([['First', true]]);
  });
});
