/**
 * Reads through the SDK: a get or listen the rules don't grant fails with permission_denied, an
 * active listen is cancelled when new rules deny it, queries are judged with `query.*`, and an
 * unindexed orderByChild query gets the server's `no_index` warning.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import type firebase from 'firebase/compat/app';
import 'firebase/compat/database';
import { emulatorAddress } from '../helpers/emulator';
import { rulesEnvironment, setAsOwner } from './environment';

const RULES = {
  users: { $uid: { '.read': 'auth != null && auth.uid === $uid' } },
  // "Use conditions…", query-based rules: only the caller's own baskets, by owner.
  baskets: {
    '.read': "auth.uid != null && query.orderByChild == 'owner' && query.equalTo == auth.uid",
    '.indexOn': 'owner',
  },
  messages: { '.read': 'query.orderByKey && query.limitToFirst <= 10' },
  scores: { '.read': true, '.indexOn': ['score'] },
  feed: { '.read': true },
};

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await rulesEnvironment(RULES);
  await setAsOwner(env, '/', {
    users: { alice: { name: 'Alice' }, bob: { name: 'Bob' } },
    baskets: { b1: { owner: 'alice', items: 2 }, b2: { owner: 'bob', items: 5 } },
    messages: { m1: 'hi', m2: 'there' },
    scores: { p1: { score: 3, level: 1 }, p2: { score: 9, level: 2 } },
    feed: { f1: 'one' },
  });
});

afterAll(async () => {
  await env.cleanup();
});

/** The outcome of the first event of a listen: its value, or the cancel error. */
function firstEvent(query: firebase.database.Query): Promise<{ value?: unknown; error?: Error }> {
  return new Promise((resolve) => {
    const onValue = (snapshot: firebase.database.DataSnapshot): void => {
      query.off('value', onValue); // only this callback: other listens on the location stay
      resolve({ value: snapshot.val() });
    };
    query.on('value', onValue, (error: Error) => resolve({ error }));
  });
}

describe('gets and listens', () => {
  test('own data: get and listen succeed', async () => {
    const db = env.authenticatedContext('alice').database();
    const snapshot = await assertSucceeds(db.ref('users/alice').get());
    expect(snapshot.val()).toEqual({ name: 'Alice' });
    expect(await firstEvent(db.ref('users/alice'))).toEqual({ value: { name: 'Alice' } });
  });

  test("another user's data: get and once fail with permission_denied", async () => {
    const db = env.authenticatedContext('alice').database();
    await assertFails(db.ref('users/bob').get());
    await assertFails(db.ref('users/bob').once('value'));
  });

  test('a listen that is not granted is cancelled with permission_denied', async () => {
    const db = env.unauthenticatedContext().database();
    const { error } = await firstEvent(db.ref('users/alice'));
    expect(error?.message).toMatch(/permission_denied/i);
  });

  test('rules are not filters: reading the parent of readable nodes fails', async () => {
    await assertFails(env.authenticatedContext('alice').database().ref('users').get());
  });
});

describe('queries are judged with query.*', () => {
  test("the caller's own baskets by owner", async () => {
    const db = env.authenticatedContext('alice').database();
    const snapshot = await assertSucceeds(db.ref('baskets').orderByChild('owner').equalTo('alice').get());
    expect(snapshot.val()).toEqual({ b1: { owner: 'alice', items: 2 } });
  });

  test("someone else's baskets, or all of them, are denied", async () => {
    const db = env.authenticatedContext('alice').database();
    await assertFails(db.ref('baskets').orderByChild('owner').equalTo('bob').get());
    await assertFails(db.ref('baskets').get());
  });

  test('a limit the rules allow, and one they do not', async () => {
    const db = env.unauthenticatedContext().database();
    await assertSucceeds(db.ref('messages').orderByKey().limitToFirst(10).get());
    await assertFails(db.ref('messages').orderByKey().limitToFirst(11).get());
    await assertFails(db.ref('messages').orderByKey().get());
  });
});

describe('.indexOn', () => {
  test('an unindexed orderByChild query warns as the real server does; an indexed one does not', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const db = env.unauthenticatedContext().database();
      const unindexed = await firstEvent(db.ref('scores').orderByChild('level').limitToFirst(1));
      expect(unindexed.value).toEqual({ p1: { score: 3, level: 1 } });
      const indexed = await firstEvent(db.ref('scores').orderByChild('score').limitToFirst(1));
      expect(indexed.value).toEqual({ p1: { score: 3, level: 1 } });
      const messages = warn.mock.calls.map((args) => args.join(' '));
      expect(messages.some((m) => m.includes('Consider adding ".indexOn": "level" at /scores'))).toBe(true);
      expect(messages.some((m) => m.includes('".indexOn": "score"'))).toBe(false);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('new rules re-check active listens', () => {
  test('a listen the new rules deny is cancelled', async () => {
    const db = env.unauthenticatedContext().database();
    const ref = db.ref('feed');
    let first: (value: unknown) => void = () => undefined;
    const firstValue = new Promise<unknown>((resolve) => (first = resolve));
    const cancelled = new Promise<Error>((resolve) => {
      ref.on(
        'value',
        (snapshot) => first(snapshot.val()),
        (error: Error) => resolve(error),
      );
    });
    expect(await firstValue).toEqual({ f1: 'one' });
    const { hostAndPort } = emulatorAddress();
    const response = await fetch(`http://${hostAndPort}/.settings/rules.json?ns=${env.projectId}`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer owner' },
      body: JSON.stringify({ rules: { ...RULES, feed: { '.read': false } } }),
    });
    expect(response.status).toBe(200);
    expect((await cancelled).message).toMatch(/permission_denied/i);
  });
});
