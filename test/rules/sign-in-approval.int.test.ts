/**
 * Sign-in approval (docs/protocol.md §11.4): a device that meets a full account leaves a request in
 * one of three slots; an active device approves it — in the same write that gives the requester its
 * entry, replacing the approver's own slot or another's — or refuses it. Requests expire and are rate
 * limited. Every attack is followed by a check that nothing of the user changed; the races show one
 * approval per request and one request per interval.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { REQUEST_INTERVAL_MS, REQUEST_TTL_MS } from '@device-limit/contract';
import type { Database, DeviceInfo } from '../helpers/presence';
import {
  adminSet,
  adminUpdate,
  entryCount,
  newDeviceId,
  newUid,
  presenceRef,
  serverTimestamp,
  startRulesEnvironment,
} from '../helpers/presence';
import {
  MARGIN_MS,
  answerWrite,
  claimWrite,
  expectUnchanged,
  presenceV2,
  replaceWrite,
  requestWrite,
  send,
  stateOf,
  type Write,
} from './support';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-approval');
});
afterAll(async () => {
  await env.cleanup();
});

const TABLET: DeviceInfo = { platform: 'android', label: 'Tablet' };

interface Scene {
  uid: string;
  db: Database;
  /** The two devices holding the slots (default limit 2). */
  a: string;
  b: string;
  /** The device that asks. */
  c: string;
}

/** A full account (A, B) and, unless `request` is false, C's request in slot 0. */
async function scene(request = true): Promise<Scene> {
  const uid = newUid();
  const db = env.authenticatedContext(uid).database();
  const a = newDeviceId('a');
  const b = newDeviceId('b');
  const c = newDeviceId('c');
  await send(db, claimWrite(uid, a));
  await send(db, claimWrite(uid, b));
  if (request) await send(db, requestWrite(uid, 'r0', c, TABLET));
  return { uid, db, a, b, c };
}

/** The approval of C's request by `by`, C taking the slot of `victim` (a replace, §11.2). */
function approval(s: Scene, victim: string, by: string): Write {
  return { ...replaceWrite(s.uid, s.c, victim, 0, TABLET), ...answerWrite(s.uid, 'r0', 'approved', by) };
}

/** Lets the next request through the rate limit, as if REQUEST_INTERVAL_MS had passed. */
function afterInterval(uid: string): Promise<void> {
  return adminSet(env, `presence/${uid}/requestedAt`, Date.now() - REQUEST_INTERVAL_MS - MARGIN_MS);
}

describe('requests and answers', () => {
  test('a request is stored with the server time; the active devices read it with the presence node', async () => {
    const s = await scene();
    const state = await presenceV2(env, s.uid);
    expect((state as { requests?: unknown }).requests).toEqual({
      r0: { deviceId: s.c, label: 'Tablet', platform: 'android', at: expect.any(Number) },
    });
    expect((await presenceRef(s.db, s.uid).child('requests/r0/deviceId').get()).val()).toBe(s.c);
  });

  test('A approves, giving up its own slot: C holds it, A has a replaced notice, count stays', async () => {
    const s = await scene();
    await assertSucceeds(send(s.db, approval(s, s.a, s.a)));
    const state = await presenceV2(env, s.uid);
    expect(Object.keys(state.devices ?? {}).sort()).toEqual([s.b, s.c].sort());
    expect(state).toMatchObject({ count: 2, evicted: { [s.a]: { reason: 'replaced' } } });
    expect((state as { requests?: Record<string, unknown> }).requests?.['r0']).toMatchObject({
      answer: 'approved',
      answeredBy: s.a,
    });
  });

  test("A approves with B's slot", async () => {
    const s = await scene();
    await assertSucceeds(send(s.db, approval(s, s.b, s.a)));
    expect(Object.keys((await presenceV2(env, s.uid)).devices ?? {}).sort()).toEqual([s.a, s.c].sort());
  });

  test('A refuses: nothing else changes, and the requester reads the answer', async () => {
    const s = await scene();
    await assertSucceeds(send(s.db, answerWrite(s.uid, 'r0', 'refused', s.a)));
    const state = await presenceV2(env, s.uid);
    expect(state.count).toBe(2);
    expect((state as { requests?: Record<string, unknown> }).requests?.['r0']).toMatchObject({ answer: 'refused' });
  });

  test('with a free slot, the approval is a claim made for the requester', async () => {
    const s = await scene();
    await send(s.db, {
      [`presence/${s.uid}/count`]: { '.sv': { increment: -1 } },
      [`presence/${s.uid}/op`]: s.b,
      [`presence/${s.uid}/devices/${s.b}`]: null,
    });
    await assertSucceeds(send(s.db, claimWrite(s.uid, s.c, 0, TABLET), answerWrite(s.uid, 'r0', 'approved', s.a)));
    expect((await presenceV2(env, s.uid)).count).toBe(2);
  });

  test('any session of the user may delete a request (withdrawal, cleanup)', async () => {
    const s = await scene();
    await assertSucceeds(send(s.db, { [`presence/${s.uid}/requests/r0`]: null }));
  });

  test('three slots; an expired request frees its slot for a new one', async () => {
    const s = await scene();
    const d = newDeviceId('d');
    const e = newDeviceId('e');
    await afterInterval(s.uid);
    await assertSucceeds(send(s.db, requestWrite(s.uid, 'r1', d)));
    await afterInterval(s.uid);
    await assertSucceeds(send(s.db, requestWrite(s.uid, 'r2', e)));
    await afterInterval(s.uid);
    await assertFails(send(s.db, requestWrite(s.uid, 'r0', newDeviceId('f'))));
    await adminUpdate(env, `presence/${s.uid}/requests/r0`, { at: Date.now() - REQUEST_TTL_MS - MARGIN_MS });
    await assertSucceeds(send(s.db, requestWrite(s.uid, 'r0', newDeviceId('f'))));
  });
});

type Attack = [string, (s: Scene) => Promise<unknown>, ((s: Scene) => Promise<unknown>)?];

const other = () => env.authenticatedContext(newUid()).database();

const attacks: Attack[] = [
  ["another user answers the user's request", (s) => send(other(), answerWrite(s.uid, 'r0', 'refused', s.a))],
  ["another user approves the user's request", (s) => send(other(), approval(s, s.a, s.a))],
  ['another user files a request', (s) => send(other(), requestWrite(s.uid, 'r1', newDeviceId('x'))), afterIntervalOf],
  ['another user deletes a request', (s) => send(other(), { [`presence/${s.uid}/requests/r0`]: null })],
  [
    'an unauthenticated client answers',
    (s) => send(env.unauthenticatedContext().database(), answerWrite(s.uid, 'r0', 'refused', s.a)),
  ],
  ['a device that holds a slot asks', (s) => send(s.db, requestWrite(s.uid, 'r1', s.a)), afterIntervalOf],
  ['the requester asks again in another slot', (s) => send(s.db, requestWrite(s.uid, 'r1', s.c)), afterIntervalOf],
  ['a request over an open one', (s) => send(s.db, requestWrite(s.uid, 'r0', newDeviceId('x'))), afterIntervalOf],
  ['a second request within REQUEST_INTERVAL_MS', (s) => send(s.db, requestWrite(s.uid, 'r1', newDeviceId('x')))],
  [
    'a request without the rate-limit stamp',
    (s) =>
      send(s.db, {
        [`presence/${s.uid}/requests/r1`]: {
          deviceId: newDeviceId('x'),
          label: 'x',
          platform: 'web',
          at: serverTimestamp(),
        },
      }),
    afterIntervalOf,
  ],
  ['the rate-limit stamp removed', (s) => send(s.db, { [`presence/${s.uid}/requestedAt`]: null })],
  ['the rate-limit stamp moved back', (s) => send(s.db, { [`presence/${s.uid}/requestedAt`]: 1 })],
  [
    'a request that comes pre-approved',
    (s) => send(s.db, requestWith(s.uid, 'r1', { answer: 'approved', answeredBy: s.a, answeredAt: serverTimestamp() })),
    afterIntervalOf,
  ],
  ['a request stamped in the past', (s) => send(s.db, requestWith(s.uid, 'r1', { at: 1 })), afterIntervalOf],
  ['a request in slot r3', (s) => send(s.db, requestWrite(s.uid, 'r3', newDeviceId('x'))), afterIntervalOf],
  ['a request with an unknown field', (s) => send(s.db, requestWith(s.uid, 'r1', { note: 'hi' })), afterIntervalOf],
  ['a request with a forged class', (s) => send(s.db, requestWith(s.uid, 'r1', { class: 'mobile' })), afterIntervalOf],
  [
    'a second answer (approve after a refusal)',
    (s) => send(s.db, approval(s, s.a, s.a)),
    (s) => send(s.db, answerWrite(s.uid, 'r0', 'refused', s.a)),
  ],
  ['an approval without the requester entry', (s) => send(s.db, answerWrite(s.uid, 'r0', 'approved', s.a))],
  [
    'an approval that lets another device in',
    (s) => send(s.db, replaceWrite(s.uid, newDeviceId('x'), s.a, 0, TABLET), answerWrite(s.uid, 'r0', 'approved', s.a)),
  ],
  [
    'an approval that gives the requester another label',
    (s) =>
      send(
        s.db,
        replaceWrite(s.uid, s.c, s.a, 0, { platform: 'android', label: 'Sneaky' }),
        answerWrite(s.uid, 'r0', 'approved', s.a),
      ),
  ],
  [
    'an approval with no entry made, for a requester that has since claimed on its own',
    (s) => send(s.db, answerWrite(s.uid, 'r0', 'approved', s.a)),
    async (s) => {
      await send(s.db, {
        [`presence/${s.uid}/count`]: { '.sv': { increment: -1 } },
        [`presence/${s.uid}/op`]: s.b,
        [`presence/${s.uid}/devices/${s.b}`]: null,
      });
      await send(s.db, claimWrite(s.uid, s.c, 0, TABLET));
    },
  ],
  [
    'an answer by a device that holds no slot',
    (s) => send(s.db, answerWrite(s.uid, 'r0', 'refused', newDeviceId('nobody'))),
  ],
  [
    'an answer stamped in the past',
    (s) => send(s.db, answerWrite(s.uid, 'r0', 'refused', s.a), { [`presence/${s.uid}/requests/r0/answeredAt`]: 1 }),
  ],
  [
    'an answer that rewrites the request',
    (s) => send(s.db, answerWrite(s.uid, 'r0', 'refused', s.a), { [`presence/${s.uid}/requests/r0/label`]: 'x' }),
  ],
  [
    'an approval of an expired request',
    (s) => send(s.db, approval(s, s.a, s.a)),
    (s) => adminUpdate(env, `presence/${s.uid}/requests/r0`, { at: Date.now() - REQUEST_TTL_MS - MARGIN_MS }),
  ],
  [
    'an answer by a session cut off by a force login',
    (s) =>
      send(env.authenticatedContext(s.uid, { auth_time: 1_000 }).database(), answerWrite(s.uid, 'r0', 'refused', s.a)),
    (s) => adminSet(env, `presence/${s.uid}/notBefore`, 2_000),
  ],
  [
    'a request by a session cut off by a force login',
    (s) =>
      send(
        env.authenticatedContext(s.uid, { auth_time: 1_000 }).database(),
        requestWrite(s.uid, 'r1', newDeviceId('x')),
      ),
    async (s) => {
      await afterIntervalOf(s);
      await adminSet(env, `presence/${s.uid}/notBefore`, 2_000);
    },
  ],
];

/** A request of a new device in `slot` (browser), with `extra` fields merged into it. */
function requestWith(uid: string, slot: string, extra: Record<string, unknown>): Write {
  const write = requestWrite(uid, slot, newDeviceId('x'));
  const key = `presence/${uid}/requests/${slot}`;
  return { ...write, [key]: { ...(write[key] as object), ...extra } };
}

function afterIntervalOf(s: Scene): Promise<void> {
  return afterInterval(s.uid);
}

test.each(attacks.map(([name, attack, setup]) => ({ name, attack, setup })))(
  'refused: $name',
  async ({ attack, setup }) => {
    const s = await scene();
    if (setup) await setup(s);
    const before = await stateOf(env, s.uid);
    await assertFails(attack(s));
    await expectUnchanged(env, s.uid, before);
  },
);

describe('races', () => {
  test('A and B approve the same request at once, 10 rounds: one approval, one entry, count exact', async () => {
    for (let round = 0; round < 10; round++) {
      const s = await scene();
      const dbA = env.authenticatedContext(s.uid).database();
      const dbB = env.authenticatedContext(s.uid).database();
      await Promise.all([presenceRef(dbA, s.uid).get(), presenceRef(dbB, s.uid).get()]);
      const results = await Promise.allSettled([send(dbA, approval(s, s.a, s.a)), send(dbB, approval(s, s.b, s.b))]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const state = await presenceV2(env, s.uid);
      expect(state.count).toBe(2);
      expect(entryCount(state)).toBe(2);
      expect(state.devices?.[s.c]).toBeDefined();
    }
  });

  test('6 devices file requests at once, 10 rounds: the rate limit lets exactly one through', async () => {
    const s = await scene(false);
    const dbs = Array.from({ length: 6 }, () => env.authenticatedContext(s.uid).database());
    await Promise.all(dbs.map((db) => presenceRef(db, s.uid).get()));
    for (let round = 0; round < 10; round++) {
      await adminUpdate(env, `presence/${s.uid}`, { requests: null });
      await afterInterval(s.uid);
      const results = await Promise.allSettled(
        dbs.map((db, i) => send(db, requestWrite(s.uid, `r${i % 3}`, newDeviceId(`r${round}d${i}`)))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const requests = (await presenceV2(env, s.uid)) as { requests?: Record<string, unknown> };
      expect(Object.keys(requests.requests ?? {})).toHaveLength(1);
    }
  });

  test('an approval racing a plain claim of a freed slot: never more than the limit', async () => {
    for (let round = 0; round < 10; round++) {
      const s = await scene();
      const claimer = env.authenticatedContext(s.uid).database();
      await presenceRef(claimer, s.uid).get();
      await Promise.allSettled([send(s.db, approval(s, s.a, s.a)), send(claimer, claimWrite(s.uid, newDeviceId('z')))]);
      const state = await presenceV2(env, s.uid);
      expect(state.count).toBe(entryCount(state));
      expect(entryCount(state)).toBeLessThanOrEqual(2);
    }
  });
});
