/**
 * Wire-level checks with a hand-driven `ws` client (docs/wire-protocol.md §2–5, docs/wire-protocol.md §8): what the
 * SDKs rely on but cannot show directly — handshake fields, pong, frame counts both ways, push-before-ack ordering,
 * tags, the `c` payload shape, `datastale`, and the replies to odd requests.
 */
import { randomBytes } from 'node:crypto';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { mockIdToken, RawClient } from '../helpers/raw-client';
import { putRules, rest } from '../helpers/sdk';

const ns = freshNamespace('demo-protocol');
const clients: RawClient[] = [];

async function connect(namespace: string | null = ns): Promise<RawClient> {
  const client = await RawClient.connect(namespace);
  clients.push(client);
  await client.waitForHandshake();
  return client;
}

afterAll(() => clients.forEach((client) => client.close()));

/** Index of the first message matching `predicate` (-1 if none). */
function indexOf(client: RawClient, predicate: (m: Record<string, unknown>) => boolean): number {
  return client.messages.findIndex(predicate);
}
const isResponse = (r: number) => (m: Record<string, unknown>) => (m['d'] as Record<string, unknown>)?.['r'] === r;
const isPush = (action: string, path: string) => (m: Record<string, unknown>) => {
  const d = m['d'] as Record<string, unknown> | undefined;
  return d?.['a'] === action && (d['b'] as Record<string, unknown>)['p'] === path;
};

describe('connection', () => {
  test('the handshake comes first: ts, v "5", h = the Host header, a session id', async () => {
    const client = await connect();
    const handshake = client.handshake as Record<string, unknown>;
    expect(handshake['v']).toBe('5');
    expect(handshake['h']).toBe(emulatorAddress().hostAndPort);
    expect(Math.abs((handshake['ts'] as number) - Date.now())).toBeLessThan(5000);
    expect(typeof handshake['s']).toBe('string');
    expect((handshake['s'] as string).length).toBeGreaterThan(0);
  });

  test('a ping gets a pong with d: null; keepalive "0" frames are ignored; the server never sends "0"', async () => {
    const client = await connect();
    client.sendFrame('0');
    client.send({ t: 'c', d: { t: 'p', d: {} } });
    const pong = await client.waitForMessage((m) => (m['d'] as Record<string, unknown>)?.['t'] === 'o');
    expect(pong).toEqual({ t: 'c', d: { t: 'o', d: null } });
    expect((await client.request('s', { c: { 'sdk.js.12-0-0': 1 } })).s).toBe('ok');
    expect(client.frames).not.toContain('0');
  });

  test('a request without ns goes to the fake-server namespace', async () => {
    const client = await connect(null);
    const value = randomBytes(4).toString('hex');
    expect((await client.request('p', { p: '/protocol-default-ns', d: value })).s).toBe('ok');
    const { hostAndPort } = emulatorAddress();
    const reply = await fetch(`http://${hostAndPort}/protocol-default-ns.json?ns=fake-server`);
    expect(await reply.json()).toBe(value);
  });
});

describe('framing', () => {
  test('a message split with a frame count is reassembled', async () => {
    const client = await connect();
    const big = 'x'.repeat(40_000);
    const text = JSON.stringify({ t: 'd', d: { r: 1, a: 'p', b: { p: '/framing/in', d: big } } });
    const parts = [text.slice(0, 16384), text.slice(16384, 32768), text.slice(32768)];
    client.sendFrame(String(parts.length));
    parts.forEach((part) => client.sendFrame(part));
    await client.waitForMessage(isResponse(1));
    expect((await rest('GET', 'framing/in', ns)).json).toBe(big);
  });

  test('a large outgoing message is split: a count frame, then frames of at most 16384 characters', async () => {
    const big = { text: 'y'.repeat(50_000), emoji: '😀'.repeat(9000) };
    await rest('PUT', 'framing/out', ns, { body: big });
    const client = await connect();
    await client.request('q', { p: '/framing/out', h: '' });
    const push = client.pushes('d').find((b) => b['p'] === '/framing/out');
    expect(push?.['d']).toEqual(big);
    const countIndex = client.frames.findIndex((f) => /^\d{1,6}$/.test(f) && Number(f) > 1);
    expect(countIndex).toBeGreaterThanOrEqual(0);
    const count = Number(client.frames[countIndex]);
    const parts = client.frames.slice(countIndex + 1, countIndex + 1 + count);
    expect(parts.every((part) => part.length <= 16384)).toBe(true);
  });
});

describe('ordering and listens', () => {
  test('listen: the data push precedes the ok; a write is pushed to its own connection before its ok', async () => {
    const client = await connect();
    await rest('PUT', 'order/x', ns, { body: 1 });
    await client.request('q', { p: '/order/x', h: '' });
    expect(indexOf(client, isPush('d', '/order/x'))).toBeLessThan(indexOf(client, isResponse(1)));
    await client.request('p', { p: '/order/x', d: 2 });
    const pushIndex = client.messages.findIndex(
      (m, i) => i > indexOf(client, isResponse(1)) && isPush('d', '/order/x')(m),
    );
    expect(pushIndex).toBeGreaterThan(-1);
    expect(pushIndex).toBeLessThan(indexOf(client, isResponse(2)));
  });

  test('a tagged query gets tagged pushes and stops after n', async () => {
    await rest('PUT', 'tagged', ns, { body: { a: 1, b: 2, c: 3 } });
    const client = await connect();
    const q = { i: '.value', l: 2, vf: 'r' };
    await client.request('q', { p: '/tagged', q, t: 7, h: '' });
    const first = client.pushes('d').find((b) => b['t'] === 7);
    expect(first).toEqual({ p: '/tagged', d: { b: 2, c: 3 }, t: 7 });
    await rest('PUT', 'tagged/d', ns, { body: 4 });
    await client.waitFor(() => client.pushes('d').filter((b) => b['t'] === 7).length >= 2);
    await client.request('n', { p: '/tagged', q, t: 7 });
    const before = client.pushes('d').length;
    await rest('PUT', 'tagged/e', ns, { body: 5 });
    await client.request('s', {});
    expect(client.pushes('d').length).toBe(before);
  });

  test('losing read access revokes with c: {p, q: [query]} for tagged and {p} for default listens', async () => {
    const revokeNs = freshNamespace('demo-protocol-revoke');
    await putRules(revokeNs, { rules: { '.read': 'auth != null', '.write': true } });
    const client = await connect(revokeNs);
    expect((await client.request('auth', { cred: mockIdToken({ sub: 'u1' }) })).s).toBe('ok');
    const q = { sp: 1, sin: true, i: '.value' };
    expect((await client.request('q', { p: '/secret', q, t: 3, h: '' })).s).toBe('ok');
    expect((await client.request('q', { p: '/secret/x', h: '' })).s).toBe('ok');
    expect((await client.request('unauth', {})).s).toBe('ok');
    await client.waitFor(() => client.pushes('c').length === 2);
    expect(client.pushes('c')).toEqual(expect.arrayContaining([{ p: '/secret', q: [q] }, { p: '/secret/x' }]));
  });
});

describe('requests', () => {
  test('g applies the query; {} is the default query', async () => {
    await rest('PUT', 'get', ns, { body: { a: 1, b: 2, c: 3 } });
    const client = await connect();
    expect(await client.request('g', { p: '/get', q: {} })).toEqual({ s: 'ok', d: { a: 1, b: 2, c: 3 } });
    expect(await client.request('g', { p: '/get', q: { l: 1, vf: 'l' } })).toEqual({ s: 'ok', d: { a: 1 } });
  });

  test('a put with a stale hash is datastale and writes nothing; the right hash commits', async () => {
    await rest('PUT', 'hash', ns, { body: 'hello' });
    const client = await connect();
    const stale = await client.request('p', { p: '/hash', d: 'next', h: '' });
    expect(stale.s).toBe('datastale');
    expect((await rest('GET', 'hash', ns)).json).toBe('hello');
    // sha1("string:hello") in base64: docs/wire-protocol.md §8.2
    expect((await client.request('p', { p: '/hash', d: 'next', h: 'z6sRbrNLwbHX5fdjpvsTtWgXUFc=' })).s).toBe('ok');
    expect((await rest('GET', 'hash', ns)).json).toBe('next');
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['auth with an unreadable token', { a: 'auth', b: { cred: 'not.a.jwt' } }, 'invalid_token'],
    ['an unknown action', { a: 'zz', b: {} }, 'bad_request'],
    ['a put without a path', { a: 'p', b: { d: 1 } }, 'invalid_path'],
    ['a put at an invalid path', { a: 'p', b: { p: '/a$b', d: 1 } }, 'invalid_path'],
    ['a merge that is not an object', { a: 'm', b: { p: '/x', d: 5 } }, 'invalid_data'],
    ['a listen with a query that is not an object', { a: 'q', b: { p: '/x', q: 'nope', t: 1 } }, 'invalid_query'],
  ])('%s gets an error status, and the connection stays usable', async (_name, request, status) => {
    const client = await connect();
    client.send({ t: 'd', d: { r: 99, ...request } });
    const response = await client.waitForMessage(isResponse(99));
    expect(((response['d'] as Record<string, unknown>)['b'] as Record<string, unknown>)['s']).toBe(status);
    expect((await client.request('p', { p: '/still/ok', d: true })).s).toBe('ok');
  });

  test('gauth owner with authvar / noauth, appcheck and unappeck are accepted', async () => {
    const client = await connect();
    expect((await client.request('gauth', { cred: 'owner', authvar: { uid: 'svc' } })).s).toBe('ok');
    expect((await client.request('gauth', { cred: 'owner', noauth: true })).s).toBe('ok');
    expect((await client.request('appcheck', { token: 'fake' })).s).toBe('ok');
    expect((await client.request('unappeck', {})).s).toBe('ok');
    expect((await client.request('unappcheck', {})).s).toBe('ok');
  });
});
