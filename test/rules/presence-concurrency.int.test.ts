/**
 * Concurrency: many devices of one user, each its own `firebase` app and socket, claim at the same
 * moment. The server serializes writes and judges each claim against the state left by the previous
 * one (docs/protocol.md §1), so exactly `limit` claims succeed and `count` equals the entries.
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
