/**
 * The `enforceDeviceLimit` trigger (docs/protocol.md §5.5) on `/limits/{uid}`: an admin who writes a
 * user's limit directly (console, Admin SDK) gets the same evictions as `setDeviceLimit`, with
 * reason `limit-lowered`; a limit that does not bite changes nothing; the trigger run for
 * `setDeviceLimit`'s own write finds nothing left to do (converges, no loop); redelivered events
 * record each eviction once. The trigger runs through its exported entry point with the raw
 * CloudEvent the database sends.
 */
import type { CallableRequest } from 'firebase-functions/v2/https';
import { MAX_EVENT_AGE_MS } from '../../functions/src/core/retry-policy';
import {
  auditTrail,
  callableRequest,
  deliverLimitWrite,
  deviceEntry,
  expectInvariants,
  functions,
  readPresence,
  seedPresence,
  startFunctionsContext,
  stopFunctionsContext,
  writeLimit,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
beforeAll(() => {
  ctx = startFunctionsContext('demo-fn-limits');
});
afterAll(stopFunctionsContext);

const setDeviceLimit = functions.setDeviceLimit as unknown as {
  run(request: CallableRequest<unknown>): Promise<unknown>;
};
const ADMIN = { uid: 'the-admin', claims: { admin: true } };

/** Three devices holding slots (under a limit of 3), claimed one after another. */
function threeDevices(): Record<string, unknown> {
  return {
    count: 3,
    op: 'third0003',
    lastActive: 3_000,
    devices: { first0001: deviceEntry(1_000), second002: deviceEntry(2_000), third0003: deviceEntry(3_000) },
  };
}

test('a limit an admin lowers by hand evicts the most recently claimed extras, with notices and events', async () => {
  const uid = 'hand-lowered';
  await ctx.db.ref(`limits/${uid}`).set(3);
  await seedPresence(ctx, uid, threeDevices());

  const { before, after } = await writeLimit(ctx, uid, 1);
  await deliverLimitWrite(ctx, uid, before, after);

  await expectInvariants(ctx, uid, 1);
  expect(await readPresence(ctx, uid)).toEqual({
    count: 1,
    op: 'third0003',
    lastActive: 3_000,
    devices: { first0001: deviceEntry(1_000) },
    evicted: {
      second002: { reason: 'limit-lowered', at: expect.any(Number), generation: 0 },
      third0003: { reason: 'limit-lowered', at: expect.any(Number), generation: 0 },
    },
  });
  expect((await auditTrail(ctx, uid)).map((e) => [e.type, e.deviceId, e.reason])).toEqual([
    ['evicted', 'third0003', 'limit-lowered'],
    ['evicted', 'second002', 'limit-lowered'],
  ]);
});

test('removing the limit returns the user to the default (2), which is enforced', async () => {
  const uid = 'hand-removed';
  await ctx.db.ref(`limits/${uid}`).set(5);
  await seedPresence(ctx, uid, threeDevices());
  const { before, after } = await writeLimit(ctx, uid, null);
  await deliverLimitWrite(ctx, uid, before, after);
  await expectInvariants(ctx, uid, 2);
  expect(Object.keys((await readPresence(ctx, uid))?.devices as object).sort()).toEqual(['first0001', 'second002']);
});

test('a raised limit changes nothing and records nothing', async () => {
  const uid = 'hand-raised';
  await ctx.db.ref(`limits/${uid}`).set(3);
  await seedPresence(ctx, uid, threeDevices());
  const { before, after } = await writeLimit(ctx, uid, 10);
  await deliverLimitWrite(ctx, uid, before, after);
  expect(await readPresence(ctx, uid)).toEqual(threeDevices());
  expect(await auditTrail(ctx, uid)).toEqual([]);
});

test("the trigger run for setDeviceLimit's own write finds nothing left to change", async () => {
  const uid = 'callable-lowered';
  await setDeviceLimit.run(callableRequest({ uid, limit: 3 }, ADMIN));
  await seedPresence(ctx, uid, threeDevices());

  const before = (await ctx.db.ref(`limits/${uid}`).get()).val() as unknown;
  expect(await setDeviceLimit.run(callableRequest({ uid, limit: 2 }, ADMIN))).toEqual({
    uid,
    limit: 2,
    evicted: ['third0003'],
  });
  const afterCallable = await readPresence(ctx, uid);
  const trailAfterCallable = await auditTrail(ctx, uid);

  // The platform now delivers the write of /limits/{uid} the callable made.
  await deliverLimitWrite(ctx, uid, before, 2);

  expect(await readPresence(ctx, uid)).toEqual(afterCallable);
  expect(await auditTrail(ctx, uid)).toEqual(trailAfterCallable);
  expect(trailAfterCallable.map((e) => [e.type, e.deviceId, e.reason])).toEqual([
    ['evicted', 'third0003', 'limit-lowered'],
  ]);
});

test('the same event delivered several times at once (at-least-once delivery) evicts and records once', async () => {
  const uid = 'redelivered';
  await ctx.db.ref(`limits/${uid}`).set(3);
  await seedPresence(ctx, uid, threeDevices());
  const { before, after } = await writeLimit(ctx, uid, 1);
  await Promise.all([1, 2, 3, 4, 5].map(() => deliverLimitWrite(ctx, uid, before, after)));
  await expectInvariants(ctx, uid, 1);
  const evicted = (await auditTrail(ctx, uid)).filter((e) => e.type === 'evicted').map((e) => e.deviceId);
  expect(evicted.sort()).toEqual(['second002', 'third0003']);
});

test('an event older than the retry bound is dropped (retries end)', async () => {
  const uid = 'too-old';
  await ctx.db.ref(`limits/${uid}`).set(3);
  await seedPresence(ctx, uid, threeDevices());
  const { before, after } = await writeLimit(ctx, uid, 1);
  await deliverLimitWrite(ctx, uid, before, after, new Date(Date.now() - MAX_EVENT_AGE_MS - 60_000));
  expect(await readPresence(ctx, uid)).toEqual(threeDevices());
});
