/**
 * Per-plan limits (docs/protocol.md §11.1): the custom claim `deviceLimit` of the writer's ID token
 * sets the limit unless an admin's `/limits/{uid}` override exists; any other claim value is ignored
 * (the default applies), except a map or a list, which fails closed. The server's copy
 * `/presence/{uid}/planLimit` may only be written as the writer's own claim. Each attack is followed
 * by a check that nothing of the user changed.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from '../helpers/presence';
import {
  adminSet,
  defaultLimitFromRules,
  entryCount,
  newDeviceId,
  newUid,
  presenceRef,
  startRulesEnvironment,
} from '../helpers/presence';
import {
  claimWrite,
  expectUnchanged,
  planLimitWrite,
  presenceV2,
  releaseWrite,
  renewWrite,
  send,
  stateOf,
} from './support';

let env: RulesTestEnvironment;
const DEFAULT_LIMIT = defaultLimitFromRules();

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-plan-limit');
});
afterAll(async () => {
  await env.cleanup();
});

/** A device of `uid` whose ID token carries `claims` (one app and one socket per call). */
function device(uid: string, claims: Record<string, unknown> = {}): Database {
  return env.authenticatedContext(uid, claims).database();
}

/** Claims with fresh devices of `uid` (token `claims`) until one is refused; returns how many got in. */
async function claimsAccepted(uid: string, claims: Record<string, unknown>, upTo = 8): Promise<number> {
  for (let n = 0; n < upTo; n++) {
    try {
      await send(device(uid, claims), claimWrite(uid, newDeviceId(`c${n}`)));
    } catch (error) {
      expect(String(error)).toMatch(/PERMISSION_DENIED/i);
      return n;
    }
  }
  return upTo;
}

describe('the limit a claim is judged against', () => {
  test.each<[string, Record<string, unknown>, number | null, number]>([
    ['a plan claim of 3', { deviceLimit: 3 }, null, 3],
    ['a plan claim of 1', { deviceLimit: 1 }, null, 1],
    ['a plan claim of 0 admits no device', { deviceLimit: 0 }, null, 0],
    ['a plan claim of 5 above the default', { deviceLimit: 5 }, null, 5],
    ['no claim: the default', {}, null, DEFAULT_LIMIT],
    ['the /limits override wins over a higher claim', { deviceLimit: 5 }, 1, 1],
    ['the /limits override wins over a lower claim', { deviceLimit: 1 }, 4, 4],
    // Malformed claims are ignored: the default applies, exactly as the functions read them.
    ["a string claim '5'", { deviceLimit: '5' }, null, DEFAULT_LIMIT],
    ['a fraction 3.5', { deviceLimit: 3.5 }, null, DEFAULT_LIMIT],
    ['above MAX_DEVICE_LIMIT (101)', { deviceLimit: 101 }, null, DEFAULT_LIMIT],
    ['negative (-1)', { deviceLimit: -1 }, null, DEFAULT_LIMIT],
    ['a boolean true', { deviceLimit: true }, null, DEFAULT_LIMIT],
    ['a boolean false', { deviceLimit: false }, null, DEFAULT_LIMIT],
    ['null', { deviceLimit: null }, null, DEFAULT_LIMIT],
    ['another claim name (devicelimit)', { devicelimit: 5 }, null, DEFAULT_LIMIT],
  ])('%s', async (_name, claims, override, expected) => {
    const uid = newUid();
    if (override !== null) await adminSet(env, `limits/${uid}`, override);
    expect(await claimsAccepted(uid, claims)).toBe(expected);
    const state = await presenceV2(env, uid);
    expect(state.count ?? 0).toBe(expected);
    expect(entryCount(state)).toBe(expected);
  });

  test('a map or a list claim fails closed: no claim, but releases still work', async () => {
    const uid = newUid();
    const a = newDeviceId('a');
    await send(device(uid), claimWrite(uid, a));
    for (const claims of [{ deviceLimit: { plan: 5 } }, { deviceLimit: [5] }]) {
      const before = await stateOf(env, uid);
      await assertFails(send(device(uid, claims), claimWrite(uid, newDeviceId('m'))));
      await expectUnchanged(env, uid, before);
    }
    await assertSucceeds(send(device(uid, { deviceLimit: { plan: 5 } }), releaseWrite(uid, a)));
    expect((await presenceV2(env, uid)).count).toBe(0);
  });

  test('each claim is judged by its own token: a device of a lower plan cannot join a fuller account', async () => {
    const uid = newUid();
    await send(device(uid, { deviceLimit: 3 }), claimWrite(uid, newDeviceId('a')));
    await send(device(uid, { deviceLimit: 3 }), claimWrite(uid, newDeviceId('b')));
    // A token issued before a downgrade to 1 (or after one) is refused the third slot...
    const before = await stateOf(env, uid);
    await assertFails(send(device(uid, { deviceLimit: 2 }), claimWrite(uid, newDeviceId('c'))));
    await expectUnchanged(env, uid, before);
    // ...and a token of the plan of 3 gets it.
    await assertSucceeds(send(device(uid, { deviceLimit: 3 }), claimWrite(uid, newDeviceId('c'))));
  });

  test('over a lowered plan, releases and renewals still work; claims wait until count is below it', async () => {
    const uid = newUid();
    const ids = [newDeviceId('a'), newDeviceId('b'), newDeviceId('c')];
    for (const id of ids) await send(device(uid, { deviceLimit: 3 }), claimWrite(uid, id));
    const lowered = device(uid, { deviceLimit: 1 });
    await assertSucceeds(send(lowered, renewWrite(uid, ids[0] as string)));
    await assertSucceeds(send(lowered, releaseWrite(uid, ids[2] as string)));
    await assertFails(send(lowered, claimWrite(uid, ids[2] as string)));
    await assertSucceeds(send(lowered, releaseWrite(uid, ids[1] as string)));
    await assertFails(send(lowered, claimWrite(uid, ids[2] as string))); // count 1 == the plan of 1
    expect((await presenceV2(env, uid)).count).toBe(1);
  });
});

describe("the server's copy: /presence/{uid}/planLimit", () => {
  test('a claim carries its own plan limit with it', async () => {
    const uid = newUid();
    await assertSucceeds(
      send(device(uid, { deviceLimit: 4 }), claimWrite(uid, newDeviceId('a')), planLimitWrite(uid, 4)),
    );
    expect((await presenceV2(env, uid)).planLimit).toBe(4);
  });

  test('a session writes its own claim alone, and one without a claim removes the copy', async () => {
    const uid = newUid();
    await assertSucceeds(send(device(uid, { deviceLimit: 2 }), planLimitWrite(uid, 2)));
    expect((await presenceV2(env, uid)).planLimit).toBe(2);
    await assertSucceeds(send(device(uid, { deviceLimit: 7 }), planLimitWrite(uid, 7)));
    expect((await presenceV2(env, uid)).planLimit).toBe(7);
    await assertSucceeds(send(device(uid, { deviceLimit: 'gold' }), planLimitWrite(uid, null)));
    expect((await presenceV2(env, uid)).planLimit).toBeUndefined();
  });

  const attacks: Array<[string, (uid: string) => Promise<unknown>]> = [
    ['a value above its own claim', (uid) => send(device(uid, { deviceLimit: 2 }), planLimitWrite(uid, 3))],
    ['a value below its own claim', (uid) => send(device(uid, { deviceLimit: 2 }), planLimitWrite(uid, 1))],
    [
      'removing it while its token carries a claim',
      (uid) => send(device(uid, { deviceLimit: 2 }), planLimitWrite(uid, null)),
    ],
    ['a value without any claim', (uid) => send(device(uid), planLimitWrite(uid, 5))],
    ["the string of a string claim '5'", (uid) => send(device(uid, { deviceLimit: '5' }), planLimitWrite(uid, '5'))],
    ['the value of an out-of-range claim', (uid) => send(device(uid, { deviceLimit: 101 }), planLimitWrite(uid, 101))],
    ['a fraction claim copied', (uid) => send(device(uid, { deviceLimit: 2.5 }), planLimitWrite(uid, 2.5))],
    ['a map claim copied', (uid) => send(device(uid, { deviceLimit: { n: 5 } }), planLimitWrite(uid, { n: 5 }))],
    [
      "another user's copy, with a matching claim",
      (uid) => send(env.authenticatedContext(newUid(), { deviceLimit: 9 }).database(), planLimitWrite(uid, 9)),
    ],
    ['unauthenticated', (uid) => send(env.unauthenticatedContext().database(), planLimitWrite(uid, 9))],
    [
      'a claim carrying a forged copy',
      (uid) => send(device(uid, { deviceLimit: 2 }), claimWrite(uid, newDeviceId('x')), planLimitWrite(uid, 50)),
    ],
    [
      'the whole presence node replaced to plant a copy',
      (uid) => presenceRef(device(uid, { deviceLimit: 9 }), uid).set({ planLimit: 9 }),
    ],
  ];

  test.each(attacks)('refused: %s', async (_name, attack) => {
    const uid = newUid();
    await send(device(uid, { deviceLimit: 2 }), claimWrite(uid, newDeviceId('a')), planLimitWrite(uid, 2));
    const before = await stateOf(env, uid);
    await assertFails(attack(uid));
    await expectUnchanged(env, uid, before);
  });
});

describe('races stay exact under plan limits', () => {
  test('8 devices with a plan of 3 claim at once, 10 rounds: exactly 3 succeed', async () => {
    const uid = newUid();
    const devices = Array.from({ length: 8 }, () => device(uid, { deviceLimit: 3 }));
    await Promise.all(devices.map((db) => presenceRef(db, uid).get()));
    for (let round = 0; round < 10; round++) {
      await adminSet(env, `presence/${uid}`, null);
      const results = await Promise.allSettled(
        devices.map((db, i) => send(db, claimWrite(uid, newDeviceId(`r${round}d${i}`)), planLimitWrite(uid, 3))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      const state = await presenceV2(env, uid);
      expect(state.count).toBe(3);
      expect(entryCount(state)).toBe(3);
      expect(state.planLimit).toBe(3);
    }
  });

  test('devices of plans 1 to 4 race: every accepted claim fitted its own plan', async () => {
    const uid = newUid();
    const plans = [1, 2, 3, 4, 1, 2, 3, 4];
    const devices = plans.map((plan) => device(uid, { deviceLimit: plan }));
    await Promise.all(devices.map((db) => presenceRef(db, uid).get()));
    for (let round = 0; round < 10; round++) {
      await adminSet(env, `presence/${uid}`, null);
      const ids = plans.map((_, i) => newDeviceId(`r${round}d${i}`));
      await Promise.allSettled(devices.map((db, i) => send(db, claimWrite(uid, ids[i] as string))));
      const state = await presenceV2(env, uid);
      const entries = Object.entries(state.devices ?? {}).sort(([, x], [, y]) => x.claimedAt - y.claimedAt);
      expect(state.count).toBe(entries.length);
      // The server serializes the writes and the k-th claim to land was accepted only with a plan of at
      // least k; so at most m of the accepted claims have a plan <= m, i.e. sorted ascending, the k-th
      // accepted plan (0-based) is at least k + 1.
      const planOf = (id: string) => plans[ids.indexOf(id)] as number;
      const accepted = entries.map(([id]) => planOf(id)).sort((x, y) => x - y);
      accepted.forEach((plan, k) => expect(plan).toBeGreaterThanOrEqual(k + 1));
      expect(entries.length).toBeGreaterThanOrEqual(1);
      expect(entries.length).toBeLessThanOrEqual(4);
    }
  });
});
