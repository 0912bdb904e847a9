/**
 * The callables over the real callable HTTP protocol (https://firebase.google.com/docs/functions/callable-reference):
 * each exported function is the request handler Cloud Functions runs, mounted here on a local
 * express server the way the Functions emulator serves it (same environment: see
 * ./functions-emulator-env.ts); requests carry `{"data": …}` and `Authorization: Bearer <ID token>`
 * with an unsigned Auth-emulator token. This checks what clients actually receive: `{"result": …}`,
 * or the canonical HTTP status with `{"error": {"status", "message"}}`.
 */
import './functions-emulator-env';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  deviceEntry,
  functions,
  readPresence,
  seedPresence,
  startFunctionsContext,
  stopFunctionsContext,
} from './support';
import type { FunctionsTestContext } from './support';

let ctx: FunctionsTestContext;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  ctx = startFunctionsContext('demo-fn-protocol');
  const app = express();
  app.use(express.json());
  const handlers = functions as unknown as Record<string, (req: express.Request, res: express.Response) => void>;
  app.post('/:name', (req, res) => {
    const handler = handlers[req.params.name as string];
    if (!handler) return void res.status(404).send('no such function');
    handler(req, res);
  });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await stopFunctionsContext();
});

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An ID token as the Auth emulator issues it (`alg: none`, no signature). */
function emulatorIdToken(uid: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: `https://securetoken.google.com/${ctx.ns}`,
    aud: ctx.ns,
    auth_time: now - 10,
    user_id: uid,
    sub: uid,
    iat: now - 10,
    exp: now + 3600,
    firebase: { identities: {}, sign_in_provider: 'password' },
    ...claims,
  };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
}

async function call(name: string, data: unknown, idToken?: string): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (idToken) headers.authorization = `Bearer ${idToken}`;
  const response = await fetch(`${baseUrl}/${name}`, { method: 'POST', headers, body: JSON.stringify({ data }) });
  return { status: response.status, body: await response.json() };
}

test('signOutDevice answers {result} for the uid in the token', async () => {
  const uid = 'http-user';
  await seedPresence(ctx, uid, { count: 1, devices: { laptop001: deviceEntry(1_000) } });
  expect(await call('signOutDevice', { deviceId: 'laptop001' }, emulatorIdToken(uid))).toEqual({
    status: 200,
    body: { result: { deviceId: 'laptop001' } },
  });
  expect(await readPresence(ctx, uid)).toMatchObject({ count: 0 });
});

test('forceLogin uses the token auth_time as notBefore', async () => {
  const token = emulatorIdToken('http-fl-user');
  const { status, body } = await call(
    'forceLogin',
    { deviceId: 'device001', platform: 'web', label: 'Firefox' },
    token,
  );
  expect(status).toBe(200);
  const authTime = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).auth_time as number;
  expect(body).toEqual({ result: { generation: 1, notBefore: authTime, evicted: [] } });
});

test.each([
  ['no token', 'signOutDevice', { deviceId: 'laptop001' }, undefined, 401, 'UNAUTHENTICATED'],
  ['a malformed token', 'signOutDevice', { deviceId: 'laptop001' }, 'malformed', 401, 'UNAUTHENTICATED'],
  ['bad input', 'signOutDevice', { deviceId: 'x' }, 'user', 400, 'INVALID_ARGUMENT'],
  ['a device that holds no slot', 'signOutDevice', { deviceId: 'nothere01' }, 'user', 404, 'NOT_FOUND'],
  ['a non-admin setting a limit', 'setDeviceLimit', { uid: 'someone', limit: 9 }, 'user', 403, 'PERMISSION_DENIED'],
  [
    "a non-admin repairing another user's presence",
    'repairPresence',
    { uid: 'someone' },
    'user',
    403,
    'PERMISSION_DENIED',
  ],
])('refuses %s with the canonical HTTP status', async (_name, fn, data, who, status, code) => {
  const token =
    who === 'user'
      ? emulatorIdToken('http-other-user')
      : who === 'wrong-project'
        ? emulatorIdToken('http-other-user', {
            aud: 'another-project',
            iss: 'https://securetoken.google.com/another-project',
          })
        : undefined;
  const response = await call(fn, data, token);
  expect(response.status).toBe(status);
  expect(response.body).toMatchObject({ error: { status: code } });
});

test('an admin claim in the token lets setDeviceLimit through', async () => {
  const response = await call(
    'setDeviceLimit',
    { uid: 'http-limited', limit: 4 },
    emulatorIdToken('ops', { admin: true }),
  );
  expect(response).toEqual({ status: 200, body: { result: { uid: 'http-limited', limit: 4, evicted: [] } } });
  expect((await ctx.db.ref('limits/http-limited').get()).val()).toBe(4);
});

test('repairPresence called without data repairs the caller: {result} with the recomputed count', async () => {
  const uid = 'http-drifted';
  await seedPresence(ctx, uid, { count: 5, devices: { laptop001: deviceEntry(1_000) } });
  // The client SDK sends `{"data": null}` for `httpsCallable(functions, 'repairPresence')()`.
  expect(await call('repairPresence', null, emulatorIdToken(uid))).toEqual({
    status: 200,
    body: { result: { uid, changed: true, count: 1, evicted: [] } },
  });
  expect(await readPresence(ctx, uid)).toEqual({ count: 1, devices: { laptop001: deviceEntry(1_000) } });
});
