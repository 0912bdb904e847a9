/**
 * The presence scenarios on three database instances (docs/protocol.md §10): claim, limit reached,
 * release, force login, sign out a device, a limit set and enforced, repair, the audit trim and the
 * scheduled sweep, with users spread over the instances by the shard map. Devices start their sessions
 * with the list of instances (the client picks the user's); the callables, the triggers and the sweep
 * are the real exported functions, configured by `PRESENCE_INSTANCES` (test/shards/support.ts). After
 * every test, each user's data is on their instance and was never anywhere else.
 */
import { STALE_AFTER_MS } from '@device-limit/contract';
import { listDevices, onDevicesChanged, startDeviceSession, type DeviceListEntry } from '../../client-sdk/src';
import { callableRequest, databaseWrittenEvent, deviceEntry, functions, type Callable } from '../functions/support';
import {
  expectOnlyOnHome,
  readEverywhere,
  startShardedDevice,
  startShardMigration,
  stopShardedProject,
  uidOn,
  waitForStatus,
  type ShardedProject,
} from './support';

let project: ShardedProject;
let D: string;
let P1: string;
let P2: string;
/** Every uid a test used, checked after each test. */
const users: string[] = [];

beforeAll(async () => {
  ({ project, D, P1, P2 } = await startShardMigration());
});
afterEach(async () => {
  await expectOnlyOnHome(project, users);
});
afterAll(stopShardedProject);

function user(instance: string, prefix: string): string {
  const uid = uidOn(project, instance, prefix);
  users.push(uid);
  return uid;
}

const forceLogin = functions.forceLogin as unknown as Callable;
const signOutDevice = functions.signOutDevice as unknown as Callable;
const setDeviceLimit = functions.setDeviceLimit as unknown as Callable;
const repairPresence = functions.repairPresence as unknown as Callable;
const trigger = (fn: unknown) => fn as (raw: unknown) => Promise<unknown>;

interface Presence {
  count?: number;
  generation?: number;
  devices?: Record<string, { generation: number }>;
  evicted?: Record<string, { reason: string }>;
}

/** `/presence/{uid}` on the user's instance, and null on the two others. */
async function presenceOnHome(uid: string, home: string): Promise<Presence> {
  const values = await readEverywhere(project, 'presence', uid);
  for (const instance of project.instances) if (instance !== home) expect(values[instance]).toBeNull();
  return (values[home] ?? {}) as Presence;
}

test('claim: users on each of the three instances hold their slot on their own instance', async () => {
  const uids = project.instances.map((instance) => user(instance, 'claim'));
  const devices = uids.map((uid) => startShardedDevice(project, uid));
  const outcomes = await Promise.all(devices.map((device) => device.session.whenClaimed()));
  expect(outcomes.map((outcome) => outcome.status)).toEqual(['active', 'active', 'active']);
  for (const [index, uid] of uids.entries()) {
    const presence = await presenceOnHome(uid, project.instances[index] as string);
    expect(presence.count).toBe(1);
    expect(Object.keys(presence.devices ?? {})).toEqual([devices[index]?.session.deviceId]);
  }
  // The audit event of each claim (docs/protocol.md §6) is on the user's instance too.
  const events = await readEverywhere(project, 'presenceEvents', uids[2] as string);
  expect(Object.values((events[P2] ?? {}) as Record<string, { type: string }>).map((e) => e.type)).toEqual(['claimed']);
  // listDevices and onDevicesChanged take the same configuration and read the user's instance.
  const listed = await listDevices(devices[1]!.shards, uids[1] as string, devices[1]!.session.deviceId);
  expect(listed.map((entry) => [entry.deviceId, entry.current])).toEqual([[devices[1]!.session.deviceId, true]]);
  let stop: () => void = () => undefined;
  const live = await new Promise<DeviceListEntry[]>((resolve) => {
    stop = onDevicesChanged(devices[0]!.shards, uids[0] as string, resolve);
  });
  stop();
  expect(live.map((entry) => entry.deviceId)).toEqual([devices[0]!.session.deviceId]);
});

test('limit reached: a third device of a user on presence-1 is refused there, after the liveness check', async () => {
  const uid = user(P1, 'limit');
  const first = startShardedDevice(project, uid);
  const second = startShardedDevice(project, uid);
  expect((await first.session.whenClaimed()).status).toBe('active');
  expect((await second.session.whenClaimed()).status).toBe('active');
  const third = startShardedDevice(project, uid);
  const outcome = await third.session.whenClaimed();
  expect(outcome.status).toBe('limit-reached');
  if (outcome.status !== 'limit-reached') return;
  expect(outcome.devices.map((device) => device.deviceId).sort()).toEqual(
    [first.session.deviceId, second.session.deviceId].sort(),
  );
  // Both holders answered the check (docs/protocol.md §4.9) and kept their slots.
  expect(first.session.state.status).toBe('active');
  expect((await presenceOnHome(uid, P1)).count).toBe(2);
});

test('release: the slot is given back on the instance it was claimed on', async () => {
  const uid = user(P2, 'release');
  const device = startShardedDevice(project, uid);
  expect((await device.session.whenClaimed()).status).toBe('active');
  await device.session.release();
  const presence = await presenceOnHome(uid, P2);
  expect(presence.count).toBe(0);
  expect(presence.devices).toBeUndefined();
});

test('force login: the callable evicts the devices on the caller’s instance (presence-2)', async () => {
  const uid = user(P2, 'force');
  const authTime = Math.floor(Date.now() / 1000) - 60;
  const holders = [startShardedDevice(project, uid, { authTime }), startShardedDevice(project, uid, { authTime })];
  for (const holder of holders) expect((await holder.session.whenClaimed()).status).toBe('active');
  const caller = startShardedDevice(project, uid, { authTime: authTime + 30 });
  expect((await caller.session.whenClaimed()).status).toBe('limit-reached');
  const evicted = holders.map((holder) => waitForStatus(holder.session, 'evicted'));
  await forceLogin.run(
    callableRequest(
      { deviceId: caller.session.deviceId, platform: 'web', label: 'Caller' },
      { uid, authTime: authTime + 30 },
    ),
  );
  caller.session.claim();
  await Promise.all(evicted);
  for (const holder of holders) expect(holder.session.state).toMatchObject({ reason: 'force-login' });
  await waitForStatus(caller.session, 'active');
  const presence = await presenceOnHome(uid, P2);
  expect(presence).toMatchObject({ count: 1, generation: 1 });
  expect(Object.keys(presence.devices ?? {})).toEqual([caller.session.deviceId]);
});

test('sign out a device: the callable removes it on the caller’s instance (the default one)', async () => {
  const uid = user(D, 'signout');
  const kept = startShardedDevice(project, uid);
  const removed = startShardedDevice(project, uid);
  expect((await kept.session.whenClaimed()).status).toBe('active');
  expect((await removed.session.whenClaimed()).status).toBe('active');
  const evicted = waitForStatus(removed.session, 'evicted');
  await signOutDevice.run(callableRequest({ deviceId: removed.session.deviceId }, { uid }));
  await evicted;
  expect(removed.session.state).toMatchObject({ reason: 'signed-out-remotely' });
  expect(kept.session.state.status).toBe('active');
  const presence = await presenceOnHome(uid, D);
  expect(presence.count).toBe(1);
  expect(presence.evicted?.[removed.session.deviceId as string]?.reason).toBe('signed-out');
});

test('a limit is set on the user’s instance, and the trigger enforces it where the write fired', async () => {
  const uid = user(P1, 'limits');
  const older = startShardedDevice(project, uid);
  expect((await older.session.whenClaimed()).status).toBe('active');
  const newer = startShardedDevice(project, uid);
  expect((await newer.session.whenClaimed()).status).toBe('active');
  const lowered = waitForStatus(newer.session, 'evicted');
  const result = await setDeviceLimit.run(
    callableRequest({ uid, limit: 1 }, { uid: 'admin-1', claims: { admin: true } }),
  );
  expect(result).toMatchObject({ uid, limit: 1, evicted: [newer.session.deviceId] });
  await lowered;
  expect(newer.session.state).toMatchObject({ reason: 'limit-lowered' });
  expect(await readEverywhere(project, 'limits', uid)).toEqual({ [D]: null, [P1]: 1, [P2]: null });

  // An admin writes the limit by hand on presence-1; the platform delivers the write from there.
  const p1 = project.admin.get(P1)!;
  await p1.ref(`presence/${uid}`).update({ [`devices/extra0001`]: deviceEntry(Date.now()), count: 2 });
  await p1.ref(`limits/${uid}`).set(1);
  await trigger(functions.enforceDeviceLimit)(databaseWrittenEvent(P1, `/limits/${uid}`, 1, 1));
  const presence = await presenceOnHome(uid, P1);
  expect(presence.count).toBe(1);
  expect(presence.evicted?.extra0001?.reason).toBe('limit-lowered');
});

test('repair: the callable repairs the target’s instance (presence-2)', async () => {
  const uid = user(P2, 'repair');
  // Drift written by hand (docs/protocol.md §5.4): a count with no entry behind it.
  await project.admin.get(P2)!.ref(`presence/${uid}`).set({ count: 3, lastActive: Date.now() });
  const result = await repairPresence.run(callableRequest({}, { uid }));
  expect(result).toMatchObject({ uid, changed: true, count: 0 });
  expect((await presenceOnHome(uid, P2)).count).toBe(0);
});

test('the audit trim runs where the event was created (presence-1)', async () => {
  const uid = user(P1, 'trim');
  const events: Record<string, unknown> = {};
  for (let i = 0; i < 102; i++) {
    events[`-event${String(i).padStart(4, '0')}`] = { type: 'denied', deviceId: 'device001', at: i, reason: 'x' };
  }
  await project.admin.get(P1)!.ref(`presenceEvents/${uid}`).set(events);
  const created = {
    ...(databaseWrittenEvent(P1, `/presenceEvents/${uid}/-event0101`, null, events['-event0101']) as object),
    type: 'google.firebase.database.ref.v1.created',
  };
  await trigger(functions.trimPresenceEvents)(created);
  const trail = (await readEverywhere(project, 'presenceEvents', uid))[P1] as Record<string, unknown>;
  expect(Object.keys(trail)).toHaveLength(100);
  expect(trail).not.toHaveProperty('-event0000');
});

test('the scheduled sweep visits every instance', async () => {
  const quiet = Date.now() - STALE_AFTER_MS - 10 * 60_000;
  const uids = project.instances.map((instance) => user(instance, 'sweep'));
  for (const [index, uid] of uids.entries()) {
    await project.admin
      .get(project.instances[index] as string)!
      .ref(`presence/${uid}`)
      .set({ count: 1, lastActive: quiet, devices: { ghost0001: deviceEntry(quiet) } });
  }
  const scheduled = functions.sweepStalePresence as unknown as { run(event: unknown): Promise<void> };
  await scheduled.run({
    jobName: 'firebase-schedule-sweepStalePresence-us-central1',
    scheduleTime: new Date().toISOString(),
  });
  for (const [index, uid] of uids.entries()) {
    const presence = await presenceOnHome(uid, project.instances[index] as string);
    expect(presence.count).toBe(0);
    expect(presence.evicted?.ghost0001?.reason).toBe('swept');
  }
});

test('a databaseFor(uid) callback instead of the list', async () => {
  const uid = user(P2, 'resolver');
  const listed = startShardedDevice(project, uid);
  expect((await listed.session.whenClaimed()).status).toBe('active');
  // The app's own resolver (here: the Database the list gave this user) — a second device of the user.
  const asked: string[] = [];
  const session = startDeviceSession(
    {
      databaseFor: (who) => {
        asked.push(who);
        return listed.db;
      },
    },
    { uid },
    { platform: 'web', deviceId: 'resolver-device-1', lifecycle: 'manual', tabs: false },
  );
  try {
    expect((await session.whenClaimed()).status).toBe('active');
    expect(asked).toEqual([uid]);
    expect((await presenceOnHome(uid, P2)).count).toBe(2);
    await session.release();
  } finally {
    session.close();
  }
});
