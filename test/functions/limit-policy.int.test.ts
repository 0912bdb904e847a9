/**
 * The server and the policy `evict-least-recent` (docs/protocol.md §11.2): an admin sets a user's
 * policy with `setLimitPolicy`; a replace a client makes through the rules leaves nothing for the
 * repair to fix (invariant 1 holds, `count` unchanged); the server's transactions keep `policy` and
 * `replaced`, which they do not own.
 */
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { PresenceError } from '../../functions/src/core/errors';
import { replaceWrite, send } from '../rules/support';
import {
  ADMIN,
  callableRequest,
  claimUpdate,
  expectInvariants,
  functions,
  readPresence,
  startFunctionsAndClients,
  stopFunctionsAndClients,
  type Callable,
  type FunctionsTestContext,
} from './support';

let ctx: FunctionsTestContext;
let env: RulesTestEnvironment;
beforeAll(async () => ({ ctx, env } = await startFunctionsAndClients('demo-fn-policy')));
afterAll(() => stopFunctionsAndClients(env));

const repairPresence = functions.repairPresence as unknown as Callable<{ changed: boolean }>;
const forceLogin = functions.forceLogin as unknown as Callable<unknown>;

test('setLimitPolicy sets and removes the per-user policy, and refuses anything else', async () => {
  await functions.setLimitPolicy(ctx.db, 'policy-user', 'evict-least-recent');
  expect(await readPresence(ctx, 'policy-user')).toEqual({ policy: 'evict-least-recent' });
  await functions.setLimitPolicy(ctx.db, 'policy-user', null);
  expect(await readPresence(ctx, 'policy-user')).toBeNull();
  const bad = functions.setLimitPolicy(ctx.db, 'policy-user', 'evict-newest' as 'refuse');
  await expect(bad).rejects.toBeInstanceOf(PresenceError);
  await expect(bad).rejects.toMatchObject({ code: 'invalid-argument' });
});

test('after a client replace, the repair finds nothing to fix and force login keeps the policy', async () => {
  const uid = 'policy-replace';
  await functions.setLimitPolicy(ctx.db, uid, 'evict-least-recent');
  const db = env.authenticatedContext(uid).database();
  await db.ref(`presence/${uid}`).update(claimUpdate('device-a1'));
  await db.ref(`presence/${uid}`).update(claimUpdate('device-b1'));
  await send(db, replaceWrite(uid, 'device-c1', 'device-a1'));
  await expectInvariants(ctx, uid, 2);
  expect((await repairPresence.run(callableRequest({ uid }, ADMIN))).changed).toBe(false);

  await forceLogin.run(
    callableRequest(
      { deviceId: 'device-d1', platform: 'web', label: 'Laptop' },
      { uid, authTime: Math.floor(Date.now() / 1000) },
    ),
  );
  const after = await readPresence(ctx, uid);
  expect(after).toMatchObject({ count: 1, policy: 'evict-least-recent', replaced: 'device-a1' });
});
