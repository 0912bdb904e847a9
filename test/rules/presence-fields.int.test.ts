/**
 * Field bounds, immutable fields, server-only paths and reads (docs/protocol.md §2, §3, §8): each
 * rule has a write or read here that tries to break it and is refused. The v2 client writes to
 * `lastActive`, `ping`, eviction notices and the audit trail have their own suites
 * (presence-liveness, presence-sweep, presence-audit).
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from '../helpers/presence';
import {
  adminGet,
  adminSet,
  claim,
  increment,
  newDeviceId,
  newUid,
  presenceOf,
  presenceRef,
  serverTimestamp,
  startRulesEnvironment,
} from '../helpers/presence';
import { renewWrite, send } from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-fields');
});
afterAll(async () => {
  await env.cleanup();
});

function owner(): { uid: string; db: Database } {
  const uid = newUid();
  return { uid, db: env.authenticatedContext(uid).database() };
}

const goodEntry = {
  claimedAt: serverTimestamp(),
  lastSeen: serverTimestamp(),
  generation: 0,
  platform: 'web',
  label: 'x',
};

/** A claim whose entry is `goodEntry` with `changes` applied (undefined deletes a field). */
function claimWith(
  db: Database,
  uid: string,
  changes: Record<string, unknown>,
  deviceId = newDeviceId(),
): Promise<unknown> {
  const value: Record<string, unknown> = { ...goodEntry, ...changes };
  for (const key of Object.keys(changes)) if (changes[key] === undefined) delete value[key];
  return presenceRef(db, uid).update({ count: increment(1), op: deviceId, [`devices/${deviceId}`]: value });
}

const badClaims: Array<[string, Record<string, unknown>]> = [
  ['label too long (65)', { label: 'L'.repeat(65) }],
  ['label empty', { label: '' }],
  ['label not a string', { label: 42 }],
  ['label missing', { label: undefined }],
  ['platform outside the set', { platform: 'beos' }],
  ['platform with another case', { platform: 'Web' }],
  ['platform with a suffix', { platform: 'web2' }],
  ['platform not a string', { platform: 1 }],
  ['platform missing', { platform: undefined }],
  ['claimedAt in the past', { claimedAt: 1_000 }],
  ['claimedAt in the future', { claimedAt: Date.now() + 3_600_000 }],
  ['claimedAt a string', { claimedAt: 'now' }],
  ['lastSeen in the future', { lastSeen: Date.now() + 3_600_000 }],
  ['lastSeen missing', { lastSeen: undefined }],
  ['generation a string', { generation: '0' }],
  ['generation missing', { generation: undefined }],
  ['an unknown field', { admin: true }],
  ['an oversized unknown field', { blob: 'x'.repeat(10_000) }],
];

describe('claims with malformed or oversized fields are refused', () => {
  test.each(badClaims)('%s', async (_name, changes) => {
    const { uid, db } = owner();
    await assertFails(claimWith(db, uid, changes));
    expect(await presenceOf(env, uid)).toEqual({});
  });

  test.each([
    ['too short (7)', 'abcdefg'],
    ['too long (65)', 'a'.repeat(65)],
    ['with a space', 'device 123'],
    ['with a tilde', 'device~123'],
    ['with a non-ASCII letter', 'devicé123'],
    ['with an @', 'me@device'],
  ])('deviceId %s', async (_name, deviceId) => {
    const { uid, db } = owner();
    await assertFails(claimWith(db, uid, {}, deviceId));
    expect(await presenceOf(env, uid)).toEqual({});
  });

  test('op that is not a valid deviceId', async () => {
    const { uid, db } = owner();
    await assertFails(
      presenceRef(db, uid).update({ count: increment(1), op: 'bad id!', 'devices/bad id!': goodEntry }),
    );
    expect(await presenceOf(env, uid)).toEqual({});
  });
});

describe('an existing entry only changes lastSeen (to now) and label', () => {
  const tampering: Array<[string, (entryRef: ReturnType<Database['ref']>) => Promise<unknown>]> = [
    ['claimedAt changed (even to now)', (e) => e.update({ claimedAt: serverTimestamp() })],
    ['platform changed', (e) => e.update({ platform: 'ios' })],
    ['generation changed', (e) => e.update({ generation: 1 })],
    ['lastSeen set to the future', (e) => e.update({ lastSeen: Date.now() + 3_600_000 })],
    ['lastSeen set to the past', (e) => e.update({ lastSeen: 1_000 })],
    ['lastSeen removed', (e) => e.child('lastSeen').remove()],
    ['label removed', (e) => e.child('label').remove()],
    ['label too long', (e) => e.update({ label: 'L'.repeat(65) })],
    ['an unknown field added', (e) => e.update({ pushToken: 'abc' })],
    ['the entry replaced by a fresh one', (e) => e.set(goodEntry)],
  ];

  test.each(tampering)('%s', async (_name, tamper) => {
    const { uid, db } = owner();
    const id = newDeviceId();
    await claim(db, uid, id);
    const before = await presenceOf(env, uid);
    await assertFails(tamper(db.ref(`presence/${uid}/devices/${id}`)));
    expect(await presenceOf(env, uid)).toEqual(before);
  });

  test('a lease renewal or lastSeen update of an entry that does not exist is refused', async () => {
    const { uid, db } = owner();
    await assertFails(send(db, renewWrite(uid, newDeviceId())));
    await assertFails(db.ref(`presence/${uid}/devices/${newDeviceId()}`).update({ lastSeen: serverTimestamp() }));
    expect(await presenceOf(env, uid)).toEqual({});
  });
});

describe('server-only paths', () => {
  // Rows get the user and one device `id` it holds (fresh, so no sweep of it is allowed).
  const serverOnly: Array<[string, (uid: string, id: string) => [string, unknown]]> = [
    ['generation', (uid) => [`presence/${uid}/generation`, 1]],
    ['generation removed', (uid) => [`presence/${uid}/generation`, null]],
    ['notBefore', (uid) => [`presence/${uid}/notBefore`, 0]],
    // Version 2 lets the owner write a swept notice only with the sweep of a stale entry (presence-sweep).
    [
      'an eviction notice for a device that holds no slot',
      (uid) => [`presence/${uid}/evicted/${newDeviceId()}`, { reason: 'swept', at: serverTimestamp(), generation: 0 }],
    ],
    [
      'an eviction notice for a live entry, without its sweep',
      (uid, id) => [`presence/${uid}/evicted/${id}`, { reason: 'swept', at: serverTimestamp(), generation: 0 }],
    ],
    [
      'a signed-out notice for a live entry',
      (uid, id) => [`presence/${uid}/evicted/${id}`, { reason: 'signed-out', at: serverTimestamp(), generation: 0 }],
    ],
    ['an unknown field of presence', (uid) => [`presence/${uid}/extra`, 1]],
    ['the user’s own limit', (uid) => [`limits/${uid}`, 10]],
    // Version 1's sweep index; version 2 indexes lastActive instead and has no /presenceIndex rule.
    ['the former sweep index /presenceIndex', (uid) => [`presenceIndex/${uid}`, 0]],
    ['an unlisted top-level path', (uid) => [`users/${uid}`, { name: 'x' }]],
    ['the root', () => ['/', null]],
  ];

  test.each(serverOnly)('the owner cannot write %s', async (_name, target) => {
    const { uid, db } = owner();
    const id = newDeviceId();
    await claim(db, uid, id);
    await adminSet(env, `presence/${uid}/generation`, 0);
    const before = await presenceOf(env, uid);
    const [path, value] = target(uid, id);
    await assertFails(db.ref(path).set(value));
    expect(await presenceOf(env, uid)).toEqual(before);
  });

  test('a claim cannot smuggle a generation bump or notBefore', async () => {
    const { uid, db } = owner();
    const id = newDeviceId();
    await assertFails(
      presenceRef(db, uid).update({
        count: increment(1),
        op: id,
        generation: 1,
        [`devices/${id}`]: { ...goodEntry, generation: 1 },
      }),
    );
    await assertFails(
      presenceRef(db, uid).update({ count: increment(1), op: id, notBefore: 0, [`devices/${id}`]: goodEntry }),
    );
    expect(await presenceOf(env, uid)).toEqual({});
  });
});

describe('reads', () => {
  test('nobody reads another user’s presence, limit or audit trail; unauthenticated reads nothing', async () => {
    const { uid, db } = owner();
    await claim(db, uid, newDeviceId());
    const stranger = env.authenticatedContext(newUid()).database();
    const anonymous = env.unauthenticatedContext().database();
    for (const reader of [stranger, anonymous]) {
      await assertFails(reader.ref(`presence/${uid}`).get());
      await assertFails(reader.ref(`presence/${uid}/count`).get());
      await assertFails(reader.ref(`limits/${uid}`).get());
      await assertFails(reader.ref(`presenceEvents/${uid}`).get());
      await assertFails(reader.ref('presence').get());
    }
    await assertFails(db.ref('presence').get());
    // The former sweep index (version 1) is gone: closed like any unlisted path.
    await assertFails(db.ref('presenceIndex').get());
    await assertFails(db.ref(`presenceIndex/${uid}`).get());
    await assertFails(db.ref('/').get());
  });
});

describe('the audit trail: events appended alone', () => {
  // Alone, only `denied` is accepted; claimed, released and swept need their write (presence-audit).
  const event = (deviceId: string): Record<string, unknown> => ({ type: 'denied', deviceId, at: serverTimestamp() });

  test.each([
    ['the server’s type evicted', { type: 'evicted' }],
    ['a claimed event without its claim', { type: 'claimed' }],
    ['a released event without its release', { type: 'released' }],
    ['a swept event without its sweep', { type: 'swept' }],
    ['a forged time', { at: 1_000 }],
    ['a bad deviceId', { deviceId: 'bad id!' }],
    ['a long reason', { reason: 'r'.repeat(65) }],
    ['an unknown field', { extra: 1 }],
    ['no type', { type: null }],
  ])('the owner cannot append an event with %s', async (_name, changes) => {
    const { uid, db } = owner();
    const value = { ...event(newDeviceId()), ...changes };
    await assertFails(db.ref(`presenceEvents/${uid}`).push().set(value));
  });

  test('events cannot be changed or deleted by the owner, nor written by others', async () => {
    const { uid, db } = owner();
    const ref = db.ref(`presenceEvents/${uid}`).push();
    await assertSucceeds(ref.set(event(newDeviceId())));
    await assertFails(ref.child('reason').set('changed'));
    await assertFails(ref.remove());
    await assertFails(
      env.authenticatedContext(newUid()).database().ref(`presenceEvents/${uid}`).push().set(event(newDeviceId())),
    );
    const stored = await adminGet<Record<string, { reason?: string }>>(env, `presenceEvents/${uid}`);
    expect(Object.keys(stored ?? {})).toEqual([ref.key]);
    expect(stored?.[ref.key ?? '']?.reason).toBeUndefined();
  });
});
