/**
 * The functions during a change of the shard map (docs/protocol.md §10.3, "Server operations" and
 * "What follows the user"): the project goes from one instance (epoch 0, `[D]`) to three (epoch 1,
 * `[D, P1, P2]`, previous `[D]`), and the REAL exported functions are deployed with that map
 * (`PRESENCE_INSTANCES`, `PRESENCE_INSTANCES_EPOCH`, `PRESENCE_INSTANCES_PREVIOUS`). What must hold:
 * a callable acts where the user's devices are — the old instance while no fence closed it for the
 * user, the new one after — so a force login never leaves the user with entries on both; the limit and
 * the force login's cut-off are on both instances; the scheduled sweep covers the old instances too.
 *
 * Devices are real `firebase` apps with real sessions over real sockets (test/shards/support.ts's
 * project: three namespaces of our emulator with the generated rules); the callables run through
 * `.run(request)` and the triggers through their entry point (test/functions/support.ts).
 */
import { STALE_AFTER_MS } from '@device-limit/contract';
import { callableRequest, databaseWrittenEvent, deviceEntry, functions, type Callable } from '../functions/support';
import {
  deviceIds,
  presenceOldAndHome,
  readEverywhere,
  setFunctionsShardMap,
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
/** Devices connected before the change: still on the old list, at the new epoch's lower bound. */
let oldMap: ShardMigration['oldMap'];
/** The map during the migration (docs/protocol.md §10.2): epoch 1, with the old list as previous. */
let migrationMap: ShardMigration['migrationMap'];

const forceLogin = functions.forceLogin as unknown as Callable;
const signOutDevice = functions.signOutDevice as unknown as Callable;
const setDeviceLimit = functions.setDeviceLimit as unknown as Callable;
const trigger = (fn: unknown) => fn as (raw: unknown) => Promise<unknown>;

beforeAll(async () => {
  ({ project, D, P1, P2, oldMap, migrationMap } = await startShardMigration({ deployed: true }));
});
afterAll(stopShardedProject);

/** A device of `uid` on its own app and socket, its session started with `map`, signed in at `authTime`. */
const device = (uid: string, map: object, authTime?: number) =>
  startMapDevice(project, uid, map, { name: 'fn-migration', authTime });

interface Presence {
  count?: number;
  movedOut?: number;
  notBefore?: number;
  devices?: Record<string, unknown>;
  evicted?: Record<string, { reason: string }>;
}

/** `/presence/{uid}` on the old instance and on the user's new one (the third is checked empty). */
const presence = (uid: string, home: string) => presenceOldAndHome<Presence>(project, uid, home);

/** The types of the audit events of `uid` on `instance` (docs/protocol.md §6): where slots were claimed and evicted. */
async function eventTypes(uid: string, instance: string): Promise<string[]> {
  const trail = (await readEverywhere(project, 'presenceEvents', uid))[instance];
  return Object.values((trail ?? {}) as Record<string, { type: string }>).map((event) => event.type);
}

test('force login for a user still on the old instance evicts the devices there, and nothing is claimed on the new one', async () => {
  const uid = uidOn(project, P1, 'force-old');
  const authTime = Math.floor(Date.now() / 1000) - 60;
  // Two devices connected before the change hold the user's slots on the old instance.
  const holders = [device(uid, oldMap, authTime), device(uid, oldMap, authTime)];
  await Promise.all(holders.map((holder) => waitForStatus(holder, 'active')));
  // A device of the new map finds them there and is placed on the old instance, at the limit.
  const caller = device(uid, migrationMap, authTime + 30);
  await waitForStatus(caller, 'limit-reached', 25_000);

  const evicted = holders.map((holder) => waitForStatus(holder, 'evicted'));
  const result = (await forceLogin.run(
    callableRequest({ deviceId: caller.deviceId, platform: 'web', label: 'Caller' }, { uid, authTime: authTime + 30 }),
  )) as { evicted: string[]; notBefore: number };
  expect([...result.evicted].sort()).toEqual(holders.map((holder) => holder.deviceId).sort());
  await Promise.all(evicted);
  for (const holder of holders) expect(holder.state).toMatchObject({ reason: 'force-login' });
  caller.claim();
  await waitForStatus(caller, 'active');

  const state = await presence(uid, P1);
  // The caller's slot is on the old instance, where the evicted ones were; the new instance holds no
  // entry, only the cut-off that follows the user (docs/protocol.md §10.3), so an old session cannot claim there later.
  expect([state.old.count, deviceIds(state.old), state.old.notBefore]).toEqual([1, [caller.deviceId], authTime + 30]);
  expect(state.home).toEqual({ notBefore: authTime + 30 });
  expect(state.old.movedOut).toBeUndefined();
  expect(await eventTypes(uid, P1)).toEqual([]);
  expect((await eventTypes(uid, D)).filter((type) => type === 'evicted')).toHaveLength(2);

  // Signing a device out acts on the old instance too (there it is; nothing to find on the new one).
  await signOutDevice.run(callableRequest({ deviceId: caller.deviceId }, { uid }));
  expect(deviceIds((await presence(uid, P1)).old)).toEqual([]);
});

test('force login for a user whose old instance is fenced lands on the new instance', async () => {
  const uid = uidOn(project, P2, 'force-fenced');
  const authTime = Math.floor(Date.now() / 1000) - 60;
  // The first device of the new map finds nothing on the old instance, fences it and claims on P2.
  const holder = device(uid, migrationMap, authTime);
  await waitForStatus(holder, 'active');
  const caller = device(uid, migrationMap, authTime + 30);
  await waitForStatus(caller, 'active');
  let state = await presence(uid, P2);
  expect([state.old.movedOut, state.old.devices, deviceIds(state.home)]).toEqual([
    1,
    undefined,
    [holder.deviceId, caller.deviceId].sort(),
  ]);

  // The force login's transaction on the old instance finds the fence, writes nothing there and
  // runs on the new instance.
  const evicted = waitForStatus(holder, 'evicted');
  const result = (await forceLogin.run(
    callableRequest({ deviceId: caller.deviceId, platform: 'web', label: 'Caller' }, { uid, authTime: authTime + 30 }),
  )) as { evicted: string[] };
  expect(result.evicted).toEqual([holder.deviceId]);
  await evicted;
  expect(holder.state).toMatchObject({ reason: 'force-login' });
  state = await presence(uid, P2);
  expect([state.home.count, deviceIds(state.home), state.home.notBefore]).toEqual([
    1,
    [caller.deviceId],
    authTime + 30,
  ]);
  // The old instance keeps its fence and gets the cut-off, and never an entry.
  expect([state.old.movedOut, state.old.devices, state.old.notBefore]).toEqual([1, undefined, authTime + 30]);
  expect(await eventTypes(uid, D)).toEqual([]);
});

test('a limit set during the migration is on both instances; it is enforced where the devices are', async () => {
  const uid = uidOn(project, P1, 'limit-old');
  const older = device(uid, oldMap);
  await waitForStatus(older, 'active');
  const newer = device(uid, oldMap);
  await waitForStatus(newer, 'active');
  const lowered = waitForStatus(newer, 'evicted');
  const result = await setDeviceLimit.run(
    callableRequest({ uid, limit: 1 }, { uid: 'admin-1', claims: { admin: true } }),
  );
  expect(result).toMatchObject({ uid, limit: 1, evicted: [newer.deviceId] });
  await lowered;
  expect(newer.state).toMatchObject({ reason: 'limit-lowered' });
  expect(await readEverywhere(project, 'limits', uid)).toEqual({ [D]: 1, [P1]: 1, [P2]: null });
  // The write on the new instance fires enforceDeviceLimit there too: nothing to change, nothing written.
  await trigger(functions.enforceDeviceLimit)(databaseWrittenEvent(P1, `/limits/${uid}`, null, 1));
  const state = await presence(uid, P1);
  expect([state.old.count, deviceIds(state.old)]).toEqual([1, [older.deviceId]]);
  expect(state.home.devices).toBeUndefined();
});

test('the scheduled sweep covers an instance that is only in the previous list', async () => {
  // A migration off the default instance: users move from [D] to [P1, P2].
  setFunctionsShardMap({ instances: [P1, P2], epoch: 1, previous: [D] });
  try {
    const quiet = Date.now() - STALE_AFTER_MS - 10 * 60_000;
    const ghosts = [
      { instance: D, uid: uidOn(project, P1, 'sweep-old') },
      { instance: P2, uid: uidOn(project, P2, 'sweep-new') },
    ];
    for (const { instance, uid } of ghosts) {
      await project.admin
        .get(instance)!
        .ref(`presence/${uid}`)
        .set({ count: 1, lastActive: quiet, devices: { ghost0001: deviceEntry(quiet) } });
    }
    const scheduled = functions.sweepStalePresence as unknown as { run(event: unknown): Promise<void> };
    await scheduled.run({
      jobName: 'firebase-schedule-sweepStalePresence-us-central1',
      scheduleTime: new Date().toISOString(),
    });
    for (const { instance, uid } of ghosts) {
      const swept = (await readEverywhere(project, 'presence', uid))[instance] as Presence;
      expect({ instance, count: swept.count, reason: swept.evicted?.ghost0001?.reason }).toEqual({
        instance,
        count: 0,
        reason: 'swept',
      });
    }
  } finally {
    setFunctionsShardMap(migrationMap);
  }
});
