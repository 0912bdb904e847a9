/**
 * onDisconnect operations are checked against the rules when they are registered (the SDK's
 * registration fails with permission_denied), and run with the rules when the client goes away.
 */
import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import firebase from 'firebase/compat/app';
import 'firebase/compat/database';
import { readAsOwner, rulesEnvironment } from './environment';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await rulesEnvironment({
    status: {
      $uid: {
        '.read': true,
        '.write': 'auth != null && auth.uid === $uid',
        state: { '.validate': "newData.val() === 'online' || newData.val() === 'offline'" },
        lastChanged: { '.validate': 'newData.isNumber() && newData.val() <= now' },
      },
    },
  });
});

afterAll(async () => {
  await env.cleanup();
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('registration is checked against the rules', () => {
  test("at another user's location: denied", async () => {
    const db = env.authenticatedContext('alice').database();
    await assertFails(db.ref('status/bob/state').onDisconnect().set('offline'));
    await assertFails(db.ref('status/bob').onDisconnect().remove());
  });

  test('with data that fails .validate: denied', async () => {
    const db = env.authenticatedContext('alice').database();
    await assertFails(db.ref('status/alice/state').onDisconnect().set('away'));
  });

  test('an update with one denied location: denied', async () => {
    const db = env.authenticatedContext('alice').database();
    await assertFails(db.ref('status').onDisconnect().update({ 'alice/state': 'offline', 'bob/state': 'offline' }));
  });

  test('unauthenticated: denied', async () => {
    await assertFails(env.unauthenticatedContext().database().ref('status/alice/state').onDisconnect().set('offline'));
  });
});

describe('a granted registration runs when the client disconnects', () => {
  test('set with a server timestamp, then goOffline', async () => {
    const db = env.authenticatedContext('carol').database();
    await assertSucceeds(
      db.ref('status/carol').set({ state: 'online', lastChanged: firebase.database.ServerValue.TIMESTAMP }),
    );
    await assertSucceeds(
      db
        .ref('status/carol')
        .onDisconnect()
        .set({ state: 'offline', lastChanged: firebase.database.ServerValue.TIMESTAMP }),
    );
    db.goOffline();
    await waitFor(async () => (await readAsOwner(env, 'status/carol/state')) === 'offline');
    expect(typeof (await readAsOwner(env, 'status/carol/lastChanged'))).toBe('number');
  });
});
