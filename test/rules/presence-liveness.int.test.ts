/**
 * The v2 fields of `/presence/{uid}` that carry liveness (docs/protocol.md §2, §4.4, §4.9):
 * `lastActive` and `ping` may only be set by the owner, to the server's `now`; a `ping` at most once
 * per PING_DEADLINE_MS and not by a session cut off by a force login. (The lease renewal, which moves
 * `lastSeen` and `lastActive` together, is in presence-operations.)
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from '../helpers/presence';
import { adminSet, newDeviceId, newUid, serverTimestamp, startRulesEnvironment } from '../helpers/presence';
import {
  MARGIN_MS,
  PING_DEADLINE_MS,
  ageEntry,
  claimWrite,
  expectUnchanged,
  pingAgo,
  pingWrite,
  presenceV2,
  renewWrite,
  send,
  stateOf,
  sweepWrite,
} from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-liveness');
});
afterAll(async () => {
  await env.cleanup();
});

const signedInAt = 1_700_000_000; // seconds, like auth_time

/** A user with one claimed device `a`; `db` is the owner's database. */
async function owner(): Promise<{ uid: string; db: Database; a: string }> {
  const uid = newUid();
  const db = env.authenticatedContext(uid).database();
  const a = newDeviceId('a');
  await send(db, claimWrite(uid, a));
  return { uid, db, a };
}

describe('lastActive', () => {
  test('a claim sets it to the server time of the claim', async () => {
    const { uid, a } = await owner();
    const state = await presenceV2(env, uid);
    expect(state.lastActive).toBe(state.devices?.[a]?.claimedAt);
  });

  test('the owner may set it alone, to now', async () => {
    const { uid, db } = await owner();
    await adminSet(env, `presence/${uid}/lastActive`, 1_000);
    await assertSucceeds(db.ref(`presence/${uid}/lastActive`).set(serverTimestamp()));
    expect((await presenceV2(env, uid)).lastActive).toBeGreaterThan(Date.now() - MARGIN_MS);
  });

  const attacks: Array<[string, (uid: string, db: Database, a: string) => Promise<unknown>]> = [
    ['set in the past', (uid, db) => db.ref(`presence/${uid}/lastActive`).set(Date.now() - 60_000)],
    ['set in the future', (uid, db) => db.ref(`presence/${uid}/lastActive`).set(Date.now() + 60_000)],
    ['set to a string', (uid, db) => db.ref(`presence/${uid}/lastActive`).set('now')],
    ['set to true', (uid, db) => db.ref(`presence/${uid}/lastActive`).set(true)],
    ['set to an object', (uid, db) => db.ref(`presence/${uid}/lastActive`).set({ at: serverTimestamp() })],
    ['removed', (uid, db) => db.ref(`presence/${uid}/lastActive`).remove()],
    [
      'set in the past with a valid renewal',
      (uid, db, a) => send(db, renewWrite(uid, a), { [`presence/${uid}/lastActive`]: Date.now() - 60_000 }),
    ],
    [
      'set by another user',
      (uid) => env.authenticatedContext(newUid()).database().ref(`presence/${uid}/lastActive`).set(serverTimestamp()),
    ],
    [
      'set by an unauthenticated client',
      (uid) => env.unauthenticatedContext().database().ref(`presence/${uid}/lastActive`).set(serverTimestamp()),
    ],
  ];

  test.each(attacks)('refused: %s', async (_name, attack) => {
    const { uid, db, a } = await owner();
    const before = await stateOf(env, uid);
    await assertFails(attack(uid, db, a));
    await expectUnchanged(env, uid, before);
  });

  test('a renewal of an entry that is gone is refused as a whole: lastActive does not move either', async () => {
    const { uid, db, a } = await owner();
    const before = await stateOf(env, uid);
    await assertFails(send(db, renewWrite(uid, newDeviceId('gone'))));
    await expectUnchanged(env, uid, before);
    await assertSucceeds(send(db, renewWrite(uid, a)));
  });
});

describe('ping', () => {
  test('the first liveness check is stamped with the server time', async () => {
    const { uid, db } = await owner();
    const before = Date.now();
    await assertSucceeds(send(db, pingWrite(uid)));
    const ping = (await presenceV2(env, uid)).ping;
    expect(ping).toBeGreaterThanOrEqual(before - MARGIN_MS);
    expect(ping).toBeLessThanOrEqual(Date.now() + MARGIN_MS);
  });

  test('a second ping within PING_DEADLINE_MS is refused, by any device of the user', async () => {
    const { uid, db } = await owner();
    await assertSucceeds(send(db, pingWrite(uid)));
    const before = await stateOf(env, uid);
    await assertFails(send(db, pingWrite(uid)));
    await assertFails(send(env.authenticatedContext(uid).database(), pingWrite(uid)));
    await expectUnchanged(env, uid, before);
  });

  test('a ping younger than the deadline by a margin still blocks the next one', async () => {
    const { uid, db } = await owner();
    await pingAgo(env, uid, PING_DEADLINE_MS - MARGIN_MS);
    const before = await stateOf(env, uid);
    await assertFails(send(db, pingWrite(uid)));
    await expectUnchanged(env, uid, before);
  });

  test('once PING_DEADLINE_MS has passed, the next ping is allowed', async () => {
    const { uid, db } = await owner();
    await pingAgo(env, uid, PING_DEADLINE_MS + MARGIN_MS);
    const old = (await presenceV2(env, uid)).ping ?? Infinity;
    await assertSucceeds(send(db, pingWrite(uid)));
    expect((await presenceV2(env, uid)).ping).toBeGreaterThan(old);
  });

  test('a session signed in at or after notBefore may ping', async () => {
    const { uid } = await owner();
    await adminSet(env, `presence/${uid}/notBefore`, signedInAt);
    const db = env.authenticatedContext(uid, { auth_time: signedInAt }).database();
    await assertSucceeds(send(db, pingWrite(uid)));
  });

  const attacks: Array<[string, (uid: string, db: Database) => Promise<unknown>]> = [
    ['set in the past', (uid, db) => db.ref(`presence/${uid}/ping`).set(Date.now() - 60_000)],
    ['set in the future', (uid, db) => db.ref(`presence/${uid}/ping`).set(Date.now() + 60_000)],
    ['set to a string', (uid, db) => db.ref(`presence/${uid}/ping`).set('now')],
    ['set to an object', (uid, db) => db.ref(`presence/${uid}/ping`).set({ at: serverTimestamp() })],
    ['set by another user', (uid) => send(env.authenticatedContext(newUid()).database(), pingWrite(uid))],
    ['set by an unauthenticated client', (uid) => send(env.unauthenticatedContext().database(), pingWrite(uid))],
    [
      'set by a session cut off by a force login',
      async (uid) => {
        await adminSet(env, `presence/${uid}/notBefore`, signedInAt);
        return send(env.authenticatedContext(uid, { auth_time: signedInAt - 1 }).database(), pingWrite(uid));
      },
    ],
    [
      'set by a session without auth_time once notBefore exists',
      async (uid) => {
        await adminSet(env, `presence/${uid}/notBefore`, 1);
        return send(env.authenticatedContext(uid, { auth_time: undefined }).database(), pingWrite(uid));
      },
    ],
  ];

  test.each(attacks)('refused: %s', async (_name, attack) => {
    const { uid, db } = await owner();
    const before = await stateOf(env, uid);
    await assertFails(attack(uid, db));
    const after = await stateOf(env, uid);
    expect({ ...after.presence, notBefore: undefined }).toEqual({ ...before.presence, notBefore: undefined });
    expect(after.trail).toEqual(before.trail);
  });

  test('an old ping may be neither removed nor moved back, even after the deadline', async () => {
    const { uid, db } = await owner();
    await pingAgo(env, uid, PING_DEADLINE_MS + MARGIN_MS);
    const before = await stateOf(env, uid);
    await assertFails(db.ref(`presence/${uid}/ping`).remove());
    await assertFails(db.ref(`presence/${uid}/ping`).set((before.presence.ping ?? 0) - 60_000));
    await expectUnchanged(env, uid, before);
  });

  test('a ping cannot be moved back to make a live entry look unanswered', async () => {
    // Rewriting ping to just above a holder's lastSeen would let its sweep pass at once (docs/protocol.md §4.10).
    const { uid, db, a } = await owner();
    await ageEntry(env, uid, a, PING_DEADLINE_MS + 3 * MARGIN_MS);
    const lastSeen = (await presenceV2(env, uid)).devices?.[a]?.lastSeen ?? 0;
    const before = await stateOf(env, uid);
    await assertFails(db.ref(`presence/${uid}/ping`).set(lastSeen + 1));
    await assertFails(send(db, sweepWrite(uid, a), { [`presence/${uid}/ping`]: lastSeen + 1 }));
    await expectUnchanged(env, uid, before);
  });
});
