/**
 * Every legitimate operation of docs/protocol.md §4 succeeds under database.rules.json, and leaves
 * `count` equal to the number of device entries.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import {
  adminGet,
  adminSet,
  claim,
  claimUpdate,
  defaultLimitFromRules,
  entryCount,
  heartbeat,
  newDeviceId,
  newUid,
  presenceOf,
  presenceRef,
  release,
  releaseUpdate,
  serverTimestamp,
  startRulesEnvironment,
  waitFor,
  closeAndSettle,
} from '../helpers/presence';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-ops');
});
afterAll(async () => {
  await env.cleanup();
});

describe('legitimate operations', () => {
  test('claim creates the entry with server timestamps, count 1 and op', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    const before = Date.now();
    await assertSucceeds(claim(db, uid, id));
    const state = await presenceOf(env, uid);
    expect(state.count).toBe(1);
    expect(state.op).toBe(id);
    const entry = state.devices?.[id];
    expect(entry).toMatchObject({ generation: 0, platform: 'web', label: 'Chrome on Linux' });
    expect(entry?.claimedAt).toBe(entry?.lastSeen);
    expect(entry?.claimedAt).toBeGreaterThanOrEqual(before - 60_000);
  });

  test('the owner reads their presence and their limit', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    await claim(db, uid, newDeviceId());
    await adminSet(env, `limits/${uid}`, 3);
    const snapshot = await assertSucceeds(presenceRef(db, uid).get());
    expect(snapshot.child('count').val()).toBe(1);
    const limit = await assertSucceeds(db.ref(`limits/${uid}`).get());
    expect(limit.val()).toBe(3);
  });

  test('up to the default limit of devices claim; each has its own slot', async () => {
    const uid = newUid();
    const limit = defaultLimitFromRules();
    const ids = Array.from({ length: limit }, () => newDeviceId());
    for (const id of ids) {
      await assertSucceeds(
        claim(env.authenticatedContext(uid).database(), uid, id, 0, { platform: 'ios', label: 'iPhone' }),
      );
    }
    const state = await presenceOf(env, uid);
    expect(state.count).toBe(limit);
    expect(entryCount(state)).toBe(limit);
  });

  test('every platform of the fixed set is accepted', async () => {
    for (const platform of ['web', 'ios', 'android', 'macos', 'windows', 'linux', 'other']) {
      const uid = newUid();
      await assertSucceeds(
        claim(env.authenticatedContext(uid).database(), uid, newDeviceId(), 0, { platform, label: 'x' }),
      );
    }
  });

  test('deviceIds and labels at their bounds are accepted', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    await assertSucceeds(claim(db, uid, 'A1_-b2C3', 0, { platform: 'web', label: 'L'.repeat(64) }));
    await assertSucceeds(claim(db, uid, 'z'.repeat(64), 0, { platform: 'web', label: 'é' }));
  });

  test('heartbeat moves lastSeen to the server time and nothing else', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    await claim(db, uid, id);
    const before = (await presenceOf(env, uid)).devices?.[id];
    await new Promise((resolve) => setTimeout(resolve, 5));
    await assertSucceeds(heartbeat(db, uid, id));
    const after = (await presenceOf(env, uid)).devices?.[id];
    expect(after?.lastSeen).toBeGreaterThan(before?.lastSeen ?? Infinity);
    expect({ ...after, lastSeen: 0 }).toEqual({ ...before, lastSeen: 0 });
  });

  test('label change, with or without a heartbeat', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    await claim(db, uid, id);
    await assertSucceeds(db.ref(`presence/${uid}/devices/${id}`).update({ label: 'Work laptop' }));
    await assertSucceeds(db.ref(`presence/${uid}/devices/${id}/label`).set('Home laptop'));
    await assertSucceeds(
      db.ref(`presence/${uid}/devices/${id}`).update({ label: 'Laptop', lastSeen: serverTimestamp() }),
    );
    expect((await presenceOf(env, uid)).devices?.[id]?.label).toBe('Laptop');
  });

  test('release removes the entry and gives the slot back; the same device re-claims', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const other = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    await claim(db, uid, id);
    await claim(db, uid, other);
    await assertSucceeds(release(db, uid, id));
    let state = await presenceOf(env, uid);
    expect(state).toMatchObject({ count: 1, op: id });
    expect(Object.keys(state.devices ?? {})).toEqual([other]);
    await assertSucceeds(claim(db, uid, id));
    state = await presenceOf(env, uid);
    expect(state.count).toBe(2);
    expect(entryCount(state)).toBe(2);
    await assertSucceeds(release(db, uid, id));
    await assertSucceeds(release(db, uid, other));
    state = await presenceOf(env, uid);
    expect(state.count).toBe(0);
    expect(entryCount(state)).toBe(0);
  });

  test('claim and heartbeat of another entry in one update', async () => {
    const uid = newUid();
    const first = newDeviceId();
    const second = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    await claim(db, uid, first);
    await assertSucceeds(
      presenceRef(db, uid).update({ ...claimUpdate(second), [`devices/${first}/lastSeen`]: serverTimestamp() }),
    );
    expect((await presenceOf(env, uid)).count).toBe(2);
  });

  test('the onDisconnect release registers, and runs when the socket closes', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const stays = newDeviceId();
    const device = env.authenticatedContext(uid).database();
    await claim(env.authenticatedContext(uid).database(), uid, stays);
    await claim(device, uid, id);
    await assertSucceeds(presenceRef(device, uid).onDisconnect().update(releaseUpdate(id)));
    device.goOffline();
    const released = await waitFor(async () => (await presenceOf(env, uid)).devices?.[id] === undefined);
    expect(released).toBe(true);
    const state = await presenceOf(env, uid);
    expect(state).toMatchObject({ count: 1, op: id });
    expect(Object.keys(state.devices ?? {})).toEqual([stays]);
  });

  test('a cancelled onDisconnect release does not run after a deliberate release', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const device = env.authenticatedContext(uid).database();
    await claim(device, uid, id);
    await presenceRef(device, uid).onDisconnect().update(releaseUpdate(id));
    await assertSucceeds(presenceRef(device, uid).onDisconnect().cancel());
    await release(device, uid, id);
    // Re-claim from another socket, then close the first: nothing may be released twice.
    const again = env.authenticatedContext(uid).database();
    await claim(again, uid, id);
    await closeAndSettle(env, device, uid);
    const state = await presenceOf(env, uid);
    expect(state.count).toBe(1);
    expect(entryCount(state)).toBe(1);
  });

  test('the owner appends a denied audit event stamped with the server time', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    const event = { type: 'denied', deviceId: newDeviceId(), reason: 'limit-reached', at: serverTimestamp() };
    await assertSucceeds(db.ref(`presenceEvents/${uid}`).push().set(event));
    const events = await assertSucceeds(db.ref(`presenceEvents/${uid}`).get());
    expect(events.numChildren()).toBe(1);
  });

  test('app data behind the force-login gate is open to the owner when there is no cut-off', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    await assertSucceeds(db.ref(`appData/${uid}/notes`).set('hello'));
    await assertSucceeds(db.ref(`appData/${uid}`).get());
    await assertFails(env.authenticatedContext(newUid()).database().ref(`appData/${uid}`).get());
    expect(await adminGet(env, `appData/${uid}/notes`)).toBe('hello');
  });
});
