/**
 * `@firebase/rules-unit-testing` v5 end to end (docs/wire-protocol.md §9.1, docs/wire-protocol.md §12.1): rules loaded
 * by its `PUT /.settings/rules.json`, contexts as mock tokens, `owner` for withSecurityRulesDisabled, and clearDatabase
 * as an owner socket write. assertFails relies on the exact "Permission denied" texts.
 */
import { assertFails, assertSucceeds, initializeTestEnvironment } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { setLogLevel } from 'firebase/app';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { rest } from '../helpers/sdk';

const projectId = freshNamespace('demo-rut');
let env: RulesTestEnvironment;

// Denials are the point here; the SDK would log each one as a warning.
setLogLevel('error');

beforeAll(async () => {
  const { host, port } = emulatorAddress();
  env = await initializeTestEnvironment({
    projectId,
    database: {
      host,
      port,
      rules: JSON.stringify({
        rules: {
          users: {
            $uid: { '.read': 'auth.uid === $uid', '.write': "auth.uid === $uid && auth.token.role === 'member'" },
          },
        },
      }),
    },
  });
});

afterAll(async () => env.cleanup());

test('authenticated, unauthenticated and rules-disabled contexts see the rules as production does', async () => {
  const alice = env.authenticatedContext('alice', { role: 'member' }).database();
  const visitor = env.authenticatedContext('visitor').database();
  const anonymous = env.unauthenticatedContext().database();
  await assertSucceeds(alice.ref('users/alice').set({ name: 'Alice' }));
  await assertSucceeds(alice.ref('users/alice').once('value'));
  await assertFails(alice.ref('users/bob').set({ name: 'not Bob' }));
  await assertFails(alice.ref('users/bob').once('value'));
  await assertFails(alice.ref('users/bob').get());
  await assertFails(visitor.ref('users/visitor').set({ name: 'no role' }));
  await assertFails(anonymous.ref('users/alice').once('value'));
  await env.withSecurityRulesDisabled(async (context) => {
    await assertSucceeds(context.database().ref('users/bob').set({ name: 'Bob' }));
  });
  expect((await rest('GET', 'users', projectId)).json).toEqual({ alice: { name: 'Alice' }, bob: { name: 'Bob' } });
});

test('clearDatabase empties the namespace', async () => {
  await env.withSecurityRulesDisabled(async (context) => {
    await context.database().ref('users/carol').set({ name: 'Carol' });
  });
  await env.clearDatabase();
  expect((await rest('GET', '', projectId)).json).toBeNull();
});
