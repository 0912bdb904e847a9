/**
 * The sweep (docs/protocol.md §5.3): users none of whose devices claimed or renewed a lease for
 * STALE_AFTER_MS are found through the indexed `lastActive` (the rules' `.indexOn`), their stale
 * entries removed with `swept` notices, their counts repaired, and `lastActive` removed once no entry
 * remains — so a user who left is visited once, and the sweep's cost is the number of users who went
 * quiet, however many users there are. Time is controlled through the sweep's `now`; claims and
 * releases go through `database.rules.json` with the real client SDK and server timestamps.
 *
 * Each test that counts visits has a namespace of its own (with the rules loaded), so no other
 * test's users are in its query.
 */
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from 'firebase-admin/database';
import { STALE_AFTER_MS } from '../../functions/src/core/contract';
import {
  auditTrail,
  claimFrom,
  connectedDevice,
  deviceEntry,
  expectInvariants,
  functions,
  isolatedNamespace,
  readPresence,
  releaseUpdate,
  seedPresence,
  startClients,
  startFunctionsContext,
  stopFunctionsContext,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
const environments: RulesTestEnvironment[] = [];
beforeAll(async () => {
  ctx = startFunctionsContext('demo-fn-sweep');
  environments.push(await startClients(ctx.ns));
});
afterAll(async () => {
  await Promise.all(environments.map((env) => env.cleanup()));
  await stopFunctionsContext();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The sweep's clock in the tests that seed their own times. */
const NOW = Date.parse('2026-12-01T12:00:00.000Z');

async function namespace(prefix: string): Promise<{ db: Database; env: RulesTestEnvironment }> {
  const space = await isolatedNamespace(prefix);
  environments.push(space.env);
  return space;
}

function sweep(db: Database, now: number, extra: { pageSize?: number; maxUsers?: number; concurrency?: number } = {}) {
  return functions.sweepStaleSlots(db, { now, staleAfterMs: STALE_AFTER_MS, ...extra });
}

test('quiet users are swept and repaired; active users are not visited', async () => {
  const { db } = await namespace('demo-fn-sweep-mixed');
  const quiet = NOW - STALE_AFTER_MS - HOUR;
  await db.ref('presence').set({
    // Two ghosts whose releases never ran (a server restart): both go, lastActive with them.
    ghosts: {
      count: 2,
      op: 'ghostB002',
      lastActive: quiet,
      devices: { ghostA001: deviceEntry(quiet - HOUR, quiet - HOUR), ghostB002: deviceEntry(quiet, quiet) },
    },
    // Released normally: nothing to remove, only lastActive.
    released: { count: 0, op: 'gone00001', lastActive: quiet },
    // A ghost next to an entry whose label changed recently (docs/protocol.md §4.5 moves lastSeen, not lastActive).
    relabelled: {
      count: 2,
      lastActive: quiet,
      devices: { ghostC003: deviceEntry(quiet, quiet), labelD004: deviceEntry(quiet, NOW - HOUR) },
    },
    // Drift on a quiet user: the count says 3, no entry holds a slot.
    drifted: { count: 3, lastActive: quiet },
    // Renewed its lease an hour ago: not quiet, never read by the sweep.
    active: { count: 1, lastActive: NOW - HOUR, devices: { liveE0005: deviceEntry(quiet, NOW - HOUR) } },
    // Left earlier (its lastActive already removed): sorts before every number, outside the query.
    left: { count: 0, op: 'gone00002' },
  });

  const result = await sweep(db, NOW);

  expect(result).toEqual({
    cutoff: NOW - STALE_AFTER_MS,
    usersVisited: 4,
    entriesSwept: 3,
    usersChanged: 4,
    truncated: false,
  });
  const ghosts = await readPresence(db, 'ghosts');
  expect(ghosts).toEqual({
    count: 0,
    op: 'ghostB002',
    evicted: {
      ghostA001: { reason: 'swept', at: expect.any(Number), generation: 0 },
      ghostB002: { reason: 'swept', at: expect.any(Number), generation: 0 },
    },
  });
  expect(await readPresence(db, 'released')).toEqual({ count: 0, op: 'gone00001' });
  expect(await readPresence(db, 'relabelled')).toEqual({
    count: 1,
    op: 'ghostC003',
    lastActive: NOW - HOUR,
    devices: { labelD004: deviceEntry(quiet, NOW - HOUR) },
    evicted: { ghostC003: { reason: 'swept', at: expect.any(Number), generation: 0 } },
  });
  expect(await readPresence(db, 'drifted')).toEqual({ count: 0 });
  expect(await readPresence(db, 'active')).toEqual({
    count: 1,
    lastActive: NOW - HOUR,
    devices: { liveE0005: deviceEntry(quiet, NOW - HOUR) },
  });
  for (const uid of ['ghosts', 'relabelled', 'drifted']) await expectInvariants(db, uid, 2);

  const swept = (await auditTrail(db, 'ghosts')).map((e) => [e.type, e.deviceId, e.reason]);
  expect(swept.sort()).toEqual([
    ['swept', 'ghostA001', 'stale'],
    ['swept', 'ghostB002', 'stale'],
  ]);
  expect(await auditTrail(db, 'released')).toEqual([]);

  // The same sweep again finds nobody: every visited user left the query's range.
  expect((await sweep(db, NOW)).usersVisited).toBe(0);
  // Three hours later the two users still holding entries have gone quiet too, and only they are visited.
  expect(await sweep(db, NOW + STALE_AFTER_MS)).toMatchObject({ usersVisited: 2, entriesSwept: 2 });
  expect(await readPresence(db, 'active')).toMatchObject({ count: 0, evicted: { liveE0005: { reason: 'swept' } } });
});

test('a user whose last device released normally is visited once and then never again', async () => {
  const { db, env } = await namespace('demo-fn-sweep-left');
  const uid = 'leaving-user';
  // A real claim and release through the rules: lastActive and lastSeen are the server's `now`.
  const device = await connectedDevice(env, uid);
  expect(await claimFrom(device, uid, 'laptop001')).toBe(true);
  await device.ref(`presence/${uid}`).update(releaseUpdate('laptop001'));
  const left = await readPresence(db, uid);
  expect(left).toEqual({ count: 0, op: 'laptop001', lastActive: expect.any(Number) });
  const releasedAt = left?.lastActive as number;

  const visits: number[] = [];
  // Every sweep period for a day: before the lease ran out, at it, and long after.
  for (let at = releasedAt; at <= releasedAt + 24 * HOUR; at += 15 * MINUTE) {
    visits.push((await sweep(db, at)).usersVisited);
  }
  const firstVisit = visits.findIndex((n) => n > 0);
  // The first sweep whose cut-off (now - STALE_AFTER_MS) reaches lastActive: 3 h later.
  expect(firstVisit).toBe(STALE_AFTER_MS / (15 * MINUTE));
  expect(visits.reduce((a, b) => a + b, 0)).toBe(1);
  expect(await readPresence(db, uid)).toEqual({ count: 0, op: 'laptop001' });
  // Nothing was swept, so nothing was recorded.
  expect(await auditTrail(db, uid)).toEqual([]);

  // Coming back makes the user visible again: a claim writes lastActive (docs/protocol.md §4.2).
  expect(await claimFrom(device, uid, 'laptop001')).toBe(true);
  const back = (await readPresence(db, uid))?.lastActive as number;
  expect(await sweep(db, back + STALE_AFTER_MS - 1)).toMatchObject({ usersVisited: 0 });
  // Stale means strictly older than the cut-off (docs/protocol.md §4.10, §5.3).
  expect(await sweep(db, back + STALE_AFTER_MS + 1)).toMatchObject({ usersVisited: 1, entriesSwept: 1 });
});

test("the sweep's cost is O(users who went quiet), not O(users)", async () => {
  const { db } = await namespace('demo-fn-sweep-cost');
  const quiet = NOW - STALE_AFTER_MS - MINUTE;
  const presence: Record<string, unknown> = {};
  for (let i = 0; i < 300; i++) {
    const uid = `active-${String(i).padStart(3, '0')}`;
    const seen = NOW - (i % 170) * MINUTE; // renewed within the last 3 hours
    presence[uid] = { count: 1, lastActive: seen, devices: { device0001: deviceEntry(seen - HOUR, seen) } };
  }
  for (let i = 0; i < 300; i++) presence[`left-${String(i).padStart(3, '0')}`] = { count: 0, op: 'device0001' };
  const quietUids = ['quiet-1', 'quiet-2', 'quiet-3', 'quiet-4', 'quiet-5'];
  for (const uid of quietUids) {
    presence[uid] = { count: 1, lastActive: quiet, devices: { ghost0001: deviceEntry(quiet, quiet) } };
  }
  await db.ref('presence').set(presence);

  const result = await sweep(db, NOW, { pageSize: 2 });

  expect(result).toMatchObject({ usersVisited: quietUids.length, entriesSwept: quietUids.length });
  for (const uid of quietUids) expect(await readPresence(db, uid)).toMatchObject({ count: 0 });
  // Ten times the users, the same quiet ones: the same cost.
  expect((await sweep(db, NOW)).usersVisited).toBe(0);
});

test('the sweep pages through many quiet users, and maxUsers bounds one run', async () => {
  const { db } = await namespace('demo-fn-sweep-pages');
  const uids = Array.from({ length: 23 }, (_, i) => `paged-${String(i).padStart(2, '0')}`);
  const presence: Record<string, unknown> = {};
  // Equal lastActive values for some users: the startAfter(value, key) cursor must not skip them.
  uids.forEach((uid, i) => {
    const quiet = NOW - STALE_AFTER_MS - ((i % 3) + 1) * MINUTE;
    presence[uid] = { count: 1, lastActive: quiet, devices: { ghost0001: deviceEntry(quiet, quiet) } };
  });
  await db.ref('presence').set(presence);

  const first = await sweep(db, NOW, { pageSize: 5, concurrency: 3, maxUsers: 12 });
  expect(first).toMatchObject({ usersVisited: 12, entriesSwept: 12, truncated: true });
  const second = await sweep(db, NOW, { pageSize: 5, concurrency: 3 });
  expect(second).toMatchObject({ usersVisited: 11, entriesSwept: 11, truncated: false });
  for (const uid of uids) expect(await readPresence(db, uid)).toEqual(expect.objectContaining({ count: 0 }));
});

test.each([0, 1, 2, 3])('a sweep racing client claims keeps the count exact (round %i)', async (round) => {
  const { db, env } = await namespace(`demo-fn-sweep-race-${round}`);
  const uid = 'racing-user';
  const quiet = Date.now() - STALE_AFTER_MS - HOUR;
  await db.ref(`limits/${uid}`).set(4);
  await seedPresence(db, uid, {
    count: 2,
    lastActive: quiet,
    devices: { ghostA001: deviceEntry(quiet, quiet), ghostB002: deviceEntry(quiet, quiet) },
  });
  const devices = await Promise.all([0, 1].map(() => connectedDevice(env, uid)));
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // The sweep's `now` is the real present, so the fresh claims are not stale to it. Depending on the
  // round, the claims land before the sweep's query (the user is active again and not visited: its
  // running devices sweep the ghosts themselves, §4.10), between its query and its transaction, or
  // after it.
  const [claims, swept] = await Promise.all([
    Promise.all(devices.map((device, i) => pause(round * (i + 1)).then(() => claimFrom(device, uid, `fresh000${i}`)))),
    pause(round === 0 ? 2 : 0).then(() => sweep(db, Date.now())),
  ]);
  expect(claims).toEqual([true, true]);

  await expectInvariants(db, uid, 4);
  const presence = await readPresence(db, uid);
  const holding = Object.keys(presence?.devices as object);
  const notices = Object.keys((presence?.evicted ?? {}) as object);
  // Exact: the claims hold their slots; each ghost is either still there or swept with its notice.
  expect(holding.filter((id) => id.startsWith('fresh')).sort()).toEqual(['fresh0000', 'fresh0001']);
  expect([...holding.filter((id) => id.startsWith('ghost')), ...notices].sort()).toEqual(['ghostA001', 'ghostB002']);
  expect(swept.entriesSwept).toBe(notices.length);
  // Whatever the sweep did not take, the client sweep may (docs/protocol.md §4.10) and the next server sweep will
  // once these devices go quiet too.
  expect(presence?.lastActive).toEqual(expect.any(Number));
});

test('the scheduled function sweeps with the real clock and the contract threshold', async () => {
  // The scheduled function uses the default database: this file's context namespace.
  await seedPresence(ctx, 'sweep-scheduled', {
    count: 1,
    lastActive: 1_000,
    devices: { ancient01: deviceEntry(1_000, 1_000) },
  });
  const recent = Date.now() - STALE_AFTER_MS + 10 * MINUTE;
  await seedPresence(ctx, 'sweep-recent', {
    count: 1,
    lastActive: recent,
    devices: { recent001: deviceEntry(recent, recent) },
  });
  const scheduled = functions.sweepStalePresence as unknown as { run(event: unknown): Promise<void> };
  await scheduled.run({
    jobName: 'firebase-schedule-sweepStalePresence-us-central1',
    scheduleTime: new Date().toISOString(),
  });
  expect(await readPresence(ctx, 'sweep-scheduled')).toEqual({
    count: 0,
    op: 'ancient01',
    evicted: { ancient01: { reason: 'swept', at: expect.any(Number), generation: 0 } },
  });
  // Quiet for less than STALE_AFTER_MS (3 h): untouched.
  expect(await readPresence(ctx, 'sweep-recent')).toMatchObject({ count: 1, lastActive: recent });
});
