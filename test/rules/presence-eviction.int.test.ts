/**
 * Evictions done by the server (docs/protocol.md §5) and what the rules then allow: the
 * onDisconnect release of an evicted device is refused when it runs, a force login cuts off older
 * sessions through the `auth_time` gate, and stale generations cannot claim or renew their lease.
 * (The version 2 onDisconnect release at the root, with its audit event: presence-audit.)
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import {
  adminEvict,
  adminSet,
  adminUpdate,
  claim,
  closeAndSettle,
  entryCount,
  newDeviceId,
  newUid,
  presenceOf,
  presenceRef,
  release,
  releaseUpdate,
  startRulesEnvironment,
} from '../helpers/presence';
import type { Database } from '../helpers/presence';
import { renewWrite, send } from './support';

/** docs/protocol.md §4.4: the lease renewal of `deviceId` (version 1 had a heartbeat instead). */
const renew = (db: Database, uid: string, deviceId: string): Promise<unknown> => send(db, renewWrite(uid, deviceId));

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-eviction');
});
afterAll(async () => {
  await env.cleanup();
});

describe('the onDisconnect release of an evicted device', () => {
  test('is refused when it runs, so count is not decremented twice', async () => {
    const uid = newUid();
    const [a, b, c] = [newDeviceId('a'), newDeviceId('b'), newDeviceId('c')];
    const deviceA = env.authenticatedContext(uid).database();
    await assertSucceeds(claim(deviceA, uid, a));
    await assertSucceeds(presenceRef(deviceA, uid).onDisconnect().update(releaseUpdate(a)));
    await claim(env.authenticatedContext(uid).database(), uid, b);

    await adminEvict(env, uid, a); // signOutDevice, as the server performs it
    // The freed slot is taken again before A's socket dies.
    await assertSucceeds(claim(env.authenticatedContext(uid).database(), uid, c));
    expect((await presenceOf(env, uid)).count).toBe(2);

    await closeAndSettle(env, deviceA, uid);
    const state = await presenceOf(env, uid);
    expect(state.count).toBe(2);
    expect(Object.keys(state.devices ?? {}).sort()).toEqual([b, c].sort());
    expect(state.evicted?.[a]?.reason).toBe('signed-out');
  });

  test('with no other device, count stays 0 rather than going negative', async () => {
    const uid = newUid();
    const a = newDeviceId('a');
    const deviceA = env.authenticatedContext(uid).database();
    await claim(deviceA, uid, a);
    await presenceRef(deviceA, uid).onDisconnect().update(releaseUpdate(a));
    await adminEvict(env, uid, a, 'swept');
    await closeAndSettle(env, deviceA, uid);
    const state = await presenceOf(env, uid);
    expect(state.count).toBe(0);
    expect(entryCount(state)).toBe(0);
  });

  test('when the same install re-claimed meanwhile, the late release keeps count equal to the entries', async () => {
    // docs/protocol.md §4.3/docs/protocol.md §4.8: the old connection's release removes the re-claimed entry; the
    // client sees its entry gone without an eviction notice newer than its claim and claims again.
    const uid = newUid();
    const a = newDeviceId('a');
    const oldSocket = env.authenticatedContext(uid).database();
    await claim(oldSocket, uid, a);
    await presenceRef(oldSocket, uid).onDisconnect().update(releaseUpdate(a));
    await adminEvict(env, uid, a, 'swept');
    const newSocket = env.authenticatedContext(uid).database();
    await assertSucceeds(claim(newSocket, uid, a));
    await closeAndSettle(env, oldSocket, uid);
    const state = await presenceOf(env, uid);
    expect(state.devices?.[a]).toBeUndefined();
    expect(state.count).toBe(0);
  });
});

describe('force login', () => {
  const signedInAt = 1_700_000_000; // seconds, like auth_time

  /** docs/protocol.md §5.1 performed by the server for the caller `keep`, signed in at `authTime`. */
  async function forceLogin(uid: string, keep: string, authTime: number): Promise<void> {
    const state = await presenceOf(env, uid);
    const generation = (state.generation ?? 0) + 1;
    const now = Date.now();
    const evicted: Record<string, unknown> = {};
    for (const id of Object.keys(state.devices ?? {})) {
      if (id !== keep) evicted[`evicted/${id}`] = { reason: 'force-login', at: now, generation };
    }
    await adminUpdate(env, `presence/${uid}`, {
      ...evicted,
      count: 1,
      op: keep,
      generation,
      notBefore: Math.max(state.notBefore ?? 0, authTime),
      devices: { [keep]: { claimedAt: now, lastSeen: now, generation, platform: 'android', label: 'Pixel' } },
    });
  }

  test('older sessions are cut off; sessions signed in since pass; generations must match', async () => {
    const uid = newUid();
    const [a, b, caller, later] = [newDeviceId('a'), newDeviceId('b'), newDeviceId('k'), newDeviceId('l')];
    const oldSession = env.authenticatedContext(uid, { auth_time: signedInAt - 100 }).database();
    await claim(oldSession, uid, a);
    await claim(env.authenticatedContext(uid, { auth_time: signedInAt - 50 }).database(), uid, b);
    await assertSucceeds(oldSession.ref(`appData/${uid}/doc`).set('before'));

    await forceLogin(uid, caller, signedInAt);
    const after = await presenceOf(env, uid);
    expect(after).toMatchObject({ count: 1, generation: 1, notBefore: signedInAt });
    expect(Object.keys(after.devices ?? {})).toEqual([caller]);

    // The cut-off session still reads its presence (to learn why), but cannot claim, change an entry or use app data.
    await assertSucceeds(presenceRef(oldSession, uid).get());
    await assertFails(claim(oldSession, uid, a, 1));
    await assertFails(claim(oldSession, uid, a, 0));
    await assertFails(renew(oldSession, uid, caller));
    await assertFails(oldSession.ref(`presence/${uid}/devices/${caller}/label`).set('mine now'));
    await assertFails(oldSession.ref(`appData/${uid}/doc`).get());
    await assertFails(oldSession.ref(`appData/${uid}/doc`).set('after'));

    // A session signed in at or after notBefore passes the gate, but only with the current generation.
    const freshSession = env.authenticatedContext(uid, { auth_time: signedInAt + 10 }).database();
    await assertFails(claim(freshSession, uid, later, 0));
    await assertFails(claim(freshSession, uid, later, 2));
    await assertSucceeds(claim(freshSession, uid, later, 1));
    await assertSucceeds(renew(freshSession, uid, later));
    await assertSucceeds(freshSession.ref(`appData/${uid}/doc`).set('after'));
    const callerSession = env.authenticatedContext(uid, { auth_time: signedInAt }).database();
    await assertSucceeds(renew(callerSession, uid, caller));

    const final = await presenceOf(env, uid);
    expect(final.count).toBe(2);
    expect(entryCount(final)).toBe(2);
    expect(final.devices?.[later]?.generation).toBe(1);
  });

  test('a session without auth_time is cut off once notBefore exists', async () => {
    const uid = newUid();
    await adminSet(env, `presence/${uid}/notBefore`, 1);
    // `auth_time: undefined` removes the claim from the mock token; the gate must not treat it as passing.
    const db = env.authenticatedContext(uid, { auth_time: undefined }).database();
    await assertFails(claim(db, uid, newDeviceId()));
    await assertFails(db.ref(`appData/${uid}/x`).set(1));
  });

  test('releases are not gated: a cut-off session may still give back a slot it holds', async () => {
    const uid = newUid();
    const a = newDeviceId('a');
    const oldSession = env.authenticatedContext(uid, { auth_time: signedInAt - 100 }).database();
    await claim(oldSession, uid, a);
    await adminSet(env, `presence/${uid}/notBefore`, signedInAt);
    await assertSucceeds(release(oldSession, uid, a));
    expect((await presenceOf(env, uid)).count).toBe(0);
  });
});

describe('stale generation', () => {
  test('an entry left with an old generation can neither renew its lease nor change its label', async () => {
    const uid = newUid();
    const a = newDeviceId('a');
    const db = env.authenticatedContext(uid).database();
    await claim(db, uid, a);
    await adminSet(env, `presence/${uid}/generation`, 1); // bumped without removing the entry
    await assertFails(renew(db, uid, a));
    await assertFails(db.ref(`presence/${uid}/devices/${a}/label`).set('y'));
    await assertSucceeds(release(db, uid, a));
    await assertFails(claim(db, uid, a, 0));
    await assertSucceeds(claim(db, uid, a, 1));
  });
});
