/**
 * Failure modes 4 and 5 of issue 12, through the real SDK and a real socket (test/helpers/tcp-proxy.ts):
 * - (4) a mobile app frozen in the background: its socket stays open (the server sees a connection
 *   that answers nothing), or the OS kills it without the server noticing (half-open);
 * - (5) an unclean network drop that the server only notices minutes later, while the app runs on.
 * What the client does (client-sdk/README.md, "States"): a device that cannot answer loses its slot to
 * a device that needs it within PING_DEADLINE_MS (docs/protocol.md §4.9) and learns it as
 * `evicted` / `swept-stale` when it is back; a device that is back before anyone needed its slot
 * resumes it; and when the server finally runs the old connection's release, the rejoin window
 * (docs/protocol.md §4.11) keeps the slot for the device, which claims it back, even with a device waiting to take
 * any free slot. The old connection's release never counts twice. Minutes pass in virtual time on
 * our in-process emulator.
 */
import { onValue, ref } from 'firebase/database';
import { LEASE_RENEWAL_MS, PING_DEADLINE_MS, type DeviceSession } from '../../client-sdk/src';
import { ownEmulatorSuite } from './own-emulator';
import {
  connectDevice,
  entries,
  eventually,
  eventuallyPresence,
  isStatus,
  readPresence,
  sleep,
  startDevice,
  uniqueUid,
  waitForState,
  type Device,
} from './support';

const { ns, time } = ownEmulatorSuite('demo-client-half-open');

const SETTLE_MS = 400;
const MINUTES = 60_000;

async function active(uid: string, label: string): Promise<Device> {
  const device = await startDevice(ns, uid, { timers: time, label });
  expect((await device.session.whenClaimed()).status).toBe('active');
  return device;
}

/** Every `count` and entry set the server reports from now on. */
async function watch(uid: string): Promise<{ counts: number[]; sizes: number[] }> {
  const { db } = await connectDevice(ns, uid);
  const counts: number[] = [];
  const sizes: number[] = [];
  onValue(ref(db, `presence/${uid}`), (s) => {
    const value = (s.val() ?? {}) as { count?: number; devices?: Record<string, unknown> };
    counts.push(value.count ?? 0);
    sizes.push(Object.keys(value.devices ?? {}).length);
  });
  await eventually(() => counts.length > 0);
  return { counts, sizes };
}

/**
 * A device waiting at the limit that takes any slot it sees freed, as the demo does (demo/src/main.ts
 * `claimIfSlotFreed`): the device a released slot must not go to while its owner is coming back.
 */
async function waitingDevice(uid: string): Promise<DeviceSession> {
  const waiting = await startDevice(ns, uid, { timers: time, label: 'Waiting' });
  expect((await waiting.session.whenClaimed()).status).toBe('limit-reached');
  waiting.session.onStateChanged((state) => {
    if (state.status === 'limit-reached' && state.devices.length < state.limit) waiting.session.claim();
  });
  return waiting.session;
}

/** A claimer at the full account: checking, the live holders answer, the deadline passes. */
async function sweepingClaimer(uid: string, live: readonly Device[]): Promise<DeviceSession> {
  const claimer = await startDevice(ns, uid, { timers: time, label: 'Claimer' });
  await waitForState(claimer.session, isStatus('checking'));
  await eventuallyPresence(
    ns,
    uid,
    (p) =>
      p.ping !== undefined && live.every((d) => (p.devices?.[d.session.deviceId!]?.lastSeen ?? 0) >= (p.ping ?? 0)),
  );
  time.advance(PING_DEADLINE_MS + 1500);
  await waitForState(claimer.session, isStatus('active'));
  return claimer.session;
}

describe('(4) an app frozen in the background', () => {
  it('with its socket open and nobody needing its slot: on resume it renews its overdue lease and stays active', async () => {
    const uid = uniqueUid();
    const app = await active(uid, 'Phone app');
    await active(uid, 'Laptop');
    const claimedSeen = (await readPresence(ns, uid)).devices![app.session.deviceId!]!.lastSeen;

    app.link.freeze();
    time.advance(2 * LEASE_RENEWAL_MS); // two hours in the background: its lease timer could not run
    app.link.thaw();
    app.session.resume();
    const presence = await eventuallyPresence(
      ns,
      uid,
      (p) => (p.devices?.[app.session.deviceId!]?.lastSeen ?? 0) > claimedSeen + LEASE_RENEWAL_MS,
    );
    expect(presence.count).toBe(2);
    expect(app.session.state.status).toBe('active');
  });

  it('whose socket the OS killed without the server noticing: back, it resumes; when the server runs the old release, it claims its slot back before a waiting device can', async () => {
    const uid = uniqueUid();
    const app = await active(uid, 'Phone app');
    const laptop = await active(uid, 'Laptop');
    const waiting = await waitingDevice(uid);
    const seen = await watch(uid);

    app.link.freeze();
    app.link.halfOpen(); // the client's side is gone; the server still holds the connection
    app.link.thaw();
    await waitForState(app.session, isStatus('offline'));
    await waitForState(app.session, isStatus('active'));
    expect(app.link.staleCount).toBe(1);

    time.advance(3 * MINUTES);
    app.link.endStale(); // the server notices: the old connection's release runs, with the reservation
    await eventually(() => seen.counts.includes(1));
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 2 && p.rejoin === undefined);
    await waitForState(app.session, isStatus('active'));
    await sleep(SETTLE_MS);
    expect(entries(presence)).toEqual([app.session.deviceId, laptop.session.deviceId].sort());
    expect(app.session.state.status).toBe('active');
    expect(['checking', 'limit-reached']).toContain(waiting.state.status);
    expect(Math.min(...seen.counts)).toBe(1); // the release did run…
    expect(Math.max(...seen.counts)).toBe(2); // …and nobody else took the slot
    expect(Math.max(...seen.sizes)).toBe(2);
  });
});

describe('(5) an unclean network drop the server notices minutes later', () => {
  it('while the network is down, the device loses its slot to a device that needs it; back, it learns why', async () => {
    const uid = uniqueUid();
    const app = await active(uid, 'Phone app');
    const laptop = await active(uid, 'Laptop');

    app.link.refuse();
    app.link.halfOpen();
    await waitForState(app.session, isStatus('offline'));
    const claimer = await sweepingClaimer(uid, [laptop]);

    app.link.allow();
    const state = await waitForState(app.session, isStatus('evicted'), 10_000);
    expect(state.reason).toBe('swept-stale');

    // Minutes later the server runs the dead connection's release: refused, the entry is gone.
    time.advance(5 * MINUTES);
    app.link.endStale();
    await sleep(SETTLE_MS);
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual([claimer.deviceId, laptop.session.deviceId].sort());
    expect(presence.rejoin).toBeUndefined();
  });

  it('back before anyone needed the slot, it resumes; the late release does not cost it the slot', async () => {
    const uid = uniqueUid();
    const app = await active(uid, 'Phone app');
    await active(uid, 'Laptop');
    const waiting = await waitingDevice(uid);
    const seen = await watch(uid);

    app.link.refuse();
    app.link.halfOpen();
    await waitForState(app.session, isStatus('offline'));
    app.link.allow();
    await waitForState(app.session, isStatus('active'));

    time.advance(5 * MINUTES);
    app.link.endStale();
    await eventually(() => seen.counts.includes(1)); // the late release ran…
    const presence = await eventuallyPresence(ns, uid, (p) => p.count === 2 && p.rejoin === undefined);
    await waitForState(app.session, isStatus('active'));
    await sleep(SETTLE_MS);
    expect(presence.devices?.[app.session.deviceId!]).toBeDefined(); // …and the app claimed it back
    expect(app.session.state.status).toBe('active');
    expect(waiting.state.status).not.toBe('active');
    expect(Math.max(...seen.sizes)).toBe(2);
  });

  it('on a slow but live network (1.5 s each way) a holder still answers a check in time and keeps its slot', async () => {
    const uid = uniqueUid();
    const slow = await active(uid, 'Slow');
    const other = await active(uid, 'Other');
    slow.link.delay(1500);

    const claimer = await startDevice(ns, uid, { timers: time, label: 'Claimer' });
    const outcome = await waitForState(claimer.session, isStatus('limit-reached'), 10_000);
    expect(outcome.devices.map((d) => d.deviceId).sort()).toEqual(
      [slow.session.deviceId, other.session.deviceId].sort(),
    );
    expect(slow.session.state.status).toBe('active');
  });
});
