/**
 * Plan limits on the server (docs/protocol.md §11.1). Clients claim through `database.rules.json`
 * with a `deviceLimit` claim on their ID token and record it as the server's copy `planLimit`; the
 * operations that run without a token (the sweep, `enforceDeviceLimit`, an admin's repair) then
 * enforce the same limit the rules did, so they never evict a slot the rules gave. The callables take
 * the plan from the caller's token and record it; `applyPlanLimit` is a billing backend's way to
 * apply a plan change at once.
 */
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { HttpsError } from 'firebase-functions/v2/https';
import { PresenceError } from '../../functions/src/core/errors';
import {
  ADMIN,
  auditTrail,
  callableRequest,
  claimUpdate,
  deliverLimitWrite,
  deviceEntry,
  expectInvariants,
  functions,
  readPresence,
  seedPresence,
  startFunctionsAndClients,
  stopFunctionsAndClients,
  writeLimit,
  type Callable,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
let env: RulesTestEnvironment;
beforeAll(async () => ({ ctx, env } = await startFunctionsAndClients('demo-fn-plan')));
afterAll(() => stopFunctionsAndClients(env));

const forceLogin = functions.forceLogin as unknown as Callable<{ evicted: string[] }>;
const repairPresence = functions.repairPresence as unknown as Callable<{ changed: boolean; evicted: string[] }>;
const AUTH_TIME = Math.floor(Date.now() / 1000) - 30;

/** `n` devices of `uid` claim through the rules with a token of plan `plan`, recording it (docs/protocol.md §4.2, §11.1). */
async function claimWithPlan(uid: string, plan: number, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const db = env.authenticatedContext(uid, { deviceLimit: plan }).database();
    await db.ref(`presence/${uid}`).update({ ...claimUpdate(id), planLimit: plan });
  }
}

function devicesOf(presence: Record<string, unknown> | null): string[] {
  return Object.keys((presence?.devices as Record<string, unknown> | undefined) ?? {}).sort();
}

describe('the operations without a token enforce the limit the rules enforced', () => {
  test('the sweep keeps every slot a plan of 3 gave (the default of 2 would evict one)', async () => {
    const uid = 'plan-sweep';
    await claimWithPlan(uid, 3, ['device-a1', 'device-b1', 'device-c1']);
    // Make the user one the sweep visits: quiet by lastActive, entries still fresh.
    await ctx.db.ref(`presence/${uid}/lastActive`).set(1);
    const result = await functions.sweepStaleSlots(ctx.db, { now: Date.now(), staleAfterMs: 60_000 });
    expect(result.usersVisited).toBeGreaterThanOrEqual(1);
    const after = await readPresence(ctx, uid);
    expect(devicesOf(after)).toEqual(['device-a1', 'device-b1', 'device-c1']);
    await expectInvariants(ctx, uid, 3);
  });

  test('enforceDeviceLimit after the override is removed falls back to the plan, not the default', async () => {
    const uid = 'plan-trigger';
    await claimWithPlan(uid, 3, ['device-a2', 'device-b2', 'device-c2']);
    const { before, after } = await writeLimit(ctx, uid, 5);
    await deliverLimitWrite(ctx, uid, before, after);
    const removed = await writeLimit(ctx, uid, null);
    await deliverLimitWrite(ctx, uid, removed.before, removed.after);
    expect(devicesOf(await readPresence(ctx, uid))).toHaveLength(3);
    // An override below the plan still wins: the newest extras go with limit-lowered.
    const lowered = await writeLimit(ctx, uid, 1);
    await deliverLimitWrite(ctx, uid, lowered.before, lowered.after);
    const presence = await readPresence(ctx, uid);
    expect(devicesOf(presence)).toEqual(['device-a2']);
    expect(presence?.evicted).toMatchObject({
      'device-b2': { reason: 'limit-lowered' },
      'device-c2': { reason: 'limit-lowered' },
    });
  });

  test("an admin's repair of another user reads the copy", async () => {
    const uid = 'plan-admin-repair';
    await seedPresence(ctx, uid, {
      count: 5,
      planLimit: 3,
      devices: { olddev01: deviceEntry(1), olddev02: deviceEntry(2), newdev03: deviceEntry(3) },
    });
    const answer = await repairPresence.run(callableRequest({ uid }, ADMIN));
    expect(answer).toMatchObject({ changed: true, evicted: [] });
    await expectInvariants(ctx, uid, 3);
  });
});

describe('the callables take the plan from the caller token', () => {
  test("the owner's repair with a lowered plan evicts the newest extras (limit-lowered) and records it", async () => {
    const uid = 'plan-owner-repair';
    await claimWithPlan(uid, 3, ['device-a3', 'device-b3', 'device-c3']);
    const answer = await repairPresence.run(callableRequest(null, { uid, claims: { deviceLimit: 1 } }));
    expect(answer.evicted.sort()).toEqual(['device-b3', 'device-c3']);
    const presence = await readPresence(ctx, uid);
    expect(presence).toMatchObject({ count: 1, planLimit: 1 });
    expect(presence?.evicted).toMatchObject({ 'device-c3': { reason: 'limit-lowered' } });
    const trail = await auditTrail(ctx, uid);
    expect(trail.filter((event) => event.type === 'evicted').map((event) => event.reason)).toEqual([
      'limit-lowered',
      'limit-lowered',
    ]);
  });

  test('forceLogin with a plan of 0 is refused; with a plan it records the copy', async () => {
    const uid = 'plan-force';
    const data = { deviceId: 'tablet003', platform: 'android', label: 'Pixel Tablet' };
    await expect(
      forceLogin.run(callableRequest(data, { uid, authTime: AUTH_TIME, claims: { deviceLimit: 0 } })),
    ).rejects.toMatchObject({ code: 'failed-precondition' });
    await forceLogin.run(callableRequest(data, { uid, authTime: AUTH_TIME, claims: { deviceLimit: 4 } }));
    expect(await readPresence(ctx, uid)).toMatchObject({ count: 1, planLimit: 4 });
    // A later caller without the claim removes the copy (its token says the plan is gone).
    await forceLogin.run(callableRequest(data, { uid, authTime: AUTH_TIME }));
    expect(await readPresence(ctx, uid)).not.toHaveProperty('planLimit');
  });

  test('a forged plan in the request data is refused (the plan only comes from the token)', async () => {
    const uid = 'plan-forged-data';
    const call = forceLogin.run(
      callableRequest(
        { deviceId: 'tablet003', platform: 'android', label: 'Pixel Tablet', planLimit: 50 },
        { uid, authTime: AUTH_TIME },
      ),
    );
    await expect(call).rejects.toBeInstanceOf(HttpsError);
    await expect(call).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(await readPresence(ctx, uid)).toBeNull();
  });
});

describe('applyPlanLimit (a billing backend)', () => {
  test('lowering the plan evicts the newest extras at once and records the copy', async () => {
    const uid = 'plan-billing';
    await claimWithPlan(uid, 3, ['device-a4', 'device-b4', 'device-c4']);
    const result = await functions.applyPlanLimit(ctx.db, uid, 2);
    expect(result).toEqual({ limit: 2, evicted: ['device-c4'] });
    expect(await readPresence(ctx, uid)).toMatchObject({ count: 2, planLimit: 2 });
    // Raising it back evicts nothing; removing the plan returns to the default (2): nothing either.
    expect(await functions.applyPlanLimit(ctx.db, uid, 5)).toEqual({ limit: 5, evicted: [] });
    expect(await functions.applyPlanLimit(ctx.db, uid, null)).toEqual({ limit: 2, evicted: [] });
    expect(await readPresence(ctx, uid)).not.toHaveProperty('planLimit');
  });

  test('an override still wins over the plan', async () => {
    const uid = 'plan-billing-override';
    await ctx.db.ref(`limits/${uid}`).set(1);
    expect(await functions.applyPlanLimit(ctx.db, uid, 4)).toEqual({ limit: 1, evicted: [] });
  });

  test.each([[101], [-1], [2.5]])('refuses plan %p with invalid-argument', async (plan) => {
    await expect(functions.applyPlanLimit(ctx.db, 'plan-bad', plan)).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await expect(functions.applyPlanLimit(ctx.db, 'plan-bad', plan)).rejects.toBeInstanceOf(PresenceError);
  });
});

describe('races', () => {
  test('claims of a plan of 3 racing a billing change to 2: invariant 2 holds in the server view', async () => {
    for (let round = 0; round < 8; round++) {
      const uid = `plan-race-${round}`;
      const devices = Array.from({ length: 5 }, () => env.authenticatedContext(uid, { deviceLimit: 3 }).database());
      await Promise.all(devices.map((db) => db.ref(`presence/${uid}`).get()));
      await Promise.allSettled([
        ...devices.map((db, i) =>
          db.ref(`presence/${uid}`).update({ ...claimUpdate(`r${round}-dev-${i}`), planLimit: 3 }),
        ),
        functions.applyPlanLimit(ctx.db, uid, 2),
      ]);
      const presence = await readPresence(ctx, uid);
      const limit = presence?.planLimit === 3 ? 3 : 2;
      // Whatever landed last (a claim of a token not yet refreshed, or the billing change) is what
      // the server now enforces, and the count is within it.
      expect([2, 3]).toContain(presence?.planLimit);
      await expectInvariants(ctx, uid, limit);
      const again = await repairPresence.run(callableRequest({ uid }, ADMIN));
      expect(again.changed).toBe(false);
    }
  });
});
