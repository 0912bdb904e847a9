/**
 * A change of the shard map while users hold slots (docs/protocol.md §10.3): the project goes from one
 * instance (epoch 0, `[D]`) to three (epoch 1, `[D, P1, P2]` with `previous: [D]`), and users whose
 * instance changes have devices connected. What must hold: no slot is lost or doubled — a user's
 * entries are never on two instances at once, so they never hold more than their limit across both;
 * devices connected before the change keep their slots on the old instance until they leave; after
 * that a fence closes the old instance for the user and new devices claim on the new one.
 *
 * Devices are real `firebase` apps with real sessions over real sockets (test/shards/support.ts's
 * project: three namespaces of our emulator with the generated rules). "Never on two instances at
 * once" is checked on the audit trail, whose events the clients write in the same update as each
 * claim and release, stamped with the server's clock (the one clock of the emulator): on the old
 * instance every entry ended before the first entry on the new one began.
 */
import type { DeviceSession, DeviceSessionOptions } from '../../client-sdk/src';
import {
  deviceIds,
  presenceOldAndHome,
  readEverywhere,
  startMapDevice,
  startShardMigration,
  stopShardedProject,
  uidOn,
  waitForStatus,
  type ShardedProject,
  type ShardMigration,
} from './support';

let project: ShardedProject;
let D: string;
let P1: string;
let P2: string;
/** The map before the change: every user on the default instance (epoch 0). */
let oldMap: ShardMigration['oldMap'];
/** The map during the migration (docs/protocol.md §10.2): epoch 1, with the old list as previous. */
let migrationMap: ShardMigration['migrationMap'];

beforeAll(async () => {
  ({ project, D, P1, P2, oldMap, migrationMap } = await startShardMigration());
});
afterAll(stopShardedProject);

/** docs/protocol.md §10.5 step 2: the operator opens epoch 1 on every instance, old and new. */
async function openEpoch(epoch: number): Promise<void> {
  await Promise.all([...project.admin.values()].map((db) => db.ref('shardEpoch').set(epoch)));
}

/** A device of `uid` on its own app and socket, its session started with `map`. */
const device = (uid: string, map: object, options: DeviceSessionOptions = {}) =>
  startMapDevice(project, uid, map, { name: 'migration', options });

interface Presence {
  count?: number;
  movedOut?: number;
  mapEpoch?: number;
  devices?: Record<string, unknown>;
}

/** `/presence/{uid}` on the old instance and on the user's new one (the third is checked empty). */
const presence = (uid: string, home: string) => presenceOldAndHome<Presence>(project, uid, home);

/**
 * From the audit trails of both instances: every entry on the old instance ended (released) before
 * the first entry on the new one began (claimed), by the server's clock. Both sides' events are
 * written by the same update as the claim or release they record (docs/protocol.md §6).
 */
async function expectNeverOnBoth(uid: string, home: string): Promise<void> {
  const trails = await readEverywhere(project, 'presenceEvents', uid);
  const events = (instance: string) =>
    Object.values((trails[instance] ?? {}) as Record<string, { type: string; at: number }>);
  const oldEnds = events(D)
    .filter((event) => event.type === 'released' || event.type === 'swept')
    .map((event) => event.at);
  const oldClaims = events(D).filter((event) => event.type === 'claimed').length;
  const homeClaims = events(home)
    .filter((event) => event.type === 'claimed')
    .map((event) => event.at);
  if (homeClaims.length === 0 || oldClaims === 0) return;
  // Every claim on the old instance was released (or swept) before the new one took its first claim.
  expect(oldEnds.length).toBe(oldClaims);
  expect(Math.max(...oldEnds)).toBeLessThanOrEqual(Math.min(...homeClaims));
}

test('devices connected before the change finish on the old instance; the next device after them moves the user', async () => {
  await openEpoch(0);
  const uid = uidOn(project, P1, 'moved');
  // Before the change: two devices of the user on the default instance, the only one (limit 2).
  const a = device(uid, oldMap);
  const b = device(uid, oldMap);
  await Promise.all([waitForStatus(a, 'active'), waitForStatus(b, 'active')]);

  // The change (docs/protocol.md §10.5 steps 2 and 5): epoch 1 opens everywhere, new sessions get the migration map.
  await openEpoch(1);
  const c = device(uid, migrationMap);
  // The old instance still holds the user's two devices, so it keeps serving them: c is refused
  // there at the limit, and nothing is claimed on the new instance.
  await waitForStatus(c, 'limit-reached', 25_000);
  let state = await presence(uid, P1);
  expect([state.old.count, deviceIds(state.old).length, state.home]).toEqual([2, 2, {}]);

  // a leaves: c takes its slot, still on the old instance (b is there).
  await a.release();
  // c claims once its own listener has seen the slot free (a claim() decided on the older cache
  // settles at the limit again: docs/protocol.md §4.9 step 4).
  await until(() => c.state.status === 'limit-reached' && c.state.devices.length === 1);
  c.claim();
  await waitForStatus(c, 'active');
  state = await presence(uid, P1);
  expect([state.old.count, deviceIds(state.old), state.home]).toEqual([2, [b.deviceId, c.deviceId].sort(), {}]);
  expect(state.old.mapEpoch).toBe(1);

  // Both leave: the user holds nothing anywhere. The next device fences the old instance and claims
  // on the new one.
  await Promise.all([b.release(), c.release()]);
  const e = device(uid, migrationMap);
  await waitForStatus(e, 'active');
  state = await presence(uid, P1);
  expect([state.old.movedOut, state.old.devices, state.old.count]).toEqual([1, undefined, 0]);
  expect([state.home.count, deviceIds(state.home), state.home.mapEpoch]).toEqual([1, [e.deviceId], 1]);

  // A device still on the old map (epoch 0) cannot claim behind the fence: the user would otherwise
  // hold slots on both instances. It gives up with claim-failed; nothing was counted.
  const stale = device(uid, oldMap);
  const outcome = await stale.whenClaimed();
  expect(outcome.status === 'released' ? outcome.error?.code : outcome.status).toBe('device-limit/claim-failed');
  // New devices of the migration map go to the new instance, where the limit applies as before.
  const f = device(uid, migrationMap);
  await waitForStatus(f, 'active');
  const g = device(uid, migrationMap);
  await waitForStatus(g, 'limit-reached', 25_000);
  state = await presence(uid, P1);
  expect([state.old.devices, state.home.count, deviceIds(state.home)]).toEqual([
    undefined,
    2,
    [e.deviceId, f.deviceId].sort(),
  ]);
  await expectNeverOnBoth(uid, P1);
});

test('a user who holds nothing moves at the first device; two devices fencing at once both land on the new instance', async () => {
  await openEpoch(1);
  const uid = uidOn(project, P2, 'idle');
  const [x, y] = [device(uid, migrationMap), device(uid, migrationMap)];
  await Promise.all([waitForStatus(x, 'active'), waitForStatus(y, 'active')]);
  const state = await presence(uid, P2);
  // One fence was accepted, the other refused (R2: only upwards); the refused one read the fence.
  expect([state.old.movedOut, state.old.devices]).toEqual([1, undefined]);
  expect([state.home.count, deviceIds(state.home)]).toEqual([2, [x.deviceId, y.deviceId].sort()]);
});

test('a race during the switch: the last old device leaves while three new devices claim; never more than the limit, never on both', async () => {
  await openEpoch(1);
  for (let round = 0; round < 4; round++) {
    const uid = uidOn(project, P1, `race${round}`);
    const old = device(uid, { instances: [D], epoch: 1 });
    await waitForStatus(old, 'active');
    // The holder leaves at the moment three devices of the new map start: some of them may read
    // its entry and aim for the old instance, others find it gone and fence.
    const racers = [device(uid, migrationMap), device(uid, migrationMap), device(uid, migrationMap)];
    await old.release();
    const outcomes = await Promise.all(racers.map((racer) => settled(racer)));
    const state = await presence(uid, P1);
    const onOld = deviceIds(state.old);
    const onHome = deviceIds(state.home);
    // Exactly the limit's worth of slots, all on one instance, held by the devices that report them.
    expect(onOld.length === 0 || onHome.length === 0).toBe(true);
    const holders = racers.filter((_racer, i) => outcomes[i] === 'active').map((racer) => racer.deviceId);
    expect([...onOld, ...onHome].sort()).toEqual(holders.sort());
    expect(holders).toHaveLength(2);
    expect(outcomes.filter((status) => status === 'limit-reached')).toHaveLength(1);
    expect((onOld.length > 0 ? state.old : state.home).count).toBe(2);
    await expectNeverOnBoth(uid, P1);
    await Promise.all(racers.map((racer) => racer.release()));
  }
});

test('a device placed on the old instance that is fenced before it claims places itself again, on the new one', async () => {
  await openEpoch(1);
  const uid = uidOn(project, P2, 'fenced');
  const [a, b] = [device(uid, { instances: [D], epoch: 1 }), device(uid, { instances: [D], epoch: 1 })];
  await Promise.all([waitForStatus(a, 'active'), waitForStatus(b, 'active')]);
  // x is placed on the old instance (the user holds two slots there) and waits at the limit.
  const x = device(uid, migrationMap);
  await waitForStatus(x, 'limit-reached', 25_000);
  // Both holders leave, and another device of the new map fences the old instance and moves the user.
  await Promise.all([a.release(), b.release()]);
  const y = device(uid, migrationMap);
  await waitForStatus(y, 'active');
  let state = await presence(uid, P2);
  expect([state.old.movedOut, state.old.devices, deviceIds(state.home)]).toEqual([1, undefined, [y.deviceId]]);
  // x claims where it was placed: the rules refuse it behind the fence (R1), so it places itself
  // again (docs/protocol.md §10.3 step 4), finds the fence, and claims on the new instance.
  await until(() => x.state.status === 'limit-reached' && x.state.devices.length === 0);
  x.claim();
  await waitForStatus(x, 'active');
  state = await presence(uid, P2);
  expect([state.old.devices, state.old.count, state.home.count, deviceIds(state.home)]).toEqual([
    undefined,
    0,
    2,
    [x.deviceId, y.deviceId].sort(),
  ]);
  await expectNeverOnBoth(uid, P2);
});

/** The settled status of a session, waiting through `checking` (a liveness check at the limit). */
async function settled(session: DeviceSession): Promise<string> {
  const first = await session.whenClaimed();
  if (first.status !== 'limit-reached' && first.status !== 'active') return first.status;
  // A session may settle at limit-reached and later be active, or the other way round, only through
  // another device leaving; none leaves here, so the first settled state is the final one.
  return first.status;
}

/** Polls `check` until it holds (or fails after `timeoutMs`). */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
