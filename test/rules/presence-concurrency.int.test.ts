/**
 * Concurrency: many devices of one user, each its own `firebase` app and socket, claim, release,
 * sweep and ping at the same moment. The server serializes writes and judges each against the state
 * left by the previous one (docs/protocol.md §1), so exactly `limit` claims succeed, a ghost is swept
 * once, and `count` equals the entries.
 */
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type { Database } from '../helpers/presence';
import {
  adminSet,
  claim,
  defaultLimitFromRules,
  entryCount,
  newDeviceId,
  newUid,
  presenceOf,
  presenceRef,
  release,
  startRulesEnvironment,
} from '../helpers/presence';
import { seededRandom } from '../helpers/random';
import {
  MARGIN_MS,
  PING_DEADLINE_MS,
  STALE_AFTER_MS,
  ageEntry,
  auditEvent,
  claimWrite,
  eventWrite,
  pingAgo,
  pingWrite,
  renewWrite,
  send,
  sweepWrite,
  trailOf,
} from './support';

const DEVICES = 8;
const ROUNDS = 20;

let env: RulesTestEnvironment;
let uid: string;
let devices: Database[];

beforeAll(async () => {
  env = await startRulesEnvironment('demo-rules-concurrency');
  uid = newUid();
  devices = Array.from({ length: DEVICES }, () => env.authenticatedContext(uid).database());
  // Open every socket before the first round, so the claims leave together.
  await Promise.all(devices.map((db) => presenceRef(db, uid).get()));
});
afterAll(async () => {
  await env.cleanup();
});

function succeeded(results: PromiseSettledResult<unknown>[]): number[] {
  return results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function settle(write: Promise<unknown>): Promise<PromiseSettledResult<unknown>> {
  return write.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

function rejectionsArePermissionDenied(results: PromiseSettledResult<unknown>[]): boolean {
  return results.every((r) => r.status === 'fulfilled' || /PERMISSION_DENIED/i.test(String(r.reason)));
}

test(`${DEVICES} devices claim at once, ${ROUNDS} rounds: exactly limit succeed`, async () => {
  const limits = [defaultLimitFromRules(), 3, 1, 5];
  for (let round = 0; round < ROUNDS; round++) {
    const limit = limits[round % limits.length] ?? 2;
    await adminSet(env, `presence/${uid}`, null);
    await adminSet(env, `limits/${uid}`, round % limits.length === 0 ? null : limit);
    const ids = devices.map(() => newDeviceId(`r${round}`));

    const results = await Promise.allSettled(devices.map((db, i) => claim(db, uid, ids[i] ?? '')));

    const winners = succeeded(results);
    expect({ round, winners: winners.length }).toEqual({ round, winners: limit });
    expect(rejectionsArePermissionDenied(results)).toBe(true);
    const state = await presenceOf(env, uid);
    expect({ round, count: state.count, entries: entryCount(state) }).toEqual({ round, count: limit, entries: limit });
    expect(Object.keys(state.devices ?? {}).sort()).toEqual(winners.map((i) => ids[i]).sort());
  }
});

test(`a release racing ${DEVICES - 2} claims on a full user, ${ROUNDS / 2} rounds: at most one claim wins`, async () => {
  for (let round = 0; round < ROUNDS / 2; round++) {
    await adminSet(env, `presence/${uid}`, null);
    await adminSet(env, `limits/${uid}`, null);
    const [holderA, holderB, ...claimers] = devices;
    if (!holderA || !holderB) throw new Error('need two holders');
    const [a, b] = [newDeviceId('a'), newDeviceId('b')];
    await claim(holderA, uid, a);
    await claim(holderB, uid, b);
    const ids = claimers.map(() => newDeviceId(`c${round}`));

    const [releaseResult, ...results] = await Promise.allSettled([
      release(holderA, uid, a),
      ...claimers.map((db, i) => claim(db, uid, ids[i] ?? '')),
    ]);

    expect(releaseResult?.status).toBe('fulfilled');
    expect(rejectionsArePermissionDenied(results)).toBe(true);
    const winners = succeeded(results).length;
    expect(winners).toBeLessThanOrEqual(1);
    const state = await presenceOf(env, uid);
    expect(state.count).toBe(entryCount(state));
    expect(state.count).toBe(1 + winners);
  }
});

describe('claims racing sweeps (docs/protocol.md §4.9, §4.10): count stays exact, never limit + 1', () => {
  /** Resets the user to `holders` fresh entries plus `ghosts` whose lease ran out, under `limit`. */
  async function fullWithGhosts(limit: number | null, ghosts: number): Promise<{ live: string; ghosts: string[] }> {
    await adminSet(env, `presence/${uid}`, null);
    await adminSet(env, `presenceEvents/${uid}`, null);
    await adminSet(env, `limits/${uid}`, limit);
    const [holder] = devices;
    if (!holder) throw new Error('need a holder');
    const live = newDeviceId('live');
    await send(holder, claimWrite(uid, live));
    const ids = Array.from({ length: ghosts }, () => newDeviceId('g'));
    for (const id of ids) {
      await send(holder, claimWrite(uid, id));
      await ageEntry(env, uid, id, STALE_AFTER_MS + MARGIN_MS);
    }
    return { live, ghosts: ids };
  }

  test(`${DEVICES - 1} devices each sweep the ghosts, then claim, ${ROUNDS / 2} rounds`, async () => {
    const random = seededRandom(20261204);
    for (let round = 0; round < ROUNDS / 2; round++) {
      // Even rounds: the default limit with one ghost; odd rounds: limit 3 with two ghosts.
      const ghostCount = round % 2 === 0 ? 1 : 2;
      const limit = round % 2 === 0 ? defaultLimitFromRules() : 3;
      const { live, ghosts } = await fullWithGhosts(round % 2 === 0 ? null : 3, ghostCount);
      // The account is full before the race: the live entry and the ghosts.
      expect((await presenceOf(env, uid)).count).toBe(limit);
      const racers = devices.slice(1);
      const ids = racers.map(() => newDeviceId(`r${round}`));

      const outcomes = await Promise.all(
        racers.map(async (db, i) => {
          const sweeps: PromiseSettledResult<unknown>[] = [];
          for (const ghost of random() < 0.5 ? ghosts : [...ghosts].reverse()) {
            sweeps.push(
              await settle(send(db, sweepWrite(uid, ghost), eventWrite(db, uid, auditEvent('swept', ghost)))),
            );
          }
          const id = ids[i] ?? '';
          const claimed = await settle(send(db, claimWrite(uid, id), eventWrite(db, uid, auditEvent('claimed', id))));
          return { sweeps, claimed };
        }),
      );

      const sweepResults = outcomes.flatMap((o) => o.sweeps);
      const claimResults = outcomes.map((o) => o.claimed);
      expect(rejectionsArePermissionDenied([...sweepResults, ...claimResults])).toBe(true);
      // Each ghost is swept exactly once; every racer claims only after the ghosts are gone (a sweep
      // is refused only once its ghost is), so exactly the freed slots are taken, no more.
      expect({ round, sweeps: succeeded(sweepResults).length }).toEqual({ round, sweeps: ghostCount });
      const winners = succeeded(claimResults);
      expect({ round, claims: winners.length }).toEqual({ round, claims: ghostCount });
      const state = await presenceOf(env, uid);
      expect({ round, count: state.count, entries: entryCount(state) }).toEqual({
        round,
        count: limit,
        entries: limit,
      });
      expect(Object.keys(state.devices ?? {}).sort()).toEqual([live, ...winners.map((i) => ids[i])].sort());
      for (const ghost of ghosts) expect(state.evicted?.[ghost]?.reason).toBe('swept');
      const trail = await trailOf(env, uid);
      expect(
        trail
          .filter((e) => e.type === 'swept')
          .map((e) => e.deviceId)
          .sort(),
      ).toEqual([...ghosts].sort());
      expect(trail.filter((e) => e.type === 'claimed').length).toBe(ghostCount);
    }
  });

  test(`a late answer racing ${DEVICES - 2} sweepers after an unanswered ping, ${ROUNDS / 2} rounds`, async () => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      await adminSet(env, `presence/${uid}`, null);
      await adminSet(env, `limits/${uid}`, null);
      const [holder, slow, ...racers] = devices;
      if (!holder || !slow) throw new Error('need a holder and a slow device');
      const [live, late] = [newDeviceId('live'), newDeviceId('late')];
      await send(holder, claimWrite(uid, live));
      await send(slow, claimWrite(uid, late));
      await ageEntry(env, uid, late, PING_DEADLINE_MS + 2 * MARGIN_MS);
      await pingAgo(env, uid, PING_DEADLINE_MS + MARGIN_MS);
      const ids = racers.map(() => newDeviceId(`r${round}`));

      const sweeps: PromiseSettledResult<unknown>[] = [];
      // The answer leaves with the sweepers in even rounds and a few ms after them in odd ones, so
      // both orders occur; each round checks the outcome of the order the server saw.
      const answered = (): Promise<PromiseSettledResult<unknown>> => settle(send(slow, renewWrite(uid, late)));
      const [answer, ...rest] = await Promise.all([
        round % 2 === 0 ? answered() : sleep(round % 4).then(answered),
        ...racers.map(async (db, i) => {
          sweeps.push(await settle(send(db, sweepWrite(uid, late))));
          return settle(send(db, claimWrite(uid, ids[i] ?? '')));
        }),
      ]);

      expect(rejectionsArePermissionDenied([...sweeps, ...rest, ...(answer ? [answer] : [])])).toBe(true);
      expect(succeeded(sweeps).length).toBe(answer?.status === 'fulfilled' ? 0 : 1);
      const state = await presenceOf(env, uid);
      const claims = succeeded(rest).length;
      if (answer?.status === 'fulfilled') {
        // The answer came first: the entry is live again, no sweep passed, the account stays full.
        expect({ round, claims, late: state.devices?.[late] !== undefined }).toEqual({ round, claims: 0, late: true });
      } else {
        // A sweep came first: the answer is refused (its entry is gone) and one claim takes the slot.
        expect({ round, claims, notice: state.evicted?.[late]?.reason }).toEqual({ round, claims: 1, notice: 'swept' });
      }
      expect({ round, count: state.count, entries: entryCount(state) }).toEqual({ round, count: 2, entries: 2 });
    }
  });

  test(`${DEVICES} devices ask a liveness check at once: exactly one ping is accepted`, async () => {
    for (let round = 0; round < 5; round++) {
      await adminSet(env, `presence/${uid}`, null);
      const results = await Promise.allSettled(devices.map((db) => send(db, pingWrite(uid))));
      expect({ round, pings: succeeded(results).length }).toEqual({ round, pings: 1 });
      expect(rejectionsArePermissionDenied(results)).toBe(true);
    }
  });
});
