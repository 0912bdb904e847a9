/**
 * Every legitimate operation of docs/protocol.md §4 succeeds under database.rules.json, and leaves
 * `count` equal to the number of device entries. Claims, renewals and releases are sent in their
 * version 2 form (one multi-location update at the root, test/rules/support.ts); the version 1
 * single-location updates at `/presence/{uid}` that docs/protocol.md §9 keeps valid are checked once, at the end, and
 * serve the other suites as the shortest form of a claim or release. Audit events: presence-audit;
 * liveness checks and sweeps: presence-liveness, presence-sweep.
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
import { ageEntry, claimWrite, presenceV2, releaseWrite, renewWrite, send } from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-ops');
});
afterAll(async () => {
  await env.cleanup();
});

describe('legitimate operations', () => {
  test('claim creates the entry with server timestamps, count 1, op and lastActive', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    const before = Date.now();
    await assertSucceeds(send(db, claimWrite(uid, id)));
    const state = await presenceV2(env, uid);
    expect(state.count).toBe(1);
    expect(state.op).toBe(id);
    const entry = state.devices?.[id];
    expect(entry).toMatchObject({ generation: 0, platform: 'web', label: 'Chrome on Linux' });
    expect(entry?.claimedAt).toBe(entry?.lastSeen);
    expect(state.lastActive).toBe(entry?.claimedAt);
    expect(entry?.claimedAt).toBeGreaterThanOrEqual(before - 60_000);
  });

  test('the owner reads their presence and their limit', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    await send(db, claimWrite(uid, newDeviceId()));
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
        send(env.authenticatedContext(uid).database(), claimWrite(uid, id, 0, { platform: 'ios', label: 'iPhone' })),
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
        send(env.authenticatedContext(uid).database(), claimWrite(uid, newDeviceId(), 0, { platform, label: 'x' })),
      );
    }
  });

  test('deviceIds and labels at their bounds are accepted', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    await assertSucceeds(send(db, claimWrite(uid, 'A1_-b2C3', 0, { platform: 'web', label: 'L'.repeat(64) })));
    await assertSucceeds(send(db, claimWrite(uid, 'z'.repeat(64), 0, { platform: 'web', label: 'é' })));
  });

  test('lease renewal moves lastSeen and lastActive to the same server time, and nothing else', async () => {
    // Version 2 has no heartbeat: a holder renews once an hour, on resume and to answer a ping (docs/protocol.md §4.4).
    const uid = newUid();
    const id = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    await send(db, claimWrite(uid, id));
    await ageEntry(env, uid, id, 60_000);
    await adminSet(env, `presence/${uid}/lastActive`, Date.now() - 60_000);
    const before = await presenceV2(env, uid);
    await assertSucceeds(send(db, renewWrite(uid, id)));
    const after = await presenceV2(env, uid);
    expect(after.devices?.[id]?.lastSeen).toBeGreaterThan(before.devices?.[id]?.lastSeen ?? Infinity);
    expect(after.lastActive).toBe(after.devices?.[id]?.lastSeen);
    expect({ ...after.devices?.[id], lastSeen: 0 }).toEqual({ ...before.devices?.[id], lastSeen: 0 });
    expect({ ...after, devices: null, lastActive: 0 }).toEqual({ ...before, devices: null, lastActive: 0 });
  });

  test('label change, with or without lastSeen', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    await send(db, claimWrite(uid, id));
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
    await send(db, claimWrite(uid, id));
    await send(db, claimWrite(uid, other));
    await assertSucceeds(send(db, releaseWrite(uid, id)));
    let state = await presenceOf(env, uid);
    expect(state).toMatchObject({ count: 1, op: id });
    expect(Object.keys(state.devices ?? {})).toEqual([other]);
    await assertSucceeds(send(db, claimWrite(uid, id)));
    state = await presenceOf(env, uid);
    expect(state.count).toBe(2);
    expect(entryCount(state)).toBe(2);
    await assertSucceeds(send(db, releaseWrite(uid, id)));
    await assertSucceeds(send(db, releaseWrite(uid, other)));
    state = await presenceOf(env, uid);
    expect(state.count).toBe(0);
    expect(entryCount(state)).toBe(0);
  });

  test('claim and renewal of another entry in one update', async () => {
    const uid = newUid();
    const first = newDeviceId();
    const second = newDeviceId();
    const db = env.authenticatedContext(uid).database();
    await send(db, claimWrite(uid, first));
    await ageEntry(env, uid, first, 60_000);
    await assertSucceeds(send(db, claimWrite(uid, second), renewWrite(uid, first)));
    const state = await presenceV2(env, uid);
    expect(state.count).toBe(2);
    expect(state.devices?.[first]?.lastSeen).toBe(state.devices?.[second]?.claimedAt);
  });

  test('the onDisconnect release registers at the root, and runs when the socket closes', async () => {
    const uid = newUid();
    const id = newDeviceId();
    const stays = newDeviceId();
    const device = env.authenticatedContext(uid).database();
    await send(env.authenticatedContext(uid).database(), claimWrite(uid, stays));
    await send(device, claimWrite(uid, id));
    await assertSucceeds(device.ref().onDisconnect().update(releaseWrite(uid, id)));
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
    await send(device, claimWrite(uid, id));
    await device.ref().onDisconnect().update(releaseWrite(uid, id));
    await assertSucceeds(device.ref().onDisconnect().cancel());
    await send(device, releaseWrite(uid, id));
    // Re-claim from another socket, then close the first: nothing may be released twice.
    const again = env.authenticatedContext(uid).database();
    await send(again, claimWrite(uid, id));
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

describe('version 1 single-location updates at /presence/{uid} remain valid (docs/protocol.md §9)', () => {
  test('claims (one with a lastSeen update), a release and an onDisconnect release at the presence node', async () => {
    const uid = newUid();
    const [id, other] = [newDeviceId('v1'), newDeviceId('v1')];
    const device = env.authenticatedContext(uid).database();
    await assertSucceeds(claim(device, uid, id));
    await assertSucceeds(
      presenceRef(device, uid).update({ ...claimUpdate(other), [`devices/${id}/lastSeen`]: serverTimestamp() }),
    );
    await assertSucceeds(release(device, uid, other));
    await assertSucceeds(presenceRef(device, uid).onDisconnect().update(releaseUpdate(id)));
    // A version 1 claim leaves no lastActive: the user is invisible to the sweep's query (docs/protocol.md §9).
    expect((await presenceV2(env, uid)).lastActive).toBeUndefined();
    await closeAndSettle(env, device, uid);
    const state = await presenceOf(env, uid);
    expect(state).toMatchObject({ count: 0, op: id });
    expect(entryCount(state)).toBe(0);
  });
});
