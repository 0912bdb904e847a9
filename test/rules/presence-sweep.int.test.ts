/**
 * The client sweep (docs/protocol.md §4.10): any device of a user may remove a stale entry of the
 * same user, with a `swept` eviction notice, in the same write. Stale means the lease ran out
 * (`lastSeen < now - STALE_AFTER_MS`) or a liveness check went unanswered (`lastSeen < ping` and
 * `now >= ping + PING_DEADLINE_MS`, §4.9). Also: the owner may delete its notices, nobody else may.
 *
 * Each scene is one user with a live entry `L` and an entry `G` (the would-be ghost), both claimed
 * just now; a row then ages `G` or the ping through the admin context (test/rules/support.ts).
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from '../helpers/presence';
import {
  adminSet,
  adminUpdate,
  increment,
  newDeviceId,
  newUid,
  serverTimestamp,
  startRulesEnvironment,
} from '../helpers/presence';
import type { Write } from './support';
import {
  MARGIN_MS,
  PING_DEADLINE_MS,
  STALE_AFTER_MS,
  ageEntry,
  auditEvent,
  claimWrite,
  eventWrite,
  expectUnchanged,
  noticeWrite,
  pingAgo,
  pingWrite,
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
  env = await startRulesEnvironment('demo-rules-sweep');
});
afterAll(async () => {
  await env.cleanup();
});

interface Scene {
  uid: string;
  /** Another device of the same user: the one that sweeps. */
  db: Database;
  /** A live entry. */
  live: string;
  /** The entry the rows try to sweep. */
  ghost: string;
}

async function scene(generation = 0): Promise<Scene> {
  const uid = newUid();
  if (generation !== 0) await adminSet(env, `presence/${uid}/generation`, generation);
  const s = { uid, db: env.authenticatedContext(uid).database(), live: newDeviceId('live'), ghost: newDeviceId('g') };
  await send(env.authenticatedContext(uid).database(), claimWrite(uid, s.live, generation));
  await send(env.authenticatedContext(uid).database(), claimWrite(uid, s.ghost, generation));
  return s;
}

/** The ghost's lease ran out a margin ago. */
const leaseRanOut = (s: Scene): Promise<void> => ageEntry(env, s.uid, s.ghost, STALE_AFTER_MS + MARGIN_MS);

/** A liveness check asked a margin more than the deadline ago, which the ghost did not answer. */
async function pingUnanswered(s: Scene): Promise<void> {
  await ageEntry(env, s.uid, s.ghost, PING_DEADLINE_MS + 2 * MARGIN_MS);
  await pingAgo(env, s.uid, PING_DEADLINE_MS + MARGIN_MS);
}

describe('a stale entry is swept by another device of the same user', () => {
  test('when its lease ran out: entry gone, count −1, op, and a swept notice stamped with now', async () => {
    const s = await scene();
    await leaseRanOut(s);
    const before = Date.now();
    await assertSucceeds(send(s.db, sweepWrite(s.uid, s.ghost)));
    const state = await presenceV2(env, s.uid);
    expect(state).toMatchObject({ count: 1, op: s.ghost });
    expect(Object.keys(state.devices ?? {})).toEqual([s.live]);
    expect(state.evicted?.[s.ghost]).toEqual({ reason: 'swept', at: expect.any(Number), generation: 0 });
    expect(state.evicted?.[s.ghost]?.at).toBeGreaterThanOrEqual(before - MARGIN_MS);
  });

  test('when it did not answer a liveness check within the deadline', async () => {
    const s = await scene();
    await pingUnanswered(s);
    await assertSucceeds(send(s.db, sweepWrite(s.uid, s.ghost)));
    const state = await presenceV2(env, s.uid);
    expect(state.count).toBe(1);
    expect(Object.keys(state.devices ?? {})).toEqual([s.live]);
    expect(state.evicted?.[s.ghost]?.reason).toBe('swept');
  });

  test('with its swept audit event in the same update', async () => {
    const s = await scene();
    await leaseRanOut(s);
    await assertSucceeds(send(s.db, sweepWrite(s.uid, s.ghost), eventWrite(s.db, s.uid, auditEvent('swept', s.ghost))));
    const [event, ...others] = await trailOf(env, s.uid);
    expect(others).toEqual([]);
    expect(event).toEqual({
      type: 'swept',
      deviceId: s.ghost,
      at: (await presenceV2(env, s.uid)).evicted?.[s.ghost]?.at,
    });
  });

  test('after a force login, with the current generation in the notice', async () => {
    const s = await scene(3);
    await leaseRanOut(s);
    await assertSucceeds(send(s.db, sweepWrite(s.uid, s.ghost, 3)));
    expect((await presenceV2(env, s.uid)).evicted?.[s.ghost]?.generation).toBe(3);
  });

  test('replacing an older notice of the same device', async () => {
    const s = await scene();
    await adminSet(env, `presence/${s.uid}/evicted/${s.ghost}`, { reason: 'force-login', at: 5, generation: 0 });
    await leaseRanOut(s);
    await assertSucceeds(send(s.db, sweepWrite(s.uid, s.ghost)));
    const notice = (await presenceV2(env, s.uid)).evicted?.[s.ghost];
    expect(notice?.reason).toBe('swept');
    expect(notice?.at).toBeGreaterThan(5);
  });

  test('a liveness check: the holder that answers keeps its slot, the one that does not is swept', async () => {
    const s = await scene();
    const holder = env.authenticatedContext(s.uid).database();
    await pingUnanswered(s);
    await ageEntry(env, s.uid, s.live, PING_DEADLINE_MS + 2 * MARGIN_MS);
    await assertSucceeds(send(holder, renewWrite(s.uid, s.live))); // docs/protocol.md §4.9 step 2: the live device answers
    await assertFails(send(s.db, sweepWrite(s.uid, s.live)));
    await assertSucceeds(send(s.db, sweepWrite(s.uid, s.ghost)));
    // The freed slot is the claimer's (docs/protocol.md §4.9 step 3).
    await assertSucceeds(send(s.db, claimWrite(s.uid, newDeviceId('new'))));
    const state = await presenceV2(env, s.uid);
    expect(state.count).toBe(2);
    expect(Object.keys(state.devices ?? {})).toContain(s.live);
  });

  test('the swept device can neither renew nor release the entry it lost, and may claim again', async () => {
    const s = await scene();
    const ghostDevice = env.authenticatedContext(s.uid).database();
    await leaseRanOut(s);
    await send(s.db, sweepWrite(s.uid, s.ghost));
    await assertFails(send(ghostDevice, renewWrite(s.uid, s.ghost)));
    await assertFails(send(ghostDevice, releaseWrite(s.uid, s.ghost)));
    await assertSucceeds(send(ghostDevice, claimWrite(s.uid, s.ghost))); // also deletes its notice
    const state = await presenceV2(env, s.uid);
    expect(state.count).toBe(2);
    expect(state.evicted?.[s.ghost]).toBeUndefined();
  });
});

/** Rows: [what the attacker tries, an optional setup after the scene, the write]. All must be refused. */
type Attack = [string, ((s: Scene) => Promise<unknown>) | null, (s: Scene) => Promise<unknown>];

const sweep = (s: Scene, ...extra: Write[]): Promise<unknown> => send(s.db, sweepWrite(s.uid, s.ghost), ...extra);
const notice = (s: Scene, fields: Record<string, unknown>): Write => ({
  [`presence/${s.uid}/evicted/${s.ghost}`]: fields,
});
const good = { reason: 'swept', at: serverTimestamp(), generation: 0 };

const attacks: Attack[] = [
  // The entry is not stale.
  ['sweep of a live entry (fresh lastSeen, no ping)', null, (s) => sweep(s)],
  [
    'sweep when the lease has not quite run out',
    (s) => ageEntry(env, s.uid, s.ghost, STALE_AFTER_MS - MARGIN_MS),
    (s) => sweep(s),
  ],
  [
    'sweep when the ping is younger than the deadline',
    async (s) => {
      await ageEntry(env, s.uid, s.ghost, PING_DEADLINE_MS + 2 * MARGIN_MS);
      await pingAgo(env, s.uid, PING_DEADLINE_MS - MARGIN_MS);
    },
    (s) => sweep(s),
  ],
  [
    'sweep when the holder answered (lastSeen == ping)',
    async (s) => {
      const at = Date.now() - PING_DEADLINE_MS - MARGIN_MS;
      await adminUpdate(env, `presence/${s.uid}`, { ping: at, [`devices/${s.ghost}/lastSeen`]: at });
    },
    (s) => sweep(s),
  ],
  [
    'sweep when the holder answered (lastSeen > ping)',
    (s) => pingAgo(env, s.uid, PING_DEADLINE_MS + MARGIN_MS),
    (s) => sweep(s),
  ],
  [
    'sweep of a quiet entry without any ping',
    (s) => ageEntry(env, s.uid, s.ghost, PING_DEADLINE_MS + 2 * MARGIN_MS),
    (s) => sweep(s),
  ],
  [
    'sweep with a ping written in the same update',
    (s) => ageEntry(env, s.uid, s.ghost, PING_DEADLINE_MS + 2 * MARGIN_MS),
    (s) => sweep(s, pingWrite(s.uid)),
  ],
  // A stale entry, but a notice that is not exactly { reason: 'swept', at: now, generation }.
  ['notice with reason signed-out', leaseRanOut, (s) => sweep(s, notice(s, { ...good, reason: 'signed-out' }))],
  ['notice with reason force-login', leaseRanOut, (s) => sweep(s, notice(s, { ...good, reason: 'force-login' }))],
  ['notice without a reason', leaseRanOut, (s) => sweep(s, notice(s, { at: good.at, generation: 0 }))],
  ['notice with at in the past', leaseRanOut, (s) => sweep(s, notice(s, { ...good, at: Date.now() - 60_000 }))],
  ['notice with at in the future', leaseRanOut, (s) => sweep(s, notice(s, { ...good, at: Date.now() + 60_000 }))],
  ['notice without at', leaseRanOut, (s) => sweep(s, notice(s, { reason: 'swept', generation: 0 }))],
  ['notice with a future generation', leaseRanOut, (s) => sweep(s, notice(s, { ...good, generation: 1 }))],
  ['notice without a generation', leaseRanOut, (s) => sweep(s, notice(s, { reason: 'swept', at: good.at }))],
  ['notice with an extra field', leaseRanOut, (s) => sweep(s, notice(s, { ...good, by: 'me' }))],
  ['notice that is a bare string', leaseRanOut, (s) => sweep(s, notice(s, 'swept' as unknown as Write))],
  // Without the removal of the entry, or with a removal that breaks the count.
  ['notice alone, the entry stays', leaseRanOut, (s) => send(s.db, noticeWrite(s.uid, s.ghost))],
  [
    'notice with count −1 and op, the entry stays',
    leaseRanOut,
    (s) =>
      send(s.db, noticeWrite(s.uid, s.ghost), {
        [`presence/${s.uid}/count`]: increment(-1),
        [`presence/${s.uid}/op`]: s.ghost,
      }),
  ],
  [
    'notice and removal without the count move',
    leaseRanOut,
    (s) =>
      send(s.db, noticeWrite(s.uid, s.ghost), {
        [`presence/${s.uid}/op`]: s.ghost,
        [`presence/${s.uid}/devices/${s.ghost}`]: null,
      }),
  ],
  ['notice and removal with count not decremented', leaseRanOut, (s) => sweep(s, { [`presence/${s.uid}/count`]: 2 })],
  ['notice and removal with count −2', leaseRanOut, (s) => sweep(s, { [`presence/${s.uid}/count`]: increment(-2) })],
  [
    'notice and removal with op naming the live device',
    leaseRanOut,
    (s) => sweep(s, { [`presence/${s.uid}/op`]: s.live }),
  ],
  [
    'notice for a device that never held a slot',
    null,
    (s) => {
      const stranger = newDeviceId('x');
      return send(s.db, sweepWrite(s.uid, stranger));
    },
  ],
  [
    'notice for the stale entry on the release of the live one',
    leaseRanOut,
    (s) => send(s.db, releaseWrite(s.uid, s.live), noticeWrite(s.uid, s.ghost)),
  ],
  [
    'sweep and a claim in one update',
    leaseRanOut,
    (s) => send(s.db, claimWrite(s.uid, newDeviceId('new')), sweepWrite(s.uid, s.ghost)),
  ],
  [
    'sweep of two stale entries in one update',
    async (s) => {
      await leaseRanOut(s);
      await ageEntry(env, s.uid, s.live, STALE_AFTER_MS + MARGIN_MS);
    },
    (s) => send(s.db, sweepWrite(s.uid, s.ghost), sweepWrite(s.uid, s.live)),
  ],
  // A server notice rewritten in part: a child's .validate only runs when that child is written.
  [
    'sweep that rewrites only the at of an existing force-login notice',
    async (s) => {
      await adminSet(env, `presence/${s.uid}/evicted/${s.ghost}`, { reason: 'force-login', at: 5, generation: 0 });
      await leaseRanOut(s);
    },
    (s) => send(s.db, releaseWrite(s.uid, s.ghost), { [`presence/${s.uid}/evicted/${s.ghost}/at`]: serverTimestamp() }),
  ],
  [
    'sweep that rewrites only the reason of an existing notice',
    async (s) => {
      await adminSet(env, `presence/${s.uid}/evicted/${s.ghost}`, { reason: 'signed-out', at: 5, generation: 0 });
      await leaseRanOut(s);
    },
    (s) => send(s.db, releaseWrite(s.uid, s.ghost), { [`presence/${s.uid}/evicted/${s.ghost}/reason`]: 'swept' }),
  ],
  [
    'a server notice changed without a sweep',
    (s) => adminSet(env, `presence/${s.uid}/evicted/${s.ghost}`, { reason: 'signed-out', at: 5, generation: 0 }),
    (s) => send(s.db, noticeWrite(s.uid, s.ghost)),
  ],
  // Not the owner.
  [
    'another user sweeps the stale entry',
    leaseRanOut,
    (s) => send(env.authenticatedContext(newUid()).database(), sweepWrite(s.uid, s.ghost)),
  ],
  [
    'an unauthenticated client sweeps the stale entry',
    leaseRanOut,
    (s) => send(env.unauthenticatedContext().database(), sweepWrite(s.uid, s.ghost)),
  ],
  [
    'another user writes a notice for the stale entry alongside a sweep of their own',
    leaseRanOut,
    async (s) => {
      const other = await scene();
      await leaseRanOut(other);
      return send(other.db, sweepWrite(other.uid, other.ghost), noticeWrite(s.uid, s.ghost));
    },
  ],
];

describe('sweep attacks are refused and change nothing', () => {
  const rows = attacks.map(([name, setup, attack]) => ({ name, setup, attack }));
  test.each(rows)('$name', async ({ setup, attack }) => {
    const s = await scene();
    if (setup) await setup(s);
    const before = await stateOf(env, s.uid);
    await assertFails(attack(s));
    await expectUnchanged(env, s.uid, before);
  });

  test('a notice with a stale generation after a force login', async () => {
    const s = await scene(2);
    await leaseRanOut(s);
    const before = await stateOf(env, s.uid);
    await assertFails(send(s.db, sweepWrite(s.uid, s.ghost, 1)));
    await assertFails(send(s.db, sweepWrite(s.uid, s.ghost, 0)));
    await expectUnchanged(env, s.uid, before);
  });
});

describe('eviction notices: the owner deletes its own, nobody else does', () => {
  async function withNotice(): Promise<Scene> {
    const s = await scene();
    await adminSet(env, `presence/${s.uid}/evicted/${s.ghost}`, {
      reason: 'signed-out',
      at: Date.now(),
      generation: 0,
    });
    return s;
  }

  test('the owner deletes a notice the server wrote', async () => {
    const s = await withNotice();
    await assertSucceeds(s.db.ref(`presence/${s.uid}/evicted/${s.ghost}`).remove());
    expect((await presenceV2(env, s.uid)).evicted).toBeUndefined();
  });

  test('the owner deletes a swept notice in an update of several locations', async () => {
    const s = await scene();
    await leaseRanOut(s);
    await send(s.db, sweepWrite(s.uid, s.ghost));
    await assertSucceeds(send(s.db, { [`presence/${s.uid}/evicted/${s.ghost}`]: null }));
    expect((await presenceV2(env, s.uid)).evicted).toBeUndefined();
  });

  test.each([
    ['another user', () => env.authenticatedContext(newUid()).database()],
    ['an unauthenticated client', () => env.unauthenticatedContext().database()],
  ])('%s cannot delete it', async (_name, attacker) => {
    const s = await withNotice();
    const before = await stateOf(env, s.uid);
    await assertFails(attacker().ref(`presence/${s.uid}/evicted/${s.ghost}`).remove());
    await assertFails(send(attacker(), { [`presence/${s.uid}/evicted/${s.ghost}`]: null }));
    await expectUnchanged(env, s.uid, before);
  });
});
