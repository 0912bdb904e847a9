/**
 * The known differences from production that emulator/README.md lists, each kept true here (or in the
 * test the README names). Every one is marked `DIFFERENCE FROM PRODUCTION:` where the code makes it.
 */
import WebSocket from 'ws';
import { nodeFromJSON, nodeHash } from './database';
import { startEmulator } from './emulator';
import type { EmulatorHandle } from './emulator';

let handle: EmulatorHandle;
let base: string;

beforeAll(async () => {
  handle = await startEmulator({ port: 0, log: false });
  base = `http://${handle.host}:${handle.port}`;
});

afterAll(() => handle.stop());

const unsignedToken = (claims: Record<string, unknown>): string => {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', type: 'JWT' })}.${part(claims)}.`;
};

async function call(
  method: string,
  pathAndQuery: string,
  options: { body?: string; auth?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}${pathAndQuery}`, {
    method,
    headers: options.auth === undefined ? {} : { Authorization: `Bearer ${options.auth}` },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

test('an unsigned, long-expired ID token is accepted (the official emulator does the same)', async () => {
  const rules = { rules: { users: { $uid: { '.write': 'auth.uid === $uid', '.read': 'auth.uid === $uid' } } } };
  expect(
    (await call('PUT', '/.settings/rules.json?ns=diff-auth', { body: JSON.stringify(rules), auth: 'owner' })).status,
  ).toBe(200);
  const token = unsignedToken({ sub: 'alice', iat: 0, exp: 3600 });
  expect((await call('PUT', '/users/alice.json?ns=diff-auth', { body: '1', auth: token })).status).toBe(200);
  expect((await call('PUT', '/users/bob.json?ns=diff-auth', { body: '1', auth: token })).status).toBe(401);
});

test('REST takes a limit without orderBy (priority, then key order)', async () => {
  await call('PUT', '/list.json?ns=diff-limit', { body: JSON.stringify({ b: 2, a: 1, c: 3 }), auth: 'owner' });
  expect((await call('GET', '/list.json?ns=diff-limit&limitToFirst=2', { auth: 'owner' })).body).toEqual({
    a: 1,
    b: 2,
  });
  // With a range, orderBy is required, as in production.
  expect((await call('GET', '/list.json?ns=diff-limit&startAt=1', { auth: 'owner' })).status).toBe(400);
});

test('/.settings/rules.json takes any bearer that is not an ID token, and refuses ID tokens', async () => {
  const strict = await call('GET', '/.settings/rules.json?ns=diff-admin&format=strict', { auth: 'ya29.unchecked' });
  expect(strict).toEqual({ status: 200, body: { rules: { '.read': true, '.write': true } } });
  const idToken = unsignedToken({ sub: 'alice', iat: 0 });
  expect((await call('GET', '/.settings/rules.json?ns=diff-admin', { auth: idToken })).status).toBe(401);
});

test('an unknown server value is refused as invalid data', async () => {
  const reply = await call('PUT', '/x.json?ns=diff-sv', { body: JSON.stringify({ '.sv': 'bogus' }), auth: 'owner' });
  expect(reply.status).toBe(400);
  expect(reply.body).toEqual({ error: 'Invalid data; unsupported server value "bogus".' });
});

test('namespace names may use upper case and _, up to 100 characters', async () => {
  expect((await call('GET', '/.json?ns=My_Namespace', { auth: 'owner' })).status).toBe(200);
  expect((await call('GET', `/.json?ns=${'a'.repeat(101)}`, { auth: 'owner' })).status).toBe(400);
});

test('a profile stream without ns carries every namespace', async () => {
  const controller = new AbortController();
  const response = await fetch(`${base}/.settings/profile.json`, {
    headers: { Authorization: 'Bearer owner' },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await call('PUT', '/p.json?ns=diff-one', { body: '1', auth: 'owner' });
  await call('PUT', '/q.json?ns=diff-two', { body: '2', auth: 'owner' });
  let text = '';
  while (!(text.includes('"p"') && text.includes('"q"'))) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  expect(text).toMatch(/"path":\["p"\]/);
  expect(text).toMatch(/"path":\["q"\]/);
  controller.abort();
});

test("a listen is sent the current data even when the client's hash says it has it", async () => {
  await call('PUT', '/cached.json?ns=diff-hash', { body: '"x"', auth: 'owner' });
  const ws = new WebSocket(`ws://${handle.host}:${handle.port}/.ws?v=5&ns=diff-hash`);
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise((resolve) => ws.once('open', resolve));
  const request = { t: 'd', d: { r: 1, a: 'q', b: { p: '/cached', h: nodeHash(nodeFromJSON('x')) } } };
  ws.send(JSON.stringify(request));
  const deadline = Date.now() + 5000;
  while (!messages.some((m) => JSON.stringify(m).includes('"r":1')) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const data = messages.map((m) => m['d'] as Record<string, unknown>);
  const push = data.findIndex((d) => d['a'] === 'd');
  const reply = data.findIndex((d) => d['r'] === 1);
  expect(data[push]).toEqual({ a: 'd', b: { p: '/cached', d: 'x' } });
  expect(push).toBeLessThan(reply);
  ws.close();
});
