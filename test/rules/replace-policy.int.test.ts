/**
 * The replace form of a claim (docs/protocol.md §11.2, policy `evict-least-recent`): on a full
 * account, one write creates the claimer's entry and removes the victim's with a `replaced` notice,
 * `count` unchanged. Every attack below is followed by a check that nothing of the user changed;
 * the races show that replaces keep `count` exact: N slots, never N + 1.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from '../helpers/presence';
import {
  adminSet,
  adminUpdate,
  entryCount,
  increment,
  newDeviceId,
  newUid,
  presenceRef,
  serverTimestamp,
  startRulesEnvironment,
} from '../helpers/presence';
import {
  auditEvent,
  claimWrite,
  eventWrite,
  expectUnchanged,
  presenceV2,
  releaseWrite,
  replaceWrite,
  send,
  stateOf,
  trailOf,
  type Write,
} from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-replace');
});
afterAll(async () => {
  await env.cleanup();
});

interface Full {
  uid: string;
  /** The owner's database (a device that holds no slot yet). */
  db: Database;
  /** The two devices holding the slots (default limit 2), `a` claimed first. */
  a: string;
  b: string;
  /** A device that wants a slot. */
  c: string;
}

async function full(limit?: number): Promise<Full> {
  const uid = newUid();
  if (limit !== undefined) await adminSet(env, `limits/${uid}`, limit);
  const db = env.authenticatedContext(uid).database();
  const a = newDeviceId('a');
  const b = newDeviceId('b');
  await send(db, claimWrite(uid, a));
  await send(db, claimWrite(uid, b));
  return { uid, db, a, b, c: newDeviceId('c') };
}

describe('the replace form', () => {
  test('swaps the victim for the claimer in one write: count kept, notice, replaced and op', async () => {
    const s = await full();
    await assertSucceeds(
      send(
        s.db,
        replaceWrite(s.uid, s.c, s.a),
        eventWrite(s.db, s.uid, auditEvent('claimed', s.c)),
        eventWrite(s.db, s.uid, auditEvent('released', s.a, { reason: 'replaced' })),
      ),
    );
    const state = await presenceV2(env, s.uid);
    expect(state.count).toBe(2);
    expect(Object.keys(state.devices ?? {}).sort()).toEqual([s.b, s.c].sort());
    expect(state).toMatchObject({ op: s.c, replaced: s.a, evicted: { [s.a]: { reason: 'replaced', generation: 0 } } });
    expect((await trailOf(env, s.uid)).map((e) => e.type).sort()).toEqual(['claimed', 'released']);
  });

  test('the victim’s onDisconnect release, run later, is refused and count stays', async () => {
    const s = await full();
    await send(s.db, replaceWrite(s.uid, s.c, s.a));
    const before = await stateOf(env, s.uid);
    await assertFails(send(s.db, releaseWrite(s.uid, s.a)));
    await expectUnchanged(env, s.uid, before);
  });

  test('works in a later generation, and on an account full by its override or plan', async () => {
    const s = await full(3);
    await send(s.db, claimWrite(s.uid, s.c));
    await assertSucceeds(send(s.db, replaceWrite(s.uid, newDeviceId('d'), s.b)));
    const plan = newUid();
    const paid = env.authenticatedContext(plan, { deviceLimit: 1 }).database();
    const first = newDeviceId('p');
    await send(paid, claimWrite(plan, first));
    await assertSucceeds(send(paid, replaceWrite(plan, newDeviceId('q'), first)));
    const later = await full();
    await adminUpdate(env, `presence/${later.uid}`, {
      generation: 4,
      [`devices/${later.a}/generation`]: 4,
      [`devices/${later.b}/generation`]: 4,
    });
    await assertSucceeds(send(later.db, replaceWrite(later.uid, later.c, later.a, 4)));
  });

  test('the rules do not judge which device is least recent: any own entry may be named (docs/security.md)', async () => {
    const s = await full();
    await assertSucceeds(send(s.db, replaceWrite(s.uid, s.c, s.b)));
  });

  test('a slot kept by a rejoin reservation for another device makes the account full', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    const a = newDeviceId('a');
    await send(db, claimWrite(uid, a));
    await adminSet(env, `presence/${uid}/rejoin`, { deviceId: newDeviceId('gone'), at: Date.now() });
    await assertSucceeds(send(db, replaceWrite(uid, newDeviceId('c'), a)));
  });
});

type Attack = [string, (s: Full) => Promise<unknown>, ((s: Full) => Promise<unknown>)?];

const without = (write: Write, ...keys: string[]): Write =>
  Object.fromEntries(Object.entries(write).filter(([key]) => !keys.includes(key)));

const attacks: Attack[] = [
  [
    'on an account with a free slot',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a)),
    (s) => send(s.db, releaseWrite(s.uid, s.b)),
  ],
  [
    'on an account above its limit (lowered to 1, two devices still hold slots)',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a)),
    (s) => adminSet(env, `limits/${s.uid}`, 1),
  ],
  ['naming a victim that holds no slot', (s) => send(s.db, replaceWrite(s.uid, s.c, newDeviceId('nobody')))],
  ['naming itself as the victim', (s) => send(s.db, replaceWrite(s.uid, s.c, s.c))],
  ['over an entry that already exists', (s) => send(s.db, replaceWrite(s.uid, s.b, s.a))],
  ['without the notice', (s) => send(s.db, without(replaceWrite(s.uid, s.c, s.a), `presence/${s.uid}/evicted/${s.a}`))],
  [
    'with a swept notice instead',
    (s) =>
      send(s.db, replaceWrite(s.uid, s.c, s.a), {
        [`presence/${s.uid}/evicted/${s.a}`]: { reason: 'swept', at: serverTimestamp(), generation: 0 },
      }),
  ],
  [
    'with a server reason (force-login)',
    (s) =>
      send(s.db, replaceWrite(s.uid, s.c, s.a), {
        [`presence/${s.uid}/evicted/${s.a}`]: { reason: 'force-login', at: serverTimestamp(), generation: 0 },
      }),
  ],
  [
    'with a notice stamped in the past',
    (s) =>
      send(s.db, replaceWrite(s.uid, s.c, s.a), {
        [`presence/${s.uid}/evicted/${s.a}`]: { reason: 'replaced', at: 1, generation: 0 },
      }),
  ],
  [
    'with a notice of another generation',
    (s) =>
      send(s.db, replaceWrite(s.uid, s.c, s.a), {
        [`presence/${s.uid}/evicted/${s.a}`]: { reason: 'replaced', at: serverTimestamp(), generation: 7 },
      }),
  ],
  [
    'the notice on another device than the one removed',
    (s) =>
      send(s.db, without(replaceWrite(s.uid, s.c, s.a), `presence/${s.uid}/evicted/${s.a}`), {
        [`presence/${s.uid}/evicted/${s.b}`]: { reason: 'replaced', at: serverTimestamp(), generation: 0 },
      }),
  ],
  ['without replaced', (s) => send(s.db, without(replaceWrite(s.uid, s.c, s.a), `presence/${s.uid}/replaced`))],
  [
    'replaced naming another device than the one removed',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a), { [`presence/${s.uid}/replaced`]: s.b }),
  ],
  ['without op', (s) => send(s.db, without(replaceWrite(s.uid, s.c, s.a), `presence/${s.uid}/op`))],
  [
    'op naming another device than the one created',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a), { [`presence/${s.uid}/op`]: s.b }),
  ],
  [
    'with count + 1 as well',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a), { [`presence/${s.uid}/count`]: increment(1) }),
  ],
  [
    'with count − 1 as well',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a), { [`presence/${s.uid}/count`]: increment(-1) }),
  ],
  [
    'removing a second entry too',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a), { [`presence/${s.uid}/devices/${s.b}`]: null }),
  ],
  [
    'creating a second entry too',
    (s) =>
      send(s.db, replaceWrite(s.uid, s.c, s.a), {
        [`presence/${s.uid}/devices/${newDeviceId('e')}`]: {
          claimedAt: serverTimestamp(),
          lastSeen: serverTimestamp(),
          generation: 0,
          platform: 'web',
          label: 'x',
        },
      }),
  ],
  [
    'the new entry in an old generation',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a, 0)),
    (s) =>
      adminUpdate(env, `presence/${s.uid}`, {
        generation: 1,
        [`devices/${s.a}/generation`]: 1,
        [`devices/${s.b}/generation`]: 1,
      }),
  ],
  [
    'the new entry with a forged claimedAt',
    (s) =>
      send(s.db, replaceWrite(s.uid, s.c, s.a), {
        [`presence/${s.uid}/devices/${s.c}`]: {
          claimedAt: 1,
          lastSeen: serverTimestamp(),
          generation: 0,
          platform: 'web',
          label: 'x',
        },
      }),
  ],
  [
    'with count + 1 on an account with room (a claim that also removes a device: count would drift)',
    (s) => send(s.db, replaceWrite(s.uid, s.c, s.a), { [`presence/${s.uid}/count`]: increment(1) }),
    (s) => adminSet(env, `limits/${s.uid}`, 3),
  ],
  ['replaced written alone', (s) => send(s.db, { [`presence/${s.uid}/replaced`]: s.a })],
  [
    'op written alone after an earlier replace left replaced behind',
    (s) => send(s.db, { [`presence/${s.uid}/op`]: s.b }),
    (s) => send(s.db, replaceWrite(s.uid, newDeviceId('d'), s.a)),
  ],
  [
    'a victim removed with replaced but nothing created',
    (s) =>
      send(s.db, {
        [`presence/${s.uid}/replaced`]: s.a,
        [`presence/${s.uid}/devices/${s.a}`]: null,
        [`presence/${s.uid}/evicted/${s.a}`]: { reason: 'replaced', at: serverTimestamp(), generation: 0 },
      }),
  ],
  ['by another user', (s) => send(env.authenticatedContext(newUid()).database(), replaceWrite(s.uid, s.c, s.a))],
  ['unauthenticated', (s) => send(env.unauthenticatedContext().database(), replaceWrite(s.uid, s.c, s.a))],
  [
    'by a session cut off by a force login',
    (s) => send(env.authenticatedContext(s.uid, { auth_time: 1_000 }).database(), replaceWrite(s.uid, s.c, s.a)),
    (s) => adminSet(env, `presence/${s.uid}/notBefore`, 2_000),
  ],
  ['the owner sets its own policy', (s) => send(s.db, { [`presence/${s.uid}/policy`]: 'evict-least-recent' })],
  [
    'a notice with replaced on a stale-looking sweep without replaced',
    (s) =>
      send(s.db, releaseWrite(s.uid, s.a), {
        [`presence/${s.uid}/evicted/${s.a}`]: { reason: 'replaced', at: serverTimestamp(), generation: 0 },
      }),
  ],
];

const rows = attacks.map(([name, attack, setup]) => ({ name, attack, setup }));

test.each(rows)('refused: a replace $name', async ({ attack, setup }) => {
  const s = await full();
  if (setup) await setup(s);
  const before = await stateOf(env, s.uid);
  await assertFails(attack(s));
  await expectUnchanged(env, s.uid, before);
});

describe('races stay exact under replaces', () => {
  const DEVICES = 6;

  async function racers(uid: string): Promise<Database[]> {
    const dbs = Array.from({ length: DEVICES }, () => env.authenticatedContext(uid).database());
    await Promise.all(dbs.map((db) => presenceRef(db, uid).get()));
    return dbs;
  }

  async function holders(uid: string, limit: number, round: number): Promise<string[]> {
    await adminSet(env, `presence/${uid}`, null);
    const db = env.authenticatedContext(uid).database();
    const ids = Array.from({ length: limit }, (_, i) => newDeviceId(`h${round}x${i}`));
    for (const id of ids) await send(db, claimWrite(uid, id));
    return ids;
  }

  test(`${DEVICES} devices replace the same least recent device at once, 10 rounds: one wins`, async () => {
    const uid = newUid();
    await adminSet(env, `limits/${uid}`, 3);
    const dbs = await racers(uid);
    for (let round = 0; round < 10; round++) {
      const [oldest] = await holders(uid, 3, round);
      const results = await Promise.allSettled(
        dbs.map((db, i) => send(db, replaceWrite(uid, newDeviceId(`r${round}d${i}`), oldest as string))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const state = await presenceV2(env, uid);
      expect(state.count).toBe(3);
      expect(entryCount(state)).toBe(3);
    }
  });

  test(`${DEVICES} devices replace, plain-claim and release at once, 10 rounds: count == entries <= limit`, async () => {
    const uid = newUid();
    await adminSet(env, `limits/${uid}`, 3);
    const dbs = await racers(uid);
    for (let round = 0; round < 10; round++) {
      const held = await holders(uid, 3, round);
      const writes = dbs.map((db, i) => {
        const id = newDeviceId(`r${round}d${i}`);
        if (i === 0) return send(db, releaseWrite(uid, held[2] as string));
        if (i % 2 === 1) return send(db, claimWrite(uid, id));
        return send(db, replaceWrite(uid, id, held[i % 3] as string));
      });
      const results = await Promise.allSettled(writes);
      const state = await presenceV2(env, uid);
      expect(state.count).toBe(entryCount(state));
      expect(entryCount(state)).toBeLessThanOrEqual(3);
      // Each accepted replace removed a distinct holder; each accepted claim filled a freed slot.
      const replacedOk = results.filter((r, i) => i > 0 && i % 2 === 0 && r.status === 'fulfilled').length;
      const claimedOk = results.filter((r, i) => i % 2 === 1 && r.status === 'fulfilled').length;
      const released = results[0]?.status === 'fulfilled' ? 1 : 0;
      expect(entryCount(state)).toBe(3 - released + claimedOk);
      expect(replacedOk).toBeLessThanOrEqual(3);
    }
  });
});
