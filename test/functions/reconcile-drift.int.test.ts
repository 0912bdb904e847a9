/**
 * Drift tests for the reconcile trigger (docs/protocol.md §5.4, issue 6): the counter corrupted
 * upward and downward, a release applied twice, a claim that bypassed the rules, and overlapping
 * invocations run concurrently against concurrent writers. Each ends with count == entries <= limit
 * and a trigger run that finds nothing left to change (convergence).
 */
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getDatabase, ServerValue } from 'firebase-admin/database';
import { emulatorAddress } from '../helpers/emulator';
import {
  auditTrail,
  deliverPresenceWrite,
  deviceEntry,
  expectInvariants,
  presenceIndex,
  readPresence,
  settle,
  startFunctionsContext,
  stopFunctionsContext,
  writeAndTrigger,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
beforeAll(() => {
  ctx = startFunctionsContext('demo-fn-drift');
});
afterAll(stopFunctionsContext);

const LIMIT = 2; // the default: these users have no /limits entry

/** Two devices holding slots, as two rule-checked claims leave them (each claim delivered). */
async function seedTwoDevices(uid: string): Promise<void> {
  for (const [deviceId, claimedAt] of [
    ['deviceA01', 1_000],
    ['deviceB02', 2_000],
  ] as const) {
    await writeAndTrigger(ctx, uid, (ref) =>
      ref.update({ count: ServerValue.increment(1), op: deviceId, [`devices/${deviceId}`]: deviceEntry(claimedAt) }),
    );
  }
  expect(await readPresence(ctx, uid)).toMatchObject({ count: 2 });
}

test('a count corrupted upward is recomputed from the entries', async () => {
  const uid = 'up-user';
  await seedTwoDevices(uid);
  const { after } = await writeAndTrigger(ctx, uid, (ref) => ref.child('count').set(7));
  expect(await readPresence(ctx, uid)).toMatchObject({ count: 2 });
  expect(await settle(ctx, uid, after)).toBeLessThanOrEqual(1);
  await expectInvariants(ctx, uid, LIMIT);
  // A count fix evicts nobody and records no event.
  expect((await auditTrail(ctx, uid)).map((e) => e.type)).toEqual(['claimed', 'claimed']);
});

test('a count corrupted downward (and to a non-number) is recomputed', async () => {
  const uid = 'down-user';
  await seedTwoDevices(uid);
  for (const corrupt of [0, -4, 'two']) {
    const { after } = await writeAndTrigger(ctx, uid, (ref) => ref.child('count').set(corrupt));
    await settle(ctx, uid, after);
    await expectInvariants(ctx, uid, LIMIT);
    expect(await readPresence(ctx, uid)).toMatchObject({ count: 2 });
  }
});

test('a release applied twice (a duplicated onDisconnect that bypassed the rules) is repaired', async () => {
  const uid = 'double-release-user';
  await seedTwoDevices(uid);
  const release = { count: ServerValue.increment(-1), op: 'deviceA01', 'devices/deviceA01': null };
  await writeAndTrigger(ctx, uid, (ref) => ref.update(release));
  const { after } = await writeAndTrigger(ctx, uid, (ref) => ref.update(release));
  expect(after).toMatchObject({ count: 0 });
  await settle(ctx, uid, after);
  await expectInvariants(ctx, uid, LIMIT);
  expect(await readPresence(ctx, uid)).toMatchObject({ count: 1, devices: { deviceB02: deviceEntry(2_000) } });
  const released = (await auditTrail(ctx, uid)).filter((e) => e.type === 'released');
  expect(released.map((e) => e.deviceId)).toEqual(['deviceA01']);
});

test('entries beyond the limit are evicted, most recently claimed first, with a notice', async () => {
  const uid = 'bypass-user';
  await seedTwoDevices(uid);
  // A third claim that bypassed the rules (an admin script, a rules bug).
  const { after } = await writeAndTrigger(ctx, uid, (ref) =>
    ref.update({ count: ServerValue.increment(1), op: 'deviceC03', 'devices/deviceC03': deviceEntry(3_000) }),
  );
  expect(after).toMatchObject({ count: 3 });
  expect(await settle(ctx, uid, after)).toBeLessThanOrEqual(1);
  await expectInvariants(ctx, uid, LIMIT);
  const presence = await readPresence(ctx, uid);
  expect(Object.keys(presence?.devices as object).sort()).toEqual(['deviceA01', 'deviceB02']);
  expect(presence?.evicted).toEqual({
    deviceC03: { reason: 'over-limit', at: expect.any(Number), generation: 0 },
  });
  const events = await auditTrail(ctx, uid);
  expect(events.filter((e) => e.type === 'evicted')).toEqual([
    { type: 'evicted', deviceId: 'deviceC03', reason: 'over-limit', at: expect.any(Number) },
  ]);
  // Server timestamps: the notice and the event carry the database's time.
  expect(Math.abs((presence?.evicted as { deviceC03: { at: number } }).deviceC03.at - Date.now())).toBeLessThan(60_000);
});

test('the reconcile keeps /presenceIndex/{uid} at the oldest lastSeen, and removes it with the last entry', async () => {
  const uid = 'index-user';
  await writeAndTrigger(ctx, uid, (ref) =>
    ref.update({ count: 2, 'devices/deviceA01': deviceEntry(500, 900), 'devices/deviceB02': deviceEntry(600, 700) }),
  );
  expect(await presenceIndex(ctx, uid)).toBe(700);
  await writeAndTrigger(ctx, uid, (ref) => ref.child('devices/deviceB02/lastSeen').set(1_500));
  expect(await presenceIndex(ctx, uid)).toBe(900);
  await writeAndTrigger(ctx, uid, (ref) => ref.set(null));
  expect(await presenceIndex(ctx, uid)).toBeNull();
});

test.each([1, 2, 3, 4, 5])(
  'overlapping invocations, run concurrently with concurrent writers, converge (round %i)',
  async (round) => {
    const uid = `overlap-user-${round}`;
    const { hostAndPort } = emulatorAddress();
    // Separate connections, as separate client devices and function instances would have.
    const writers = [1, 2, 3].map((n) =>
      initializeApp(
        {
          projectId: ctx.ns,
          databaseURL: `http://${hostAndPort}?ns=${ctx.ns}`,
          credential: { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) },
        },
        `writer-${round}-${n}`,
      ),
    );
    try {
      // Six claims (bypassing the rules, so over the limit) and two corruptions, all at once.
      const writes = [
        ...['dev00001', 'dev00002', 'dev00003', 'dev00004', 'dev00005', 'dev00006'].map((deviceId, i) => ({
          count: ServerValue.increment(1),
          op: deviceId,
          [`devices/${deviceId}`]: deviceEntry(10_000 + i * 10),
        })),
        { count: 42 },
        { count: ServerValue.increment(-3) },
      ];
      // Each write's event is delivered as soon as it lands, while other writes and runs are in flight.
      let lastDelivered: unknown = null;
      const runs = writes.map(async (update, i) => {
        const db = getDatabase(writers[i % writers.length]!);
        const ref = db.ref(`presence/${uid}`);
        const before = (await ref.get()).val();
        await ref.update(update);
        const after = (await ref.get()).val();
        await deliverPresenceWrite(ctx, uid, before, after);
        lastDelivered = after;
      });
      await Promise.all(runs);
      // The functions' own writes fire the trigger too; their runs find nothing left to change.
      expect(await settle(ctx, uid, lastDelivered)).toBeLessThanOrEqual(2);

      await expectInvariants(ctx, uid, LIMIT);
      const presence = await readPresence(ctx, uid);
      // The two earliest claims keep their slots whatever the interleaving.
      expect(Object.keys(presence?.devices as object).sort()).toEqual(['dev00001', 'dev00002']);
      expect(Object.keys(presence?.evicted as object).sort()).toEqual(['dev00003', 'dev00004', 'dev00005', 'dev00006']);
      // Every eviction is recorded exactly once, by the run whose transaction committed it.
      const evicted = (await auditTrail(ctx, uid)).filter((e) => e.type === 'evicted').map((e) => e.deviceId);
      expect(evicted.sort()).toEqual(['dev00003', 'dev00004', 'dev00005', 'dev00006']);
      expect(await presenceIndex(ctx, uid)).toBe(10_000);
    } finally {
      await Promise.all(writers.map((app) => deleteApp(app)));
    }
  },
);

test('the same event delivered several times at once (at-least-once delivery) changes nothing more', async () => {
  const uid = 'redelivered-user';
  await seedTwoDevices(uid);
  const before = await readPresence(ctx, uid);
  await ctx.db.ref(`presence/${uid}/count`).set(9);
  const after = await readPresence(ctx, uid);
  await Promise.all([1, 2, 3, 4, 5].map(() => deliverPresenceWrite(ctx, uid, before, after)));
  await settle(ctx, uid, await readPresence(ctx, uid));
  await expectInvariants(ctx, uid, LIMIT);
  expect(await readPresence(ctx, uid)).toMatchObject({ count: 2 });
});
