/**
 * The `repairPresence` callable (docs/protocol.md §5.4): drift that no client write can cause (an
 * admin writing by hand, a bug) — the counter corrupted upward, downward or to a non-number, entries
 * beyond the limit — is put right in one transaction, and a repair with nothing to do aborts. The
 * last tests run overlapping repairs concurrently with client claims that go through
 * `database.rules.json` on their own sockets: whatever the interleaving, the result is exact
 * (count == entries <= limit, every accepted claim either holds a slot or has its notice) and a
 * further repair finds nothing to change.
 */
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getDatabase } from 'firebase-admin/database';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { HttpsError } from 'firebase-functions/v2/https';
import { repairUserPresence } from '../../functions/src/database/repair';
import { emulatorAddress } from '../helpers/emulator';
import {
  ADMIN,
  auditTrail,
  callableRequest,
  claimFrom,
  clientClaim,
  connectedDevice,
  deviceEntry,
  expectInvariants,
  functions,
  readPresence,
  seedPresence,
  startFunctionsAndClients,
  stopFunctionsAndClients,
  type Callable,
  type ClientDatabase,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
let env: RulesTestEnvironment;
beforeAll(async () => ({ ctx, env } = await startFunctionsAndClients('demo-fn-repair')));
afterAll(() => stopFunctionsAndClients(env));

const LIMIT = 2; // the default: these users have no /limits entry

interface RepairAnswer {
  uid: string;
  changed: boolean;
  count: number;
  evicted: string[];
}

const repairPresence = functions.repairPresence as unknown as Callable<RepairAnswer>;

function repairAsOwner(uid: string): Promise<RepairAnswer> {
  return repairPresence.run(callableRequest(null, { uid }));
}

async function failureCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpsError);
    return (error as HttpsError).code;
  }
  throw new Error('expected the call to fail');
}

/** Two devices holding slots, as two rule-checked claims leave them, with `count` as given (absent if undefined). */
function twoDevices(count: unknown): Record<string, unknown> {
  return {
    ...(count === undefined ? {} : { count }),
    op: 'deviceB02',
    lastActive: 2_000,
    devices: { deviceA01: deviceEntry(1_000), deviceB02: deviceEntry(2_000) },
  };
}

test.each([
  ['upward', 7],
  ['downward', 0],
  ['negative', -4],
  ['to a non-number', 'two'],
  ['away (absent)', undefined],
])('a count corrupted %s is recomputed from the entries; a second repair aborts', async (_name, corrupt) => {
  const uid = `drift-${String(corrupt)}`;
  await seedPresence(ctx, uid, twoDevices(corrupt));

  expect(await repairAsOwner(uid)).toEqual({ uid, changed: true, count: 2, evicted: [] });

  // Nothing else moved: the entries, op and lastActive are what they were.
  expect(await readPresence(ctx, uid)).toEqual(twoDevices(2));
  await expectInvariants(ctx, uid, LIMIT);
  expect(await repairAsOwner(uid)).toEqual({ uid, changed: false, count: 2, evicted: [] });
  // A count fix evicts nobody and records no event.
  expect(await auditTrail(ctx, uid)).toEqual([]);
});

test('entries beyond the limit are evicted, most recently claimed first, with a notice and an event', async () => {
  const uid = 'over-limit-user';
  // A third claim that bypassed the rules (an admin script, a rules bug).
  await seedPresence(ctx, uid, {
    count: 3,
    lastActive: 3_000,
    devices: { deviceA01: deviceEntry(1_000), deviceB02: deviceEntry(2_000), deviceC03: deviceEntry(3_000) },
  });

  expect(await repairAsOwner(uid)).toEqual({ uid, changed: true, count: 2, evicted: ['deviceC03'] });

  await expectInvariants(ctx, uid, LIMIT);
  const presence = await readPresence(ctx, uid);
  expect(Object.keys(presence?.devices as object).sort()).toEqual(['deviceA01', 'deviceB02']);
  expect(presence?.evicted).toEqual({ deviceC03: { reason: 'over-limit', at: expect.any(Number), generation: 0 } });
  // Server timestamps: the notice carries the database's time.
  expect(Math.abs((presence?.evicted as { deviceC03: { at: number } }).deviceC03.at - Date.now())).toBeLessThan(60_000);
  expect(await auditTrail(ctx, uid)).toEqual([
    { type: 'evicted', deviceId: 'deviceC03', reason: 'over-limit', at: expect.any(Number) },
  ]);
});

test('the limit comes from /limits/{uid}: three entries under a limit of 3 stay', async () => {
  const uid = 'limit-three-user';
  await ctx.db.ref(`limits/${uid}`).set(3);
  await seedPresence(ctx, uid, {
    count: 1,
    devices: { deviceA01: deviceEntry(1_000), deviceB02: deviceEntry(2_000), deviceC03: deviceEntry(3_000) },
  });
  expect(await repairAsOwner(uid)).toEqual({ uid, changed: true, count: 3, evicted: [] });
});

test('eviction notices older than 24 hours are dropped; recent ones stay', async () => {
  const uid = 'old-notice-user';
  const recent = { reason: 'swept', at: Date.now() - 60_000, generation: 0 };
  await seedPresence(ctx, uid, {
    count: 0,
    evicted: { ancient01: { reason: 'swept', at: 1_000, generation: 0 }, recent001: recent },
  });
  expect(await repairAsOwner(uid)).toMatchObject({ changed: true, count: 0 });
  expect(await readPresence(ctx, uid)).toEqual({ count: 0, evicted: { recent001: recent } });
});

test('a user with no presence at all has nothing to repair', async () => {
  expect(await repairAsOwner('nobody-here')).toEqual({ uid: 'nobody-here', changed: false, count: 0, evicted: [] });
  expect(await readPresence(ctx, 'nobody-here')).toBeNull();
});

describe('who may repair whom (docs/protocol.md §5.4, §8)', () => {
  test('an admin repairs any uid', async () => {
    const uid = 'admin-target';
    await seedPresence(ctx, uid, twoDevices(9));
    expect(await repairPresence.run(callableRequest({ uid }, ADMIN))).toMatchObject({ uid, changed: true, count: 2 });
  });

  test.each([
    ['another user', { uid: 'someone-else' }, { uid: 'victim-user' }, 'permission-denied'],
    [
      'an admin claim that is not true',
      { uid: 'x', claims: { admin: 'yes' } },
      { uid: 'victim-user' },
      'permission-denied',
    ],
    ['no auth', undefined, { uid: 'victim-user' }, 'unauthenticated'],
    ['a uid that is a path', ADMIN, { uid: 'victim-user/devices' }, 'invalid-argument'],
    ['an unknown field', { uid: 'victim-user' }, { uid: 'victim-user', force: true }, 'invalid-argument'],
  ])('refuses %s and changes nothing', async (_name, auth, data, expected) => {
    await seedPresence(ctx, 'victim-user', twoDevices(9));
    expect(await failureCode(repairPresence.run(callableRequest(data, auth)))).toBe(expected);
    expect(await readPresence(ctx, 'victim-user')).toEqual(twoDevices(9));
  });
});

/**
 * Separate admin connections, as separate function instances would have: transactions on one
 * connection are queued and sent one after another by the SDK, so only several connections make the
 * server arbitrate between repairs.
 */
function instances(round: number, n: number) {
  const { hostAndPort } = emulatorAddress();
  return Array.from({ length: n }, (_, i) =>
    initializeApp(
      {
        projectId: ctx.ns,
        databaseURL: `http://${hostAndPort}?ns=${ctx.ns}`,
        credential: { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) },
      },
      `instance-${round}-${i}`,
    ),
  );
}

test.each([0, 1, 2, 3, 4])(
  'overlapping repairs concurrent with client claims converge and stay exact (round %i)',
  async (round) => {
    const uid = `overlap-user-${round}`;
    // Two devices claim through the rules; then an admin's hand edit corrupts the count downward,
    // which lets the rules accept claims beyond the limit until a repair puts it right.
    expect(await clientClaim(env, uid, 'original1')).toBe(true);
    expect(await clientClaim(env, uid, 'original2')).toBe(true);
    await ctx.db.ref(`presence/${uid}/count`).set(0);
    await new Promise((resolve) => setTimeout(resolve, 5)); // later claims get a later claimedAt

    const apps = instances(round, 3);
    try {
      const newcomers = ['newcomer1', 'newcomer2', 'newcomer3', 'newcomer4'];
      const devices = await Promise.all(newcomers.map(() => connectedDevice(env, uid)));
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      // Rounds spread the claims out against the repairs, so the interleavings differ: in the first
      // round the drift lets claims beyond the limit in before any repair, in later ones repairs
      // land between them.
      const claims = newcomers.map(async (deviceId, i) => {
        await pause(i * round * 3);
        return { deviceId, accepted: await claimFrom(devices[i] as ClientDatabase, uid, deviceId) };
      });
      const repairs = [
        pause(round).then(() => repairAsOwner(uid)),
        pause(round * 2).then(() => repairPresence.run(callableRequest({ uid }, ADMIN))),
        ...apps.map((app, i) => pause(round * i * 4).then(() => repairUserPresence(getDatabase(app), uid))),
      ];
      const [claimed] = await Promise.all([Promise.all(claims), Promise.all(repairs)]);
      // The client module asks for a repair when a drifted count blocks its claim: one more, after
      // every write has landed.
      await repairAsOwner(uid);

      await expectInvariants(ctx, uid, LIMIT);
      const presence = await readPresence(ctx, uid);
      const holding = Object.keys(presence?.devices as object).sort();
      const notices = (presence?.evicted ?? {}) as Record<string, { reason: string }>;
      // The devices that held their slot longest keep it, whatever the interleaving.
      expect(holding).toEqual(['original1', 'original2']);
      // Exact: every accepted claim was evicted with a notice, and nothing else was.
      const accepted = claimed.filter((c) => c.accepted).map((c) => c.deviceId);
      expect(Object.keys(notices).sort()).toEqual(accepted.sort());
      for (const notice of Object.values(notices)) expect(notice.reason).toBe('over-limit');
      // Every eviction is recorded exactly once, by the repair whose transaction committed it.
      const evicted = (await auditTrail(ctx, uid)).filter((e) => e.type === 'evicted').map((e) => e.deviceId);
      expect(evicted.sort()).toEqual(accepted.sort());
      // Converged: nothing is left to change, and the rules refuse further claims at the limit.
      expect(await repairAsOwner(uid)).toEqual({ uid, changed: false, count: 2, evicted: [] });
      expect(await clientClaim(env, uid, 'latecomer1')).toBe(false);
    } finally {
      await Promise.all(apps.map((app) => deleteApp(app)));
    }
  },
);
