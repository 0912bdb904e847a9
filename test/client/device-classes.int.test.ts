/**
 * Device classes with real sessions (docs/protocol.md §11.3): with an admin's class limits
 * (`mobile: 1, tv: 1`, total 5), a second phone is refused with `limit-reached` naming its class while
 * a TV and a browser get in; releases, kills (the server's onDisconnect) and replaces keep each class
 * counter equal to its entries. Each device is its own `firebase` app and socket.
 */
import {
  eventuallyPresence,
  isStatus,
  killDevice,
  owner,
  readPresence,
  sharedEmulatorSuite,
  startDevice,
  uniqueUid,
  waitForState,
} from './support';

const ns = sharedEmulatorSuite('demo-client-classes');

/** A user with a total of 5 and the class limits `limits`, as setClassLimits leaves them. */
async function classedUser(limits: Record<string, number>): Promise<string> {
  const uid = uniqueUid();
  await owner('PUT', `limits/${uid}`, ns, 5);
  await owner('PUT', `presence/${uid}/classLimits`, ns, limits);
  return uid;
}

describe('class limits', () => {
  it('one phone, one TV, any number of browsers; the second phone is told its class is full', async () => {
    const uid = await classedUser({ mobile: 1, tv: 1 });
    const phone = await startDevice(ns, uid, { platform: 'ios', label: 'iPhone' });
    expect((await phone.session.whenClaimed()).status).toBe('active');
    const tv = await startDevice(ns, uid, { platform: 'android', label: 'TV', deviceClass: 'tv' });
    expect((await tv.session.whenClaimed()).status).toBe('active');
    const browser = await startDevice(ns, uid, { platform: 'web', label: 'Chrome' });
    expect((await browser.session.whenClaimed()).status).toBe('active');
    const second = await startDevice(ns, uid, { platform: 'android', label: 'Pixel' });
    expect(await second.session.whenClaimed()).toMatchObject({
      status: 'limit-reached',
      limit: 5,
      classLimit: { deviceClass: 'mobile', limit: 1 },
    });
    expect((await readPresence(ns, uid)).classCount).toEqual({ mobile: 1, tv: 1, web: 1 });

    // The phone signs out: the second phone gets in when it claims again.
    await phone.session.release();
    await eventuallyPresence(ns, uid, (p) => p.classCount?.mobile === 0);
    second.session.claim();
    await waitForState(second.session, isStatus('active'));
    expect((await readPresence(ns, uid)).classCount).toEqual({ mobile: 1, tv: 1, web: 1 });
  });

  it("a killed device's onDisconnect release takes its class counter down", async () => {
    const uid = await classedUser({ tv: 1 });
    const tv = await startDevice(ns, uid, { platform: 'android', label: 'TV', deviceClass: 'tv' });
    await tv.session.whenClaimed();
    await killDevice(tv);
    const presence = await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);
    expect(presence.classCount).toEqual({ tv: 0 });
    const next = await startDevice(ns, uid, { platform: 'android', label: 'New TV', deviceClass: 'tv' });
    expect((await next.session.whenClaimed()).status).toBe('active');
  });

  it('under evict-least-recent, a new phone replaces the phone, not the older TV', async () => {
    const uid = await classedUser({ mobile: 1 });
    const tv = await startDevice(ns, uid, { platform: 'android', label: 'TV', deviceClass: 'tv' });
    await tv.session.whenClaimed();
    const phone = await startDevice(ns, uid, { platform: 'ios', label: 'Old phone' });
    await phone.session.whenClaimed();
    const newer = await startDevice(ns, uid, { platform: 'android', label: 'New phone', policy: 'evict-least-recent' });
    expect((await newer.session.whenClaimed()).status).toBe('active');
    await waitForState(phone.session, (s) => s.status === 'evicted' && s.reason === 'replaced');
    expect(tv.session.state.status).toBe('active');
    expect((await readPresence(ns, uid)).classCount).toEqual({ mobile: 1, tv: 1 });
  });

  it('a phone cannot declare itself a desktop (the rules would refuse its claims)', async () => {
    await expect(startDevice(ns, uniqueUid(), { platform: 'android', deviceClass: 'desktop' })).rejects.toMatchObject({
      code: 'device-limit/invalid-argument',
    });
  });
});
