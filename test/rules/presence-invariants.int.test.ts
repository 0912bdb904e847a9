/**
 * Attacks on the counting invariant (docs/protocol.md §1): every write that would make `count`
 * differ from the number of entries, or take a slot without the protocol's claim, is refused, and
 * the state is unchanged afterwards. Each row starts from one claimed device `A` of a fresh user.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database, PresenceState } from '../helpers/presence';
import {
  adminSet,
  claim,
  claimUpdate,
  defaultLimitFromRules,
  entryCount,
  increment,
  newDeviceId,
  newUid,
  presenceOf,
  presenceRef,
  release,
  releaseUpdate,
  serverTimestamp,
  startRulesEnvironment,
} from '../helpers/presence';
import { renewWrite, send } from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-invariants');
});
afterAll(async () => {
  await env.cleanup();
});

interface Scene {
  uid: string;
  /** The owner's database. */
  db: Database;
  /** A claimed device. */
  a: string;
  /** Valid ids that hold no slot. */
  b: string;
  c: string;
}

async function scene(): Promise<Scene> {
  const uid = newUid();
  const db = env.authenticatedContext(uid).database();
  const a = newDeviceId('a');
  await claim(db, uid, a);
  return { uid, db, a, b: newDeviceId('b'), c: newDeviceId('c') };
}

function entry(generation = 0): Record<string, unknown> {
  return { claimedAt: serverTimestamp(), lastSeen: serverTimestamp(), generation, platform: 'web', label: 'x' };
}

async function expectUnchanged(s: Scene, before: PresenceState): Promise<void> {
  const after = await presenceOf(env, s.uid);
  expect(after).toEqual(before);
  expect(after.count).toBe(entryCount(after));
}

/** Rows: [what the attacker tries, the write, an optional legitimate setup]. All writes must be refused. */
type Attack = [string, (s: Scene) => Promise<unknown>, ((s: Scene) => Promise<unknown>)?];

const attacks: Attack[] = [
  // Unauthenticated and other users.
  ['unauthenticated claim', (s) => claim(env.unauthenticatedContext().database(), s.uid, s.b)],
  ['unauthenticated release', (s) => release(env.unauthenticatedContext().database(), s.uid, s.a)],
  ['claim into another user', (s) => claim(env.authenticatedContext(newUid()).database(), s.uid, s.b)],
  ['release of another user’s device', (s) => release(env.authenticatedContext(newUid()).database(), s.uid, s.a)],
  [
    'lastSeen of another user’s device moved',
    (s) =>
      env
        .authenticatedContext(newUid())
        .database()
        .ref(`presence/${s.uid}/devices/${s.a}/lastSeen`)
        .set(serverTimestamp()),
  ],
  [
    'lease renewal of another user’s device',
    (s) => send(env.authenticatedContext(newUid()).database(), renewWrite(s.uid, s.a)),
  ],
  ['unauthenticated lease renewal', (s) => send(env.unauthenticatedContext().database(), renewWrite(s.uid, s.a))],
  // count moved by anything but the one named entry.
  ['count +2 with one entry', (s) => presenceRef(s.db, s.uid).update({ ...claimUpdate(s.b), count: increment(2) })],
  ['count set to old + 2 with one entry', (s) => presenceRef(s.db, s.uid).update({ ...claimUpdate(s.b), count: 3 })],
  [
    'count −2 with one removal',
    (s) => presenceRef(s.db, s.uid).update({ ...releaseUpdate(s.a), count: increment(-2) }),
  ],
  ['count +1 without an entry', (s) => presenceRef(s.db, s.uid).update({ count: increment(1), op: s.b })],
  ['count +1 alone', (s) => presenceRef(s.db, s.uid).update({ count: increment(1) })],
  ['count −1 without a removal', (s) => presenceRef(s.db, s.uid).update({ count: increment(-1), op: s.a })],
  [
    'count −1 naming a device that holds no slot',
    (s) => presenceRef(s.db, s.uid).update({ count: increment(-1), op: s.b }),
  ],
  [
    'count −1 naming a device already released',
    (s) => presenceRef(s.db, s.uid).update({ count: increment(-1), op: s.b }),
    async (s) => {
      await claim(s.db, s.uid, s.b);
      await release(s.db, s.uid, s.b);
    },
  ],
  ['count set to 0 directly', (s) => s.db.ref(`presence/${s.uid}/count`).set(0)],
  ['count deleted', (s) => s.db.ref(`presence/${s.uid}/count`).remove()],
  ['count as a string', (s) => presenceRef(s.db, s.uid).update({ ...claimUpdate(s.b), count: '2' })],
  ['count +0.5', (s) => presenceRef(s.db, s.uid).update({ ...claimUpdate(s.b), count: 1.5 })],
  // Entries without the count move.
  [
    'entry created with op but no count',
    (s) => presenceRef(s.db, s.uid).update({ op: s.b, [`devices/${s.b}`]: entry() }),
  ],
  ['entry created alone', (s) => s.db.ref(`presence/${s.uid}/devices/${s.b}`).set(entry())],
  [
    'entry re-created alone while op still names it',
    (s) => s.db.ref(`presence/${s.uid}/devices/${s.b}`).set(entry()),
    async (s) => {
      await claim(s.db, s.uid, s.b);
      await release(s.db, s.uid, s.b);
    },
  ],
  ['entry removed alone', (s) => s.db.ref(`presence/${s.uid}/devices/${s.a}`).remove()],
  ['entry removed with op but no count', (s) => presenceRef(s.db, s.uid).update({ op: s.a, [`devices/${s.a}`]: null })],
  [
    'swap: one entry in, one out, count unchanged',
    (s) => presenceRef(s.db, s.uid).update({ op: s.b, [`devices/${s.b}`]: entry(), [`devices/${s.a}`]: null }),
  ],
  ['all devices removed at once', (s) => s.db.ref(`presence/${s.uid}/devices`).remove()],
  ['the whole presence node removed', (s) => presenceRef(s.db, s.uid).remove()],
  [
    'the whole presence node replaced',
    (s) => presenceRef(s.db, s.uid).set({ count: 1, op: s.b, devices: { [s.b]: entry() } }),
  ],
  // op naming a different device than the one written.
  [
    'claim with op naming a device not written',
    (s) => presenceRef(s.db, s.uid).update({ ...claimUpdate(s.b), op: s.c }),
  ],
  ['claim with op naming an existing device', (s) => presenceRef(s.db, s.uid).update({ ...claimUpdate(s.b), op: s.a })],
  [
    'release with op naming a device not removed',
    (s) => presenceRef(s.db, s.uid).update({ ...releaseUpdate(s.a), op: s.b }),
  ],
  [
    'two entries for one count +1',
    (s) => presenceRef(s.db, s.uid).update({ ...claimUpdate(s.b), [`devices/${s.c}`]: entry() }),
  ],
  [
    'two removals for one count −1',
    (s) => presenceRef(s.db, s.uid).update({ ...releaseUpdate(s.a), [`devices/${s.b}`]: null }),
    (s) => claim(s.db, s.uid, s.b),
  ],
  [
    'entry removed alone while op already names it',
    (s) => s.db.ref(`presence/${s.uid}/devices/${s.b}`).remove(),
    (s) => claim(s.db, s.uid, s.b),
  ],
  [
    'claim plus removal of another entry',
    (s) => presenceRef(s.db, s.uid).update({ ...claimUpdate(s.b), [`devices/${s.a}`]: null }),
  ],
  ['op written alone', (s) => s.db.ref(`presence/${s.uid}/op`).set(s.b)],
  ['op deleted', (s) => s.db.ref(`presence/${s.uid}/op`).remove()],
  // The same install claiming again must not take a second slot.
  ['re-claim of an existing entry', (s) => claim(s.db, s.uid, s.a)],
  // Releases of entries that are not there.
  ['release of a device that never claimed', (s) => release(s.db, s.uid, s.b)],
  [
    'onDisconnect release registered for a device that holds no slot',
    (s) => presenceRef(s.db, s.uid).onDisconnect().update(releaseUpdate(s.b)),
  ],
];

describe('attacks on the count invariant are refused and change nothing', () => {
  const rows = attacks.map(([name, attack, setup]) => ({ name, attack, setup }));
  test.each(rows)('$name', async ({ attack, setup }) => {
    const s = await scene();
    if (setup) await setup(s);
    const before = await presenceOf(env, s.uid);
    await assertFails(attack(s));
    await expectUnchanged(s, before);
  });
});

describe('limits and releases', () => {
  test('a second release of the same entry is refused', async () => {
    const s = await scene();
    await claim(s.db, s.uid, s.b);
    await assertSucceeds(release(s.db, s.uid, s.a));
    await assertFails(release(s.db, s.uid, s.a));
    const state = await presenceOf(env, s.uid);
    expect(state.count).toBe(1);
    expect(entryCount(state)).toBe(1);
  });

  test('a claim beyond the default limit is refused', async () => {
    const s = await scene();
    const limit = defaultLimitFromRules();
    for (let i = 1; i < limit; i++) await assertSucceeds(claim(s.db, s.uid, newDeviceId()));
    await assertFails(claim(s.db, s.uid, s.b));
    const state = await presenceOf(env, s.uid);
    expect(state.count).toBe(limit);
    expect(entryCount(state)).toBe(limit);
  });

  test('a per-user limit in /limits/{uid} replaces the default', async () => {
    const s = await scene();
    await adminSet(env, `limits/${s.uid}`, 3);
    await assertSucceeds(claim(s.db, s.uid, s.b));
    await assertSucceeds(claim(s.db, s.uid, s.c));
    await assertFails(claim(s.db, s.uid, newDeviceId()));
    expect((await presenceOf(env, s.uid)).count).toBe(3);
  });

  test('after the limit is lowered below count, claims are refused but releases still work', async () => {
    const s = await scene();
    await claim(s.db, s.uid, s.b);
    await adminSet(env, `limits/${s.uid}`, 0);
    await assertFails(claim(s.db, s.uid, s.c));
    await assertSucceeds(release(s.db, s.uid, s.a));
    await assertSucceeds(release(s.db, s.uid, s.b));
    const state = await presenceOf(env, s.uid);
    expect(state.count).toBe(0);
    expect(entryCount(state)).toBe(0);
  });

  test('count never goes negative, even when it drifted below the entries', async () => {
    const s = await scene();
    await adminSet(env, `presence/${s.uid}/count`, 0); // drift, as only the server could cause it
    await assertFails(release(s.db, s.uid, s.a));
    expect((await presenceOf(env, s.uid)).count).toBe(0);
  });
});
