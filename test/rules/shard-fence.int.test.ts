/**
 * The rules of a shard migration (docs/protocol.md §10.2, R1–R3): `/shardEpoch`, the claim's
 * `mapEpoch` and the fence `movedOut`. What they must guarantee is docs/protocol.md §10.3's: once a user's previous
 * instance is fenced for them it admits none of their claims, and a fence is only ever written where
 * they hold no entry, so their entries are never on two instances at once. Each describe block runs
 * on its own namespace, because `/shardEpoch` is one value per instance.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from '../helpers/presence';
import { adminSet, newDeviceId, newUid, startRulesEnvironment } from '../helpers/presence';
import {
  claimWrite,
  expectUnchanged,
  presenceV2,
  releaseWrite,
  renewWrite,
  replaceWrite,
  send,
  stateOf,
  type Write,
} from './support';

/** R1: the map epoch a sharded client writes with every claim. */
function mapEpochWrite(uid: string, mapEpoch: unknown): Write {
  return { [`presence/${uid}/mapEpoch`]: mapEpoch };
}

/** R2: the fence, written alone at `/presence/{uid}`. */
function fence(db: Database, uid: string, epoch: unknown): Promise<unknown> {
  return db.ref(`presence/${uid}`).update({ movedOut: epoch });
}

/** A user with their own authenticated connection. */
function newUser(env: RulesTestEnvironment): { uid: string; db: Database } {
  const uid = newUid();
  return { uid, db: env.authenticatedContext(uid).database() };
}

describe('an instance that never changed its map (no /shardEpoch)', () => {
  let env: RulesTestEnvironment;
  beforeAll(async () => {
    env = await startRulesEnvironment('demo-rules-shard-e0');
  });
  afterAll(async () => {
    await env.cleanup();
  });

  test('accepts claims without mapEpoch or with mapEpoch 0, as before docs/protocol.md §10', async () => {
    const { uid, db } = newUser(env);
    await assertSucceeds(send(db, claimWrite(uid, newDeviceId('a'))));
    await assertSucceeds(send(db, claimWrite(uid, newDeviceId('b')), mapEpochWrite(uid, 0)));
    expect((await presenceV2(env, uid)).count).toBe(2);
  });

  test('refuses a claim of a newer map (mapEpoch 1 above the epoch 0) and any fence', async () => {
    const { uid, db } = newUser(env);
    const before = await stateOf(env, uid);
    await assertFails(send(db, claimWrite(uid, newDeviceId('a')), mapEpochWrite(uid, 1)));
    await assertFails(fence(db, uid, 1));
    await expectUnchanged(env, uid, before);
  });
});

describe('an instance of epoch 1 (a migration from epoch 0 runs)', () => {
  let env: RulesTestEnvironment;
  beforeAll(async () => {
    env = await startRulesEnvironment('demo-rules-shard-e1');
    await adminSet(env, 'shardEpoch', 1);
  });
  afterAll(async () => {
    await env.cleanup();
  });

  test.each([
    ['absent (a client of docs/protocol.md §1–§9)', undefined],
    ['0 (a client of the old map)', 0],
    ['1 (a client of the new map)', 1],
  ])('accepts a claim whose mapEpoch is %s', async (_name, mapEpoch) => {
    const { uid, db } = newUser(env);
    const parts = mapEpoch === undefined ? [] : [mapEpochWrite(uid, mapEpoch)];
    await assertSucceeds(send(db, claimWrite(uid, newDeviceId('a')), ...parts));
    const state = await presenceV2(env, uid);
    expect(state.count).toBe(1);
    expect((state as { mapEpoch?: number }).mapEpoch).toBe(mapEpoch);
  });

  test.each([
    ['2, a map that does not exist yet', 2],
    ['-1', -1],
    ['0.5', 0.5],
    ["'1', a string", '1'],
  ])('refuses a claim whose mapEpoch is %s', async (_name, mapEpoch) => {
    const { uid, db } = newUser(env);
    const before = await stateOf(env, uid);
    await assertFails(send(db, claimWrite(uid, newDeviceId('a')), mapEpochWrite(uid, mapEpoch)));
    await expectUnchanged(env, uid, before);
  });

  test('R3: mapEpoch is written only with a claim, never alone nor with a release or renewal', async () => {
    const { uid, db } = newUser(env);
    const a = newDeviceId('a');
    await assertSucceeds(send(db, claimWrite(uid, a), mapEpochWrite(uid, 0)));
    const before = await stateOf(env, uid);
    await assertFails(send(db, mapEpochWrite(uid, 1)));
    await assertFails(send(db, renewWrite(uid, a), mapEpochWrite(uid, 1)));
    await assertFails(send(db, releaseWrite(uid, a), mapEpochWrite(uid, 1)));
    await assertFails(send(db, mapEpochWrite(uid, null)));
    await expectUnchanged(env, uid, before);
  });

  test('R2: the fence is accepted where the user holds no entry, and then refuses every claim of epoch 0 and 1', async () => {
    const { uid, db } = newUser(env);
    await assertSucceeds(fence(db, uid, 1));
    const before = await stateOf(env, uid);
    expect((before.presence as { movedOut?: number }).movedOut).toBe(1);
    // A client of docs/protocol.md §1–§9 (no mapEpoch), one of the old map, and one of the new map that did not read
    // the fence: none of them may put an entry here any more.
    await assertFails(send(db, claimWrite(uid, newDeviceId('a'))));
    await assertFails(send(db, claimWrite(uid, newDeviceId('b')), mapEpochWrite(uid, 0)));
    await assertFails(send(db, claimWrite(uid, newDeviceId('c')), mapEpochWrite(uid, 1)));
    await expectUnchanged(env, uid, before);
  });

  test('R2: no fence while the user holds an entry, nor in the write that releases the last one', async () => {
    const { uid, db } = newUser(env);
    const a = newDeviceId('a');
    await assertSucceeds(send(db, claimWrite(uid, a), mapEpochWrite(uid, 0)));
    const before = await stateOf(env, uid);
    await assertFails(fence(db, uid, 1));
    await assertFails(send(db, releaseWrite(uid, a), { [`presence/${uid}/movedOut`]: 1 }));
    await expectUnchanged(env, uid, before);
    // Once the entry is gone, the fence goes in.
    await assertSucceeds(send(db, releaseWrite(uid, a)));
    await assertSucceeds(fence(db, uid, 1));
  });

  test('R2: a fence cannot be lowered, removed, set above /shardEpoch, or by another user', async () => {
    const { uid, db } = newUser(env);
    await assertFails(fence(db, uid, 2));
    await assertFails(fence(db, uid, 0));
    await assertFails(fence(db, uid, 'one'));
    await assertFails(fence(env.authenticatedContext(newUid('mallory')).database(), uid, 1));
    await assertFails(fence(env.unauthenticatedContext().database(), uid, 1));
    expect((await presenceV2(env, uid)) as unknown).toEqual({});
    await assertSucceeds(fence(db, uid, 1));
    const before = await stateOf(env, uid);
    await assertFails(fence(db, uid, 1)); // not upwards
    await assertFails(db.ref(`presence/${uid}/movedOut`).remove());
    await assertFails(db.ref(`presence/${uid}`).update({ movedOut: null }));
    await expectUnchanged(env, uid, before);
  });

  test('R1 holds for the replace form of a claim (docs/protocol.md §11.2) too', async () => {
    const { uid, db } = newUser(env);
    const [a, b] = [newDeviceId('a'), newDeviceId('b')];
    await assertSucceeds(send(db, claimWrite(uid, a), mapEpochWrite(uid, 0)));
    await assertSucceeds(send(db, claimWrite(uid, b)));
    const before = await stateOf(env, uid);
    await assertFails(send(db, replaceWrite(uid, newDeviceId('c'), a), mapEpochWrite(uid, 2)));
    await expectUnchanged(env, uid, before);
    await assertSucceeds(send(db, replaceWrite(uid, newDeviceId('c'), a), mapEpochWrite(uid, 1)));
  });

  test('a claim and a fence racing from two devices: exactly one of them is accepted, every time', async () => {
    for (let round = 0; round < 8; round++) {
      const uid = newUid();
      const claimer = env.authenticatedContext(uid).database();
      const fencer = env.authenticatedContext(uid).database();
      const device = newDeviceId('a');
      const results = await Promise.allSettled([
        send(claimer, claimWrite(uid, device), mapEpochWrite(uid, 0)),
        fence(fencer, uid, 1),
      ]);
      const accepted = results.map((result) => result.status === 'fulfilled');
      expect(accepted.filter(Boolean)).toHaveLength(1);
      const state = (await presenceV2(env, uid)) as { count?: number; devices?: object; movedOut?: number };
      // Either the claim won (the old instance keeps serving the user) or the fence did (nothing here).
      if (accepted[0])
        expect([state.count, Object.keys(state.devices ?? {}), state.movedOut]).toEqual([1, [device], undefined]);
      else expect([state.count, state.devices, state.movedOut]).toEqual([undefined, undefined, 1]);
    }
  });

  test('/shardEpoch: any signed-in user reads it; nobody but the server writes it', async () => {
    const { db } = newUser(env);
    await assertSucceeds(db.ref('shardEpoch').get());
    await assertFails(env.unauthenticatedContext().database().ref('shardEpoch').get());
    await assertFails(db.ref('shardEpoch').set(5));
    await assertFails(db.ref('shardEpoch').remove());
  });
});

describe('an instance of epoch 2 that a user left at epoch 1 (the next change moves them back)', () => {
  let env: RulesTestEnvironment;
  beforeAll(async () => {
    env = await startRulesEnvironment('demo-rules-shard-e2');
    await adminSet(env, 'shardEpoch', 2);
  });
  afterAll(async () => {
    await env.cleanup();
  });

  test('the fence of epoch 1 refuses claims of epoch 1 and admits those of epoch 2', async () => {
    const { uid, db } = newUser(env);
    await adminSet(env, `presence/${uid}/movedOut`, 1);
    const before = await stateOf(env, uid);
    await assertFails(send(db, claimWrite(uid, newDeviceId('a')), mapEpochWrite(uid, 1)));
    await assertFails(send(db, claimWrite(uid, newDeviceId('b'))));
    await expectUnchanged(env, uid, before);
    await assertSucceeds(send(db, claimWrite(uid, newDeviceId('c')), mapEpochWrite(uid, 2)));
    // docs/protocol.md §10.6: a client without mapEpoch is judged by the map epoch the last claim here left.
    await assertSucceeds(send(db, claimWrite(uid, newDeviceId('d'))));
    expect((await presenceV2(env, uid)).count).toBe(2);
  });

  test('a claim of epoch 0, two maps behind, is refused; the fence only rises (1 to 2)', async () => {
    const { uid, db } = newUser(env);
    await assertFails(send(db, claimWrite(uid, newDeviceId('a')), mapEpochWrite(uid, 0)));
    await assertSucceeds(fence(db, uid, 1));
    await assertSucceeds(fence(db, uid, 2));
    await assertFails(fence(db, uid, 1));
  });
});
