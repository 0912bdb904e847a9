/**
 * Per-plan limits in the client (docs/protocol.md §11.1): a session whose ID token carries the
 * custom claim `deviceLimit` claims up to that limit, reports it as `limit`, and records it as the
 * server's copy `planLimit` with its claim; the admin override `/limits/{uid}` still wins. Each device
 * is its own `firebase` app and socket, signed in with a mock token that carries the claim.
 */
import {
  entries,
  eventuallyPresence,
  owner,
  readPresence,
  sharedEmulatorSuite,
  startDevice,
  uniqueUid,
} from './support';

const ns = sharedEmulatorSuite('demo-client-plan');

describe('a plan limit on the ID token', () => {
  it('lets three devices in on a plan of 3, reports the limit, and records the copy', async () => {
    const uid = uniqueUid();
    const claims = { deviceLimit: 3 };
    const devices = [];
    for (let i = 0; i < 3; i++) {
      const device = await startDevice(ns, uid, { claims, label: `Device ${i}` });
      const outcome = await device.session.whenClaimed();
      expect(outcome).toMatchObject({ status: 'active', limit: 3 });
      devices.push(device);
    }
    const fourth = await startDevice(ns, uid, { claims, label: 'Fourth' });
    expect(await fourth.session.whenClaimed()).toMatchObject({ status: 'limit-reached', limit: 3 });
    const presence = await readPresence(ns, uid);
    expect(presence).toMatchObject({ count: 3, planLimit: 3 });
    expect(entries(presence)).toEqual(devices.map((d) => d.session.deviceId).sort());
  });

  it('a plan of 1 admits one device; the next one reports limit-reached with the limit 1', async () => {
    const uid = uniqueUid();
    const first = await startDevice(ns, uid, { claims: { deviceLimit: 1 } });
    expect(await first.session.whenClaimed()).toMatchObject({ status: 'active', limit: 1 });
    const second = await startDevice(ns, uid, { claims: { deviceLimit: 1 } });
    expect(await second.session.whenClaimed()).toMatchObject({ status: 'limit-reached', limit: 1 });
  });

  it('the /limits override wins over the plan', async () => {
    const uid = uniqueUid();
    await owner('PUT', `limits/${uid}`, ns, 1);
    const first = await startDevice(ns, uid, { claims: { deviceLimit: 3 } });
    expect(await first.session.whenClaimed()).toMatchObject({ status: 'active', limit: 1 });
    const second = await startDevice(ns, uid, { claims: { deviceLimit: 3 } });
    expect(await second.session.whenClaimed()).toMatchObject({ status: 'limit-reached', limit: 1 });
  });

  it('a malformed claim is ignored: the default applies', async () => {
    const uid = uniqueUid();
    const first = await startDevice(ns, uid, { claims: { deviceLimit: '5' } });
    expect(await first.session.whenClaimed()).toMatchObject({ status: 'active', limit: 2 });
    expect(await readPresence(ns, uid)).not.toHaveProperty('planLimit');
  });

  it('a claim from a token without a plan removes a copy left by an earlier plan', async () => {
    const uid = uniqueUid();
    const paid = await startDevice(ns, uid, { claims: { deviceLimit: 3 } });
    await paid.session.whenClaimed();
    await eventuallyPresence(ns, uid, (p) => p.planLimit === 3);
    const free = await startDevice(ns, uid);
    expect(await free.session.whenClaimed()).toMatchObject({ status: 'active', limit: 2 });
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(2);
    expect(presence).not.toHaveProperty('planLimit');
  });
});
