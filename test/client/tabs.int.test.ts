/**
 * Issue 5, "Web: several tabs of one browser share one slot". Each tab is its own `firebase` app and
 * socket, as in a browser; the tabs share the install's storage, a lock manager with the Web Locks
 * semantics, and BroadcastChannel (Node's is the same API as the browser's).
 */
import type { LeaseStore, LockManagerLike } from '../../client-sdk/src';
import {
  entries,
  eventually,
  eventuallyPresence,
  installStorage,
  isStatus,
  killDevice,
  readPresence,
  sharedEmulatorSuite,
  startDevice,
  uniqueUid,
  waitForState,
  type Device,
} from './support';
import { onValue, ref } from 'firebase/database';

const ns = sharedEmulatorSuite('demo-client-tabs');

/** One browser's `navigator.locks`: exclusive, held while the callback runs, granted in order. */
function browserLocks(): LockManagerLike {
  const held = new Set<string>();
  const waiting = new Map<string, Array<() => void>>();
  return {
    request(name, callback) {
      return new Promise((resolve, reject) => {
        const grant = () => {
          held.add(name);
          Promise.resolve()
            .then(() => callback({ name }))
            .then(resolve, reject)
            .finally(() => {
              held.delete(name);
              waiting.get(name)?.shift()?.();
            });
        };
        if (held.has(name)) waiting.set(name, [...(waiting.get(name) ?? []), grant]);
        else grant();
      });
    },
  };
}

interface Browser {
  readonly storage: ReturnType<typeof installStorage>;
  readonly locks: LockManagerLike | null;
  readonly lease: LeaseStore | null;
}

function webLocksBrowser(): Browser {
  return { storage: installStorage(), locks: browserLocks(), lease: null };
}

function leaseBrowser(): Browser {
  let value: string | null = null;
  return {
    storage: installStorage(),
    locks: null,
    lease: { get: () => value, set: (v) => void (value = v), remove: () => void (value = null) },
  };
}

function openTab(browser: Browser, uid: string): Promise<Device> {
  return startDevice(ns, uid, { storage: browser.storage, tabs: { locks: browser.locks, leaseStore: browser.lease } });
}

/** Records every `count` the server reports, to prove the tabs never held two slots. */
async function watchCount(uid: string): Promise<{ counts: number[]; stop: () => void }> {
  const observer = await startDevice(ns, uid, { tabs: false });
  observer.session.close(); // only its connection is used, to listen
  const counts: number[] = [];
  const stop = onValue(ref(observer.db, `presence/${uid}/count`), (s) => counts.push((s.val() as number | null) ?? 0));
  await eventually(() => counts.length > 0);
  return { counts, stop };
}

describe.each([
  ['Web Locks', webLocksBrowser],
  ['the storage lease (no Web Locks)', leaseBrowser],
])('tabs coordinated with %s', (_name, makeBrowser) => {
  it('share one slot: both tabs report active with the same deviceId, and another device still fits', async () => {
    const uid = uniqueUid();
    const browser = makeBrowser();
    const first = await openTab(browser, uid);
    const second = await openTab(browser, uid);
    const [a, b] = await Promise.all([first.session.whenClaimed(), second.session.whenClaimed()]);
    expect([a.status, b.status]).toEqual(['active', 'active']);
    expect(second.session.deviceId).toBe(first.session.deviceId);
    expect((await readPresence(ns, uid)).count).toBe(1);

    const phone = await startDevice(ns, uid, { platform: 'ios' });
    expect((await phone.session.whenClaimed()).status).toBe('active');
    expect((await readPresence(ns, uid)).count).toBe(2);
  });

  it('hand the slot over when the leading tab closes, without ever taking a second slot', async () => {
    const uid = uniqueUid();
    const browser = makeBrowser();
    const leader = await openTab(browser, uid);
    await leader.session.whenClaimed();
    const follower = await openTab(browser, uid);
    await waitForState(follower.session, isStatus('active'));
    const watch = await watchCount(uid);

    // Closing a tab: the page stops (the lock is released) and its socket closes.
    await killDevice(leader);
    await eventually(() => watch.counts.length > 1, 5000);
    await waitForState(follower.session, isStatus('active'), 10000);
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 1);
    expect(entries(presence)).toEqual([follower.session.deviceId]);
    expect(Math.max(...watch.counts)).toBe(1);

    // The new leader owns the onDisconnect now: closing it too frees the slot.
    await killDevice(follower);
    await eventuallyPresence(ns, uid, (p) => (p.count ?? 0) === 0);
    watch.stop();
    expect(Math.max(...watch.counts)).toBe(1);
  }, 20000);

  it('keep the slot when the leading tab closes while a device waits to take any free slot', async () => {
    const uid = uniqueUid();
    const browser = makeBrowser();
    const leader = await openTab(browser, uid);
    await leader.session.whenClaimed();
    const follower = await openTab(browser, uid);
    await waitForState(follower.session, isStatus('active'));
    const phone = await startDevice(ns, uid, { platform: 'ios' });
    expect((await phone.session.whenClaimed()).status).toBe('active');
    // Waiting at the limit, and claiming as soon as it sees a slot free, as the demo does.
    const waiting = await startDevice(ns, uid, { platform: 'android' });
    expect((await waiting.session.whenClaimed()).status).toBe('limit-reached');
    const waitingSaw: string[] = [];
    waiting.session.onStateChanged((state) => {
      waitingSaw.push(state.status);
      if (state.status === 'limit-reached' && state.devices.length < state.limit) waiting.session.claim();
    });

    const watch = await watchCount(uid);
    await killDevice(leader);
    // The server releases the slot with its rejoin reservation (protocol docs/protocol.md §4.11)…
    await eventually(() => watch.counts.includes(1), 10000);
    // …and the new leader takes it back.
    await eventuallyPresence(ns, uid, (p) => p.rejoin === undefined && p.count === 2, 10000);
    watch.stop();
    await waitForState(follower.session, isStatus('active'), 10000);
    await waitForState(waiting.session, isStatus('limit-reached'), 10000);
    const presence = await readPresence(ns, uid);
    expect(entries(presence)).toEqual([follower.session.deviceId, phone.session.deviceId].sort());
    expect(waitingSaw).not.toContain('active');
  }, 30000);

  it('release() in a following tab gives the shared slot back for all tabs', async () => {
    const uid = uniqueUid();
    const browser = makeBrowser();
    const leader = await openTab(browser, uid);
    await leader.session.whenClaimed();
    const follower = await openTab(browser, uid);
    await waitForState(follower.session, isStatus('active'));

    await follower.session.release();
    await waitForState(leader.session, isStatus('released'));
    expect(follower.session.state.status).toBe('released');
    expect((await readPresence(ns, uid)).count ?? 0).toBe(0);
  });
});
