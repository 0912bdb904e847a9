/**
 * A server restart (issue 10, "Done when": the ghost cases): our emulator stops and starts again on
 * the same port with the data it had, its onDisconnect queues lost with the old process. Surviving
 * clients reconnect, find their entry and resume it (lease renewal + a new onDisconnect release,
 * docs/protocol.md §4.3); a device that never comes back is a ghost, swept by the liveness check the
 * first time a live device needs its slot (docs/protocol.md §4.9). Time is virtual for the deadline (virtual-time.ts).
 */
import { PING_DEADLINE_MS } from '../../client-sdk/src';
import { ownEmulatorSuite } from './own-emulator';
import {
  entries,
  eventuallyPresence,
  isStatus,
  killDevice,
  readPresence,
  startDevice,
  uniqueUid,
  waitForState,
} from './support';

const { ns, time, emulator } = ownEmulatorSuite('demo-client-restart');

/** The SDK retries a lost connection after about 1 s, then backs off (PersistentConnection). */
const RECONNECT_MS = 15_000;

it('survivors resume and re-register; a device that never returns is swept on contention', async () => {
  const uid = uniqueUid();
  const survivor = await startDevice(ns, uid, { timers: time, label: 'Survivor' });
  const lost = await startDevice(ns, uid, { timers: time, label: 'Lost' });
  await Promise.all([survivor.session.whenClaimed(), lost.session.whenClaimed()]);
  const survivorId = survivor.session.deviceId!;
  const lostId = lost.session.deviceId!;
  const before = await readPresence(ns, uid);

  // The lost device's app is gone for good; its socket dies with the server.
  lost.session.close();
  lost.link.refuse();
  await emulator().restart();
  expect(entries(await readPresence(ns, uid))).toEqual([survivorId, lostId].sort()); // no onDisconnect ran

  // The survivor comes back and renews the lease of the entry it still has (docs/protocol.md §4.3).
  await waitForState(survivor.session, isStatus('offline'));
  await waitForState(survivor.session, isStatus('active'), RECONNECT_MS);
  const resumed = await eventuallyPresence(
    ns,
    uid,
    (p) => (p.devices?.[survivorId]?.lastSeen ?? 0) > before.devices![survivorId]!.lastSeen,
  );
  expect(resumed.devices![survivorId]!.claimedAt).toBe(before.devices![survivorId]!.claimedAt);
  expect(resumed.count).toBe(2);

  // A newcomer meets the full account: the survivor answers the check, the lost device cannot.
  const newcomer = await startDevice(ns, uid, { timers: time, label: 'Newcomer' });
  await waitForState(newcomer.session, isStatus('checking'));
  await eventuallyPresence(ns, uid, (p) => p.ping !== undefined && (p.devices?.[survivorId]?.lastSeen ?? 0) >= p.ping);
  time.advance(PING_DEADLINE_MS + 1500);
  await waitForState(newcomer.session, isStatus('active'));
  const after = await readPresence(ns, uid);
  expect(entries(after)).toEqual([survivorId, newcomer.session.deviceId].sort());
  expect(after.count).toBe(2);
  expect(after.evicted?.[lostId]?.reason).toBe('swept');
  expect(survivor.session.state.status).toBe('active');

  // The survivor registered its onDisconnect release again on the new connection: a crash frees it.
  await killDevice(survivor);
  const crashed = await eventuallyPresence(ns, uid, (p) => p.count === 1);
  expect(entries(crashed)).toEqual([newcomer.session.deviceId]);
}, 60_000);
