/**
 * The audit events the client writes with its operations (docs/protocol.md §6): `claimed` with the
 * claim, `released` with the release (`signed-out`) and with the onDisconnect release
 * (`disconnected`), all in the same root update as the operation, with push ids made on the client.
 * `auditEvents: false` leaves every one of them out.
 */
import { startDeviceSession } from '../../client-sdk/src';
import {
  connectDevice,
  eventuallyPresence,
  installStorage,
  killDevice,
  readAuditEvents,
  readPresence,
  sharedEmulatorSuite,
  sleep,
  startDevice,
  trackSession,
  uniqueUid,
} from './support';

const ns = sharedEmulatorSuite('demo-client-audit');

const summary = (events: Awaited<ReturnType<typeof readAuditEvents>>) =>
  events.map((e) => [e.type, e.deviceId, e.reason ?? null]);

describe('audit events (docs/protocol.md §6)', () => {
  it('records the claim, a sign-out release and a crash, each with the server time of its operation', async () => {
    const uid = uniqueUid();
    const a = await startDevice(ns, uid);
    const b = await startDevice(ns, uid);
    await Promise.all([a.session.whenClaimed(), b.session.whenClaimed()]);
    const [aId, bId] = [a.session.deviceId!, b.session.deviceId!];
    const claimed = await readPresence(ns, uid);

    await a.session.release();
    await killDevice(b);
    await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);

    const events = await readAuditEvents(ns, uid);
    expect(summary(events).sort()).toEqual(
      [
        ['claimed', aId, null],
        ['claimed', bId, null],
        ['released', aId, 'signed-out'],
        ['released', bId, 'disconnected'],
      ].sort(),
    );
    for (const event of events.filter((e) => e.type === 'claimed')) {
      expect(event.at).toBe(claimed.devices![event.deviceId]!.claimedAt); // same update as the claim
    }
  });

  it('keeps exactly one release registered when a session resumes on the same connection', async () => {
    const uid = uniqueUid();
    const storage = installStorage();
    const { db, link } = await connectDevice(ns, uid);
    const options = { platform: 'web', storage, tabs: false, lifecycle: 'manual' } as const;
    const first = trackSession(startDeviceSession(db, { uid }, options));
    await first.whenClaimed();
    first.close(); // a hot reload: no release, the registration stays on the connection
    const second = trackSession(startDeviceSession(db, { uid }, options));
    expect((await second.whenClaimed()).status).toBe('active'); // resumed, registered again

    link.refuse();
    link.cut();
    await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);
    await sleep(200);
    const released = (await readAuditEvents(ns, uid)).filter((e) => e.type === 'released');
    expect(summary(released)).toEqual([['released', second.deviceId, 'disconnected']]);
  });

  it('writes none with auditEvents: false, and the operations still go through', async () => {
    const uid = uniqueUid();
    const a = await startDevice(ns, uid, { auditEvents: false });
    const b = await startDevice(ns, uid, { auditEvents: false });
    await Promise.all([a.session.whenClaimed(), b.session.whenClaimed()]);
    const c = await startDevice(ns, uid, { auditEvents: false });
    expect((await c.session.whenClaimed()).status).toBe('limit-reached'); // no `denied` either
    await a.session.release();
    await killDevice(b);
    await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);
    await sleep(200);
    expect(await readAuditEvents(ns, uid)).toEqual([]);
  });
});
