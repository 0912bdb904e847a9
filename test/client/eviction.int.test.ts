/**
 * Issue 5, "Done when": force login and remote sign-out reach the other devices as `evicted`
 * (within a second, per the "Watches generation and its own entry"). The functions' writes are
 * made as the owner exactly as docs/protocol.md §5.1–§5.3 specify (support.ts), so these tests depend
 * on the contract, not on the functions' code.
 */
import {
  entries,
  eventuallyPresence,
  forceLoginAsServer,
  isStatus,
  killDevice,
  readPresence,
  removeAsServer,
  sharedEmulatorSuite,
  sleep,
  startDevice,
  uniqueUid,
  waitForState,
  type Device,
} from './support';

const ns = sharedEmulatorSuite('demo-client-eviction');
const SIGNED_IN_EARLY = 1_700_000_000;
const SIGNED_IN_LATER = 1_700_000_500;

async function twoActive(uid: string): Promise<[Device, Device]> {
  const a = await startDevice(ns, uid, { authTime: SIGNED_IN_EARLY, label: 'A' });
  const b = await startDevice(ns, uid, { authTime: SIGNED_IN_EARLY, label: 'B' });
  await Promise.all([a.session.whenClaimed(), b.session.whenClaimed()]);
  return [a, b];
}

describe('force login (docs/protocol.md §5.1)', () => {
  it('evicts every other device within a second and the caller becomes active in the only slot', async () => {
    const uid = uniqueUid();
    const [a, b] = await twoActive(uid);
    const c = await startDevice(ns, uid, { authTime: SIGNED_IN_LATER, label: 'C', platform: 'android' });
    expect((await c.session.whenClaimed()).status).toBe('limit-reached');

    const started = Date.now();
    const evictions = Promise.all([a, b].map((d) => waitForState(d.session, isStatus('evicted'), 1000)));
    await forceLoginAsServer(ns, uid, {
      deviceId: c.session.deviceId!,
      platform: c.session.platform,
      label: c.session.label,
      authTime: SIGNED_IN_LATER,
    });
    const states = await evictions;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(states.map((s) => s.reason)).toEqual(['force-login', 'force-login']);

    // No silent no-op: claiming again without signing in again says what to do.
    expect(() => a.session.claim()).toThrow(
      expect.objectContaining({ code: 'device-limit/sign-in-required', message: expect.stringMatching(/sign/i) }),
    );
    expect(a.session.state.status).toBe('evicted');

    // What forceLogin(functions, session) does after the callable: the session resumes its new entry.
    c.session.claim();
    await waitForState(c.session, isStatus('active'));
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(1);
    expect(entries(presence)).toEqual([c.session.deviceId]);

    // The evicted devices' onDisconnect releases are refused when their sockets close (entries gone).
    await killDevice(a);
    await killDevice(b);
    await sleep(300);
    expect((await readPresence(ns, uid)).count).toBe(1);
    expect(c.session.state.status).toBe('active');
  });

  it('keeps the caller active when it forces login while already holding a slot', async () => {
    const uid = uniqueUid();
    const [a, b] = await twoActive(uid);
    const eviction = waitForState(b.session, isStatus('evicted'), 1000);
    await forceLoginAsServer(ns, uid, {
      deviceId: a.session.deviceId!,
      platform: 'web',
      label: 'A',
      authTime: SIGNED_IN_EARLY,
    });
    expect((await eviction).reason).toBe('force-login');
    await sleep(200);
    expect(a.session.state.status).toBe('active');
    expect((await readPresence(ns, uid)).count).toBe(1);
  });

  it('shuts out a session signed in before the force login when it starts (auth_time < notBefore)', async () => {
    const uid = uniqueUid();
    const winner = await startDevice(ns, uid, { authTime: SIGNED_IN_LATER });
    await winner.session.whenClaimed();
    await forceLoginAsServer(ns, uid, {
      deviceId: winner.session.deviceId!,
      platform: 'web',
      label: 'winner',
      authTime: SIGNED_IN_LATER,
    });
    await winner.session.release();

    const stale = await startDevice(ns, uid, { authTime: SIGNED_IN_EARLY });
    const outcome = await stale.session.whenClaimed();
    expect(outcome).toEqual({ status: 'evicted', deviceId: stale.session.deviceId, reason: 'force-login' });
    expect((await readPresence(ns, uid)).count ?? 0).toBe(0);

    const fresh = await startDevice(ns, uid, { authTime: SIGNED_IN_LATER + 10 });
    expect((await fresh.session.whenClaimed()).status).toBe('active');
  });
});

describe('remote sign-out (docs/protocol.md §5.2) and the sweep (docs/protocol.md §5.3)', () => {
  it('reports a remote sign-out to that device only, within a second', async () => {
    const uid = uniqueUid();
    const [a, b] = await twoActive(uid);
    const started = Date.now();
    const eviction = waitForState(b.session, isStatus('evicted'), 1000);
    await removeAsServer(ns, uid, b.session.deviceId!, 'signed-out');
    expect(await eviction).toEqual({ status: 'evicted', deviceId: b.session.deviceId, reason: 'signed-out-remotely' });
    expect(Date.now() - started).toBeLessThan(1000);

    await sleep(200);
    expect(a.session.state.status).toBe('active');
    expect(b.session.state.status).toBe('evicted'); // it does not claim its way back in
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(1);
    expect(entries(presence)).toEqual([a.session.deviceId]);

    // Its onDisconnect release is refused later: the count stays right.
    await killDevice(b);
    await sleep(300);
    expect((await readPresence(ns, uid)).count).toBe(1);
  });

  it('reports a swept entry as swept-stale, and the device can claim again when asked', async () => {
    const uid = uniqueUid();
    const [, b] = await twoActive(uid);
    const eviction = waitForState(b.session, isStatus('evicted'), 1000);
    await removeAsServer(ns, uid, b.session.deviceId!, 'swept');
    expect((await eviction).reason).toBe('swept-stale');
    b.session.claim();
    await waitForState(b.session, isStatus('active'));
    await eventuallyPresence(ns, uid, (p) => p.count === 2);
  });
});
