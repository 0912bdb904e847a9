/**
 * Audit events written by clients (docs/protocol.md §6): `claimed`, `released` and `swept` go in the
 * same multi-location update, at the root, as the operation they record, and the rules check each
 * against it; `denied` may be appended alone. The onDisconnect release is that same update
 * registered at the root (docs/protocol.md §4.6): allowed when registered, refused as a whole when it runs after its
 * entry is gone, so `count` is not decremented twice and no `released` event is left behind.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from '../helpers/presence';
import {
  adminEvict,
  closeAndSettle,
  newDeviceId,
  newUid,
  serverTimestamp,
  startRulesEnvironment,
} from '../helpers/presence';
import type { Write } from './support';
import {
  STALE_AFTER_MS,
  MARGIN_MS,
  ageEntry,
  auditEvent,
  claimWrite,
  eventWrite,
  expectUnchanged,
  presenceV2,
  releaseWrite,
  renewWrite,
  send,
  stateOf,
  sweepWrite,
  trailOf,
} from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-audit');
});
afterAll(async () => {
  await env.cleanup();
});

interface Scene {
  uid: string;
  db: Database;
  /** A claimed device. */
  a: string;
  /** A valid id that holds no slot. */
  b: string;
}

async function scene(): Promise<Scene> {
  const uid = newUid();
  const db = env.authenticatedContext(uid).database();
  const a = newDeviceId('a');
  await send(db, claimWrite(uid, a));
  return { uid, db, a, b: newDeviceId('b') };
}

/** `event` appended to the scene user's trail. */
const ev = (s: Scene, type: string, deviceId: string, extra: Record<string, unknown> = {}): Write =>
  eventWrite(s.db, s.uid, auditEvent(type, deviceId, extra));

describe('events that match their write are appended with it', () => {
  test('claimed, with the claim: at is the claim’s server time', async () => {
    const s = await scene();
    await assertSucceeds(send(s.db, claimWrite(s.uid, s.b), ev(s, 'claimed', s.b)));
    const state = await presenceV2(env, s.uid);
    expect(await trailOf(env, s.uid)).toEqual([
      { type: 'claimed', deviceId: s.b, at: state.devices?.[s.b]?.claimedAt },
    ]);
    expect(state.count).toBe(2);
  });

  test('released, with the release and a reason', async () => {
    const s = await scene();
    await assertSucceeds(send(s.db, releaseWrite(s.uid, s.a), ev(s, 'released', s.a, { reason: 'signed-out' })));
    expect(await trailOf(env, s.uid)).toEqual([
      { type: 'released', deviceId: s.a, at: expect.any(Number), reason: 'signed-out' },
    ]);
    expect((await presenceV2(env, s.uid)).count).toBe(0);
  });

  test('swept, with the sweep of a stale entry', async () => {
    const s = await scene();
    await ageEntry(env, s.uid, s.a, STALE_AFTER_MS + MARGIN_MS);
    await assertSucceeds(send(s.db, sweepWrite(s.uid, s.a), ev(s, 'swept', s.a)));
    expect((await trailOf(env, s.uid)).map((e) => [e.type, e.deviceId])).toEqual([['swept', s.a]]);
  });

  test('denied, alone, with a reason of 64 characters', async () => {
    const s = await scene();
    await assertSucceeds(send(s.db, ev(s, 'denied', s.b, { reason: 'r'.repeat(64) })));
    expect((await trailOf(env, s.uid)).map((e) => e.type)).toEqual(['denied']);
  });

  test('a claim and a release without events remain valid (version 1 clients)', async () => {
    const s = await scene();
    await assertSucceeds(send(s.db, claimWrite(s.uid, s.b)));
    await assertSucceeds(send(s.db, releaseWrite(s.uid, s.b)));
    expect(await trailOf(env, s.uid)).toEqual([]);
  });
});

/** Rows: [what the attacker tries, the write, an optional legitimate setup]. Each is refused as a whole. */
type Attack = [string, (s: Scene) => Promise<unknown>, ((s: Scene) => Promise<unknown>)?];

/** A second claimed device, for rows that release one entry and name another. */
const claimC = (s: Scene): Promise<unknown> => send(s.db, claimWrite(s.uid, `c-${s.b}`));
/** An event already stored under the key `k-{b}`, for the row that writes over it. */
const storeEvent = (s: Scene): Promise<unknown> =>
  send(s.db, { [`presenceEvents/${s.uid}/k-${s.b}`]: auditEvent('denied', s.b) });

const attacks: Attack[] = [
  // claimed: only where the entry of deviceId appears.
  ['a forged claimed event alone, for a device that never claimed', (s) => send(s.db, ev(s, 'claimed', s.b))],
  ['a claimed event alone, for an existing entry', (s) => send(s.db, ev(s, 'claimed', s.a))],
  ['a claimed event with a renewal of its entry', (s) => send(s.db, renewWrite(s.uid, s.a), ev(s, 'claimed', s.a))],
  [
    'a claimed event naming another device than the one claimed',
    (s) => send(s.db, claimWrite(s.uid, s.b), ev(s, 'claimed', newDeviceId('c'))),
  ],
  [
    'a claimed event naming an existing entry, with the claim of another',
    (s) => send(s.db, claimWrite(s.uid, s.b), ev(s, 'claimed', s.a)),
  ],
  ['a claimed event with a release', (s) => send(s.db, releaseWrite(s.uid, s.a), ev(s, 'claimed', s.a))],
  // released and swept: only where the entry of deviceId disappears.
  ['a released event alone, for an existing entry', (s) => send(s.db, ev(s, 'released', s.a))],
  ['a released event for a device that never claimed', (s) => send(s.db, ev(s, 'released', s.b))],
  ['a released event with a claim', (s) => send(s.db, claimWrite(s.uid, s.b), ev(s, 'released', s.b))],
  [
    'a released event naming an entry that stays, with the release of another',
    (s) => send(s.db, releaseWrite(s.uid, `c-${s.b}`), ev(s, 'released', s.a)),
    claimC,
  ],
  ['a swept event alone', (s) => send(s.db, ev(s, 'swept', s.a))],
  ['a swept event with a claim', (s) => send(s.db, claimWrite(s.uid, s.b), ev(s, 'swept', s.b))],
  // Well-formed events only.
  ['an event stamped in the past', (s) => send(s.db, claimWrite(s.uid, s.b), ev(s, 'claimed', s.b, { at: 1_000 }))],
  [
    'an event stamped in the future',
    (s) => send(s.db, claimWrite(s.uid, s.b), ev(s, 'claimed', s.b, { at: Date.now() + 60_000 })),
  ],
  [
    'an event without at',
    (s) => send(s.db, claimWrite(s.uid, s.b), eventWrite(s.db, s.uid, { type: 'claimed', deviceId: s.b })),
  ],
  [
    'an event without a type',
    (s) => send(s.db, claimWrite(s.uid, s.b), eventWrite(s.db, s.uid, { deviceId: s.b, at: serverTimestamp() })),
  ],
  [
    'an event without a deviceId',
    (s) => send(s.db, claimWrite(s.uid, s.b), eventWrite(s.db, s.uid, { type: 'claimed', at: serverTimestamp() })),
  ],
  ['an evicted event (server only)', (s) => send(s.db, releaseWrite(s.uid, s.a), ev(s, 'evicted', s.a))],
  ['an unknown type', (s) => send(s.db, ev(s, 'hacked', s.b))],
  ['a type in another case', (s) => send(s.db, claimWrite(s.uid, s.b), ev(s, 'Claimed', s.b))],
  ['a bad deviceId', (s) => send(s.db, ev(s, 'denied', 'bad id!'))],
  ['a deviceId too short', (s) => send(s.db, ev(s, 'denied', 'abcdefg'))],
  ['an extra field', (s) => send(s.db, claimWrite(s.uid, s.b), ev(s, 'claimed', s.b, { ip: '10.0.0.1' }))],
  [
    'a reason too long',
    (s) => send(s.db, releaseWrite(s.uid, s.a), ev(s, 'released', s.a, { reason: 'r'.repeat(65) })),
  ],
  ['a reason that is not a string', (s) => send(s.db, ev(s, 'denied', s.b, { reason: 42 }))],
  [
    'an event written over an existing one',
    (s) => send(s.db, claimWrite(s.uid, s.b), { [`presenceEvents/${s.uid}/k-${s.b}`]: auditEvent('claimed', s.b) }),
    storeEvent,
  ],
  // Another user's trail, and strangers.
  [
    'the owner’s claim with its event in another user’s trail',
    (s) => send(s.db, claimWrite(s.uid, s.b), eventWrite(s.db, newUid(), auditEvent('claimed', s.b))),
  ],
  [
    'another user’s claim with a claimed event in the owner’s trail',
    (s) => {
      const other = newUid();
      const db = env.authenticatedContext(other).database();
      return send(db, claimWrite(other, s.b), eventWrite(db, s.uid, auditEvent('claimed', s.b)));
    },
  ],
  [
    'another user appends a denied event to the owner’s trail',
    (s) => {
      const db = env.authenticatedContext(newUid()).database();
      return send(db, eventWrite(db, s.uid, auditEvent('denied', s.b)));
    },
  ],
  [
    'an unauthenticated client appends a denied event',
    (s) => {
      const db = env.unauthenticatedContext().database();
      return send(db, eventWrite(db, s.uid, auditEvent('denied', s.b)));
    },
  ],
];

describe('events that do not match their write are refused, with the write they came with', () => {
  const rows = attacks.map(([name, attack, setup]) => ({ name, attack, setup }));
  test.each(rows)('$name', async ({ attack, setup }) => {
    const s = await scene();
    if (setup) await assertSucceeds(setup(s));
    const before = await stateOf(env, s.uid);
    await assertFails(attack(s));
    await expectUnchanged(env, s.uid, before);
  });
});

describe('the onDisconnect release at the root, with its released event (docs/protocol.md §4.6)', () => {
  /** The release a device registers right after its claim, with `reason: 'disconnected'`. */
  const onDisconnectRelease = (db: Database, uid: string, deviceId: string): Promise<unknown> =>
    db
      .ref()
      .onDisconnect()
      .update({
        ...releaseWrite(uid, deviceId),
        ...eventWrite(db, uid, auditEvent('released', deviceId, { reason: 'disconnected' })),
      });

  test('registers after the claim, and runs when the socket closes: slot and event', async () => {
    const uid = newUid();
    const [a, b] = [newDeviceId('a'), newDeviceId('b')];
    const device = env.authenticatedContext(uid).database();
    await send(env.authenticatedContext(uid).database(), claimWrite(uid, b));
    await assertSucceeds(send(device, claimWrite(uid, a), eventWrite(device, uid, auditEvent('claimed', a))));
    await assertSucceeds(onDisconnectRelease(device, uid, a));
    await closeAndSettle(env, device, uid);
    const state = await presenceV2(env, uid);
    expect(state).toMatchObject({ count: 1, op: a });
    expect(Object.keys(state.devices ?? {})).toEqual([b]);
    const trail = await trailOf(env, uid);
    expect(trail.map((e) => [e.type, e.deviceId, e.reason])).toEqual([
      ['claimed', a, undefined],
      ['released', a, 'disconnected'],
    ]);
    expect(trail[1]?.at).toBeGreaterThanOrEqual(trail[0]?.at ?? Infinity);
  });

  test('is refused when registered before the claim (the entry must exist)', async () => {
    const uid = newUid();
    const device = env.authenticatedContext(uid).database();
    await assertFails(onDisconnectRelease(device, uid, newDeviceId('a')));
  });

  test('is refused when registered with a claimed event instead', async () => {
    const s = await scene();
    await assertFails(
      s.db
        .ref()
        .onDisconnect()
        .update({ ...releaseWrite(s.uid, s.a), ...ev(s, 'claimed', s.a) }),
    );
  });

  /** Claims `a` on its own socket with its onDisconnect release, and `b` on another; returns a's socket. */
  async function holdTwo(uid: string, a: string, b: string): Promise<Database> {
    const device = env.authenticatedContext(uid).database();
    await send(device, claimWrite(uid, a));
    await assertSucceeds(onDisconnectRelease(device, uid, a));
    await send(env.authenticatedContext(uid).database(), claimWrite(uid, b));
    return device;
  }

  test('runs after a server eviction and a new claim: refused as a whole, count not decremented twice', async () => {
    const uid = newUid();
    const [a, b, c] = [newDeviceId('a'), newDeviceId('b'), newDeviceId('c')];
    const deviceA = await holdTwo(uid, a, b);
    await adminEvict(env, uid, a); // signOutDevice
    await assertSucceeds(send(env.authenticatedContext(uid).database(), claimWrite(uid, c)));
    const before = await stateOf(env, uid);
    await closeAndSettle(env, deviceA, uid);
    await expectUnchanged(env, uid, before);
    expect(before.presence.count).toBe(2);
    expect(Object.keys(before.presence.devices ?? {}).sort()).toEqual([b, c].sort());
  });

  test('runs after a client sweep and a new claim: refused as a whole, only the swept event stays', async () => {
    const uid = newUid();
    const [a, b, c] = [newDeviceId('a'), newDeviceId('b'), newDeviceId('c')];
    const deviceA = await holdTwo(uid, a, b);
    const claimer = env.authenticatedContext(uid).database();
    await ageEntry(env, uid, a, STALE_AFTER_MS + MARGIN_MS); // a frozen app: socket open, lease ran out
    await assertSucceeds(send(claimer, sweepWrite(uid, a), eventWrite(claimer, uid, auditEvent('swept', a))));
    await assertSucceeds(send(claimer, claimWrite(uid, c)));
    const before = await stateOf(env, uid);
    await closeAndSettle(env, deviceA, uid);
    await expectUnchanged(env, uid, before);
    expect(before.trail.map((e) => [e.type, e.deviceId])).toEqual([['swept', a]]);
    expect(before.presence.count).toBe(2);
  });

  test('runs after a deliberate release that forgot to cancel it: refused as a whole', async () => {
    const uid = newUid();
    const [a, b] = [newDeviceId('a'), newDeviceId('b')];
    const deviceA = await holdTwo(uid, a, b);
    await assertSucceeds(send(deviceA, releaseWrite(uid, a), eventWrite(deviceA, uid, auditEvent('released', a))));
    const before = await stateOf(env, uid);
    await closeAndSettle(env, deviceA, uid);
    await expectUnchanged(env, uid, before);
    expect(before.presence.count).toBe(1);
    expect(before.trail.map((e) => e.type)).toEqual(['released']);
  });
});
