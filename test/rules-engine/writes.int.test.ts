/**
 * Writes through the SDK as rules judge them: multi-location updates as one write, server values
 * resolved before the rules see `newData`, `.validate` on the new data, and owner bypass.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import firebase from 'firebase/compat/app';
import 'firebase/compat/database';
import { readAsOwner, rulesEnvironment, setAsOwner } from './environment';

const SERVER_TIMESTAMP = firebase.database.ServerValue.TIMESTAMP;
const increment = (n: number): object => firebase.database.ServerValue.increment(n);

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await rulesEnvironment({
    users: {
      $uid: {
        '.read': 'auth != null && auth.uid === $uid',
        '.write': 'auth != null && auth.uid === $uid',
        name: { '.validate': 'newData.isString() && newData.val().length <= 20' },
        // "Use conditions…": a timestamp may not be in the future.
        updatedAt: { '.validate': 'newData.isNumber() && newData.val() <= now' },
        visits: { '.validate': 'newData.isNumber() && newData.val() === (data.exists() ? data.val() : 0) + 1' },
        $other: { '.validate': "$other === 'username'" },
      },
    },
    usernames: {
      $name: {
        '.write': '!data.exists() && newData.val() === auth.uid',
        '.validate': "newData.parent().parent().child('users/' + auth.uid + '/username').val() === $name",
      },
    },
    locked: { '.read': false, '.write': false },
  });
});

afterAll(async () => {
  await env.cleanup();
});

describe('a multi-location update is one write', () => {
  test('every location granted and consistent: succeeds', async () => {
    const db = env.authenticatedContext('alice').database();
    await assertSucceeds(db.ref().update({ 'users/alice/username': 'al', 'usernames/al': 'alice' }));
    expect(await readAsOwner(env, 'usernames/al')).toBe('alice');
  });

  test('one location denied: the whole update fails and nothing is written', async () => {
    const db = env.authenticatedContext('bob').database();
    await assertFails(db.ref().update({ 'users/bob/username': 'bo', 'users/carol/username': 'bo' }));
    expect(await readAsOwner(env, 'users/bob')).toBeNull();
  });

  test('validation sees the final state of the other locations', async () => {
    const db = env.authenticatedContext('dave').database();
    await assertFails(db.ref().update({ 'users/dave/username': 'other', 'usernames/dv': 'dave' }));
    await assertSucceeds(db.ref().update({ 'users/dave/username': 'dv', 'usernames/dv': 'dave' }));
  });

  test('a name already taken is refused (data is the state before the update)', async () => {
    const db = env.authenticatedContext('erin').database();
    await assertFails(db.ref().update({ 'users/erin/username': 'al', 'usernames/al': 'erin' }));
  });
});

describe('server values are resolved before the rules see newData', () => {
  test('a server timestamp passes `newData.val() <= now`', async () => {
    const db = env.authenticatedContext('frank').database();
    await assertSucceeds(db.ref('users/frank/updatedAt').set(SERVER_TIMESTAMP));
    expect(typeof (await readAsOwner(env, 'users/frank/updatedAt'))).toBe('number');
  });

  test('a client timestamp in the future fails it', async () => {
    const db = env.authenticatedContext('frank').database();
    await assertFails(db.ref('users/frank/updatedAt').set(Date.now() + 3_600_000));
  });

  test('increment(1) is judged as the incremented number', async () => {
    const db = env.authenticatedContext('gina').database();
    await assertSucceeds(db.ref('users/gina/visits').set(increment(1)));
    await assertSucceeds(db.ref('users/gina/visits').set(increment(1)));
    await assertFails(db.ref('users/gina/visits').set(increment(2)));
    expect(await readAsOwner(env, 'users/gina/visits')).toBe(2);
  });

  test('server values inside a multi-location update', async () => {
    const db = env.authenticatedContext('hank').database();
    await assertSucceeds(db.ref('users/hank').update({ visits: increment(1), updatedAt: SERVER_TIMESTAMP }));
  });
});

describe('.validate and cascading .write', () => {
  test('a granted write with invalid data fails', async () => {
    const db = env.authenticatedContext('ivy').database();
    await assertFails(db.ref('users/ivy/name').set('a name much longer than twenty characters'));
    await assertFails(db.ref('users/ivy').set({ name: 'Ivy', unknown: 1 }));
    await assertSucceeds(db.ref('users/ivy').set({ name: 'Ivy' }));
  });

  test('deleting is not validated', async () => {
    const db = env.authenticatedContext('ivy').database();
    await assertSucceeds(db.ref('users/ivy/name').remove());
  });

  test('another user, and the unauthenticated, are denied', async () => {
    await assertFails(env.authenticatedContext('jack').database().ref('users/ivy/name').set('x'));
    await assertFails(env.unauthenticatedContext().database().ref('users/ivy/name').set('x'));
  });

  test('transactions are judged like sets', async () => {
    const db = env.authenticatedContext('kim').database();
    await assertSucceeds(db.ref('users/kim/visits').transaction((current: number | null) => (current ?? 0) + 1));
    await assertFails(db.ref('users/kim/visits').transaction((current: number | null) => (current ?? 0) + 5));
  });
});

describe('withSecurityRulesDisabled bypasses rules', () => {
  test('writes and reads where the rules deny everything', async () => {
    await setAsOwner(env, 'locked/secret', 42);
    expect(await readAsOwner(env, 'locked/secret')).toBe(42);
    await assertFails(env.authenticatedContext('alice').database().ref('locked/secret').get());
    await assertFails(env.authenticatedContext('alice').database().ref('locked/secret').set(1));
  });

  test('writes that would fail .validate', async () => {
    await setAsOwner(env, 'users/zed/name', 12345);
    expect(await readAsOwner(env, 'users/zed/name')).toBe(12345);
  });
});
