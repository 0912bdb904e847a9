/**
 * The admin jobs that complete a change of the shard map (docs/protocol.md §10.5 steps 4 and 6): the
 * copy of the moved users' settings to their new instance, and the finishing job of docs/protocol.md §10.4, which
 * moves the devices still connected to the old instance. The project goes from one instance (epoch 0,
 * `[D]`) to three (epoch 1, `[D, P1, P2]`, previous `[D]`).
 *
 * The jobs are the REAL exported functions (`copyMovedUserSettings`, `finishShardMigration`) with the
 * functions' own Databases (`PRESENCE_INSTANCES*` set as deployed); devices are real `firebase` apps
 * with real sessions over real sockets, on three namespaces of our emulator with the generated rules
 * (test/shards/support.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { shardFor } from '@device-limit/contract';
import type { DeviceSessionState } from '../../client-sdk/src';
import { emulatorAddress } from '../helpers/emulator';
import { functions } from '../functions/support';
import {
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
let oldMap: ShardMigration['oldMap'];
let migrationMap: ShardMigration['migrationMap'];

beforeAll(async () => {
  ({ project, D, P1, P2, oldMap, migrationMap } = await startShardMigration({ deployed: true }));
});
afterAll(stopShardedProject);

/** A device of `uid` on its own app and socket, its session started with `map`. */
const device = (uid: string, map: object) => startMapDevice(project, uid, map, { name: 'finish' });

const admin = (instance: string) => project.admin.get(instance) as NonNullable<ReturnType<typeof project.admin.get>>;

interface Presence {
  count?: number;
  movedOut?: number;
  notBefore?: number;
  planLimit?: number;
  policy?: string;
  classLimits?: Record<string, number>;
  devices?: Record<string, { claimedAt: number }>;
  evicted?: Record<string, { reason: string; at: number }>;
}

async function presenceOn(uid: string, instance: string): Promise<Presence> {
  return ((await readEverywhere(project, 'presence', uid))[instance] ?? {}) as Presence;
}

test('copyMovedUserSettings copies the moved users’ settings to their new instance, keeps newer ones there, and is idempotent', async () => {
  // Users the change moves (to P1 and P2), and one it does not (it stays on D).
  const toP1 = uidOn(project, P1, 'settings');
  const toP2 = uidOn(project, P2, 'settings');
  const stays = uidOn(project, D, 'settings');
  // More users than a page, so the job pages through /limits and /presence on D.
  const others = [uidOn(project, P1, 'page'), uidOn(project, P2, 'page'), uidOn(project, P1, 'page')];
  const d = admin(D);
  // Set before the migration, on the old instance only.
  await d.ref(`limits/${toP1}`).set(4);
  await d.ref(`presence/${toP1}`).set({
    count: 0,
    notBefore: 1_700_000_100,
    planLimit: 3,
    policy: 'refuse',
    classLimits: { mobile: 1 },
  });
  await d.ref(`limits/${toP2}`).set(5);
  await d.ref(`presence/${toP2}`).set({ count: 0, notBefore: 1_700_000_100, policy: 'refuse' });
  await d.ref(`limits/${stays}`).set(6);
  await d.ref(`presence/${stays}`).set({ count: 0, notBefore: 1_700_000_100 });
  for (const uid of others) await d.ref(`limits/${uid}`).set(3);
  // Newer on home (a force login during the migration raised it; an admin chose another policy there).
  await admin(P2).ref(`presence/${toP2}`).set({ count: 0, notBefore: 1_700_000_900, policy: 'evict-least-recent' });

  const first = await functions.copyMovedUserSettings(migrationMap, { pageSize: 2 });
  expect(first.copied).toEqual({ limits: 5, notBefore: 1, planLimit: 1, policy: 1, classLimits: 1 });

  const limits = async (uid: string) => readEverywhere(project, 'limits', uid);
  expect(await limits(toP1)).toEqual({ [D]: 4, [P1]: 4, [P2]: null });
  expect(await presenceOn(toP1, P1)).toMatchObject({
    notBefore: 1_700_000_100,
    planLimit: 3,
    policy: 'refuse',
    classLimits: { mobile: 1 },
  });
  expect(await limits(toP2)).toEqual({ [D]: 5, [P1]: null, [P2]: 5 });
  expect(await presenceOn(toP2, P2)).toMatchObject({ notBefore: 1_700_000_900, policy: 'evict-least-recent' });
  for (const uid of others) expect(await limits(uid)).toEqual({ [D]: 3, [shardOf(uid)]: 3, [otherOf(uid)]: null });
  // Not moved: nothing written on the new instances.
  expect(await limits(stays)).toEqual({ [D]: 6, [P1]: null, [P2]: null });
  expect((await readEverywhere(project, 'presence', stays))[P1]).toBeNull();
  expect((await readEverywhere(project, 'presence', stays))[P2]).toBeNull();

  // Run again (a job that failed half-way is run again): nothing left to write.
  const second = await functions.copyMovedUserSettings(migrationMap, { pageSize: 2 });
  expect(second.copied).toEqual({ limits: 0, notBefore: 0, planLimit: 0, policy: 0, classLimits: 0 });
});

/** The instance of P1/P2 a moved user's home is, and the other one. */
function shardOf(uid: string): string {
  return shardFor(uid, migrationMap.instances);
}
function otherOf(uid: string): string {
  return shardOf(uid) === P1 ? P2 : P1;
}

test('the finishing job moves a device still connected to the old instance: it ends holding a slot on the new one, never on both', async () => {
  const uid = uidOn(project, P1, 'finish');
  // Set before the migration on D, copied to P1 (docs/protocol.md §10.5 step 4) before the job finishes it.
  await admin(D).ref(`limits/${uid}`).set(2);
  await functions.copyMovedUserSettings(migrationMap);
  // A device of the old map claims on D; a device given the migration map then finds it there and
  // joins it on D (docs/protocol.md §10.3: previous serves the user while it holds entries); the old one leaves.
  const old = device(uid, oldMap);
  await waitForStatus(old, 'active');
  const states: DeviceSessionState['status'][] = [];
  const moving = device(uid, migrationMap);
  moving.onStateChanged((state) => states.push(state.status));
  await waitForStatus(moving, 'active');
  await old.release();
  const deviceId = moving.deviceId as string;
  let onD = await presenceOn(uid, D);
  expect(Object.keys(onD.devices ?? {})).toEqual([deviceId]);
  expect(onD.movedOut).toBeUndefined();
  expect(await presenceOn(uid, P1)).toEqual({});

  const result = await functions.finishShardMigration(migrationMap, { pageSize: 2 });
  expect(result.moved).toEqual(expect.arrayContaining([{ uid, deviceId }]));

  // The client re-places on P1 and claims there, without reporting an eviction.
  await waitFor(async () => Object.keys((await presenceOn(uid, P1)).devices ?? {}).includes(deviceId));
  await waitForStatus(moving, 'active');
  expect(states).not.toContain('evicted');
  // It did place again (claiming), from the slot on D to the slot on P1.
  // (States repeat when other fields change, e.g. the sibling left: compare the changes of status.)
  const changes = states.filter((status, i) => status !== states[i - 1]);
  expect(changes.slice(changes.indexOf('active'))).toEqual(['active', 'claiming', 'active']);
  expect(moving.state.status).toBe('active');

  onD = await presenceOn(uid, D);
  const onP1 = await presenceOn(uid, P1);
  expect(onD.devices).toBeUndefined();
  expect(onD.count).toBe(0);
  expect(onD.movedOut).toBe(1);
  expect(onD.evicted?.[deviceId]?.reason).toBe('moved');
  expect(onP1.count).toBe(1);
  expect(Object.keys(onP1.devices ?? {})).toEqual([deviceId]);
  // Never counted on both: the slot on P1 began after the one on D ended (the same server clock).
  expect(onP1.devices?.[deviceId]?.claimedAt).toBeGreaterThanOrEqual(onD.evicted?.[deviceId]?.at as number);
  expect(await readEverywhere(project, 'limits', uid)).toMatchObject({ [P1]: 2 });

  // Run again: the user is fenced, nothing is written.
  const again = await functions.finishShardMigration(migrationMap);
  expect(again.moved.filter((entry) => entry.uid === uid)).toEqual([]);
  expect(Object.keys((await presenceOn(uid, P1)).devices ?? {})).toEqual([deviceId]);
});

test('the finishing job leaves alone the users the change does not move', async () => {
  const uid = uidOn(project, D, 'stays');
  const session = device(uid, migrationMap);
  await waitForStatus(session, 'active');
  const result = await functions.finishShardMigration(migrationMap);
  expect(result.moved.filter((entry) => entry.uid === uid)).toEqual([]);
  const onD = await presenceOn(uid, D);
  expect(Object.keys(onD.devices ?? {})).toEqual([session.deviceId]);
  expect(onD.movedOut).toBeUndefined();
});

test('the operator runs both jobs with scripts/shard-migration.mjs (the built functions)', async () => {
  const uid = uidOn(project, P2, 'script');
  await admin(D).ref(`limits/${uid}`).set(3);
  // An entry left on D (its device went quiet before the sweep): the finishing job removes it.
  await admin(D)
    .ref(`presence/${uid}`)
    .set({
      count: 1,
      devices: { 'script-device-1': { claimedAt: 1, lastSeen: 1, generation: 0, platform: 'web', label: 'x' } },
    });
  const run = async (command: string) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'scripts/shard-migration.mjs',
        command,
        '--database-url',
        `http://${emulatorAddress().hostAndPort}/?ns=${D}`,
        '--instances',
        migrationMap.instances.join(','),
        '--epoch',
        String(migrationMap.epoch),
        '--previous',
        migrationMap.previous.join(','),
      ],
      {
        env: { ...process.env, PRESENCE_INSTANCES: '', PRESENCE_INSTANCES_PREVIOUS: '', PRESENCE_INSTANCES_EPOCH: '' },
      },
    );
    return JSON.parse(stdout) as unknown;
  };
  await run('copy-settings');
  expect((await readEverywhere(project, 'limits', uid))[P2]).toBe(3);
  const finished = (await run('finish')) as { moved: Array<{ uid: string; deviceId: string }> };
  expect(finished.moved).toContainEqual({ uid, deviceId: 'script-device-1' });
  const onD = await presenceOn(uid, D);
  expect(onD).toMatchObject({ count: 0, movedOut: 1, evicted: { 'script-device-1': { reason: 'moved' } } });
  expect(onD.devices).toBeUndefined();
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
