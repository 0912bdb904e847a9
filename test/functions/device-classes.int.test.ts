/**
 * Device classes on the server (docs/protocol.md §11.3): `setClassLimits` writes a user's class
 * limits, classifies, recounts and evicts in one transaction; after class-aware clients claim and
 * release through `database.rules.json`, the repair finds the counters exact; the callables keep them
 * so (sign out, force login with a class); claims racing a lowered class limit leave every class
 * within its limit and every counter equal to its entries.
 */
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { PresenceError } from '../../functions/src/core/errors';
import { claimWrite, releaseWrite, send, withClasses } from '../rules/support';
import {
  ADMIN,
  callableRequest,
  expectInvariants,
  functions,
  readPresence,
  seedPresence,
  deviceEntry,
  startFunctionsAndClients,
  stopFunctionsAndClients,
  type Callable,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
let env: RulesTestEnvironment;
beforeAll(async () => ({ ctx, env } = await startFunctionsAndClients('demo-fn-classes')));
afterAll(() => stopFunctionsAndClients(env));

const repairPresence = functions.repairPresence as unknown as Callable<{ changed: boolean }>;
const signOutDevice = functions.signOutDevice as unknown as Callable<unknown>;
const forceLogin = functions.forceLogin as unknown as Callable<unknown>;
const ANDROID = { platform: 'android', label: 'Pixel' };
const BROWSER = { platform: 'web', label: 'Chrome' };

/** A class-aware claim through the rules (docs/protocol.md §11.3). */
function classedClaim(uid: string, id: string, info: typeof ANDROID, deviceClass: string) {
  return withClasses(uid, claimWrite(uid, id, 0, info), { [id]: deviceClass }, { [deviceClass]: 1 });
}

/** Entries per class and the counters, read back. */
async function classesOf(uid: string): Promise<{ perClass: Record<string, number>; counters: unknown }> {
  const presence = await readPresence(ctx, uid);
  const perClass: Record<string, number> = {};
  for (const entry of Object.values((presence?.devices ?? {}) as Record<string, { class?: string }>)) {
    if (entry.class) perClass[entry.class] = (perClass[entry.class] ?? 0) + 1;
  }
  return { perClass, counters: presence?.classCount };
}

test('setClassLimits classifies existing devices, recounts, and evicts the newest extras of a class', async () => {
  const uid = 'classes-set';
  await ctx.db.ref(`limits/${uid}`).set(5);
  await seedPresence(ctx, uid, {
    count: 3,
    devices: {
      phone001: { ...deviceEntry(1), platform: 'ios' },
      phone002: { ...deviceEntry(2), platform: 'android' },
      browser1: deviceEntry(3),
    },
  });
  expect(await functions.setClassLimits(ctx.db, uid, { mobile: 1 })).toEqual({ evicted: ['phone002'] });
  expect(await readPresence(ctx, uid)).toMatchObject({
    count: 2,
    classLimits: { mobile: 1 },
    classCount: { mobile: 1, web: 1 },
    evicted: { phone002: { reason: 'limit-lowered' } },
  });
  // Idempotent: a second call changes nothing.
  expect(await functions.setClassLimits(ctx.db, uid, { mobile: 1 })).toEqual({ evicted: [] });
});

test.each([[{ car: 1 }], [{ mobile: 1.5 }], [{ tv: 101 }]])('setClassLimits refuses %p', async (limits) => {
  const call = functions.setClassLimits(ctx.db, 'classes-bad', limits as never);
  await expect(call).rejects.toBeInstanceOf(PresenceError);
  await expect(call).rejects.toMatchObject({ code: 'invalid-argument' });
});

test('after class-aware claims and releases through the rules, the counters are exact', async () => {
  const uid = 'classes-clients';
  await ctx.db.ref(`limits/${uid}`).set(5);
  await functions.setClassLimits(ctx.db, uid, { mobile: 2, tv: 1 });
  const db = env.authenticatedContext(uid).database();
  await send(db, classedClaim(uid, 'phone-0001', ANDROID, 'mobile'));
  await send(db, classedClaim(uid, 'tv-000001', ANDROID, 'tv'));
  await send(db, classedClaim(uid, 'browser01', BROWSER, 'web'));
  await send(db, withClasses(uid, releaseWrite(uid, 'phone-0001'), {}, { mobile: -1 }));
  expect((await repairPresence.run(callableRequest({ uid }, ADMIN))).changed).toBe(false);
  expect(await classesOf(uid)).toEqual({ perClass: { tv: 1, web: 1 }, counters: { mobile: 0, tv: 1, web: 1 } });

  await signOutDevice.run(callableRequest({ deviceId: 'tv-000001' }, { uid }));
  expect((await readPresence(ctx, uid))?.classCount).toEqual({ mobile: 0, tv: 0, web: 1 });

  await forceLogin.run(
    callableRequest(
      { deviceId: 'tv-000002', platform: 'android', label: 'TV', deviceClass: 'tv' },
      { uid, authTime: Math.floor(Date.now() / 1000) },
    ),
  );
  expect(await classesOf(uid)).toEqual({ perClass: { tv: 1 }, counters: { mobile: 0, tv: 1, web: 0 } });
  expect((await repairPresence.run(callableRequest({ uid }, ADMIN))).changed).toBe(false);
});

test('phones claiming while an admin lowers mobile from 3 to 1: each class within its limit, counters exact', async () => {
  for (let round = 0; round < 6; round++) {
    const uid = `classes-race-${round}`;
    await functions.setClassLimits(ctx.db, uid, { mobile: 3 });
    const dbs = Array.from({ length: 5 }, () => env.authenticatedContext(uid).database());
    await Promise.all(dbs.map((db) => db.ref(`presence/${uid}`).get()));
    await Promise.allSettled([
      ...dbs.map((db, i) => send(db, classedClaim(uid, `r${round}-phone-${i}`, ANDROID, 'mobile'))),
      functions.setClassLimits(ctx.db, uid, { mobile: 1 }),
    ]);
    const { perClass, counters } = await classesOf(uid);
    expect(perClass.mobile ?? 0).toBeLessThanOrEqual(1);
    expect((counters as Record<string, number>).mobile).toBe(perClass.mobile ?? 0);
    await expectInvariants(ctx, uid, 2);
  }
});
