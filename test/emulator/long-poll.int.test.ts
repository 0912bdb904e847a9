/**
 * Long polling for browsers (docs/wire-protocol.md §14) and the upgrade to WebSocket (docs/wire-protocol.md §14.2),
 * driven by a client that follows BrowserPollConnection step by step (test/helpers/long-poll-client.ts), next to real
 * SDK clients on WebSockets.
 */
import { onValue, ref, set } from 'firebase/database';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { LongPollClient } from '../helpers/long-poll-client';
import { RawClient } from '../helpers/raw-client';
import { deleteAllApps, eventually, rest, webDatabase } from '../helpers/sdk';

const ns = freshNamespace('demo-longpoll');
const pollers: LongPollClient[] = [];
const sockets: RawClient[] = [];

async function startPoller(): Promise<LongPollClient> {
  const client = await LongPollClient.start(ns);
  pollers.push(client);
  return client;
}

afterAll(async () => {
  pollers.forEach((client) => client.stop(true));
  sockets.forEach((socket) => socket.close());
  await deleteAllApps();
});

test('start answers pLPCommand("start", id, pw) and packet 0 with the handshake', async () => {
  const client = await startPoller();
  expect(client.commands[0]).toEqual(['start', client.id, client.password]);
  expect(client.handshake).toMatchObject({ v: '5', h: emulatorAddress().hostAndPort, s: expect.any(String) });
});

test('requests and pushes travel over polls, in both directions, next to WebSocket clients', async () => {
  const poller = await startPoller();
  expect((await poller.request('q', { p: '/lp/shared', h: '' })).s).toBe('ok');
  const sdk = webDatabase(ns);
  await set(ref(sdk, 'lp/shared'), 'from websocket');
  await poller.waitFor((e) => {
    const body = (e['d'] as Record<string, unknown> | undefined)?.['b'] as Record<string, unknown> | undefined;
    return body?.['p'] === '/lp/shared' && body['d'] === 'from websocket';
  });
  const seen: unknown[] = [];
  const stop = onValue(ref(sdk, 'lp/fromPoll'), (s) => seen.push(s.val()));
  expect((await poller.request('p', { p: '/lp/fromPoll', d: { n: 1 } })).s).toBe('ok');
  await eventually(
    () => seen.at(-1),
    (v) => JSON.stringify(v) === '{"n":1}',
  );
  stop();
});

test('a message larger than one segment (1840 characters) is reassembled; pings get pongs', async () => {
  const poller = await startPoller();
  const big = 'ü'.repeat(10_000);
  expect((await poller.request('p', { p: '/lp/big', d: big })).s).toBe('ok');
  expect((await rest('GET', 'lp/big', ns)).json).toBe(big);
  await poller.send({ t: 'c', d: { t: 'p', d: {} } });
  await poller.waitFor((e) => e['t'] === 'c' && (e['d'] as Record<string, unknown>)['t'] === 'o');
});

test('upgrade: a WebSocket with s=<session> gets "a", pongs, and takes over after "n"', async () => {
  const poller = await startPoller();
  const sessionId = poller.handshake?.['s'] as string;
  expect((await poller.request('q', { p: '/lp/upgrade', h: '' })).s).toBe('ok');
  const socket = await RawClient.connect(ns, `s=${sessionId}`);
  sockets.push(socket);
  await socket.waitForMessage((m) => m['t'] === 'c' && (m['d'] as Record<string, unknown>)['t'] === 'a');
  socket.send({ t: 'c', d: { t: 'p', d: {} } });
  await socket.waitForMessage((m) => m['t'] === 'c' && (m['d'] as Record<string, unknown>)['t'] === 'o');
  socket.send({ t: 'c', d: { t: 'a', d: {} } });
  await poller.send({ t: 'c', d: { t: 'n', d: {} } });
  await poller.waitFor((e) => e['t'] === 'c' && (e['d'] as Record<string, unknown>)['t'] === 'n');
  await eventually(() => poller.commands.some((c) => c[0] === 'close'), Boolean);
  // The listen made over long polling now delivers on the socket; requests go over the socket.
  await rest('PUT', 'lp/upgrade', ns, { body: 'after upgrade' });
  await socket.waitFor(() => socket.pushes('d').some((b) => b['p'] === '/lp/upgrade' && b['d'] === 'after upgrade'));
  expect((await socket.request('p', { p: '/lp/viaSocket', d: true })).s).toBe('ok');
  expect((await rest('GET', 'lp/viaSocket', ns)).json).toBe(true);
});

test('a WebSocket naming an unknown session gets a reset instead of joining anything', async () => {
  const socket = await RawClient.connect(ns, 's=no-such-session');
  sockets.push(socket);
  const reset = await socket.waitForMessage((m) => m['t'] === 'c');
  expect((reset['d'] as Record<string, unknown>)['t']).toBe('r');
  await socket.waitForClose();
});

test('closing the page (the dframe request aborted) runs the session onDisconnect', async () => {
  const poller = await startPoller();
  await poller.send({ t: 'd', d: { r: 1, a: 'o', b: { p: '/lp/presence', d: 'offline' } } });
  await poller.waitFor((e) => (e['d'] as Record<string, unknown> | undefined)?.['r'] === 1);
  expect((await rest('GET', 'lp/presence', ns)).json).toBeNull();
  poller.stop(true);
  await eventually(
    async () => (await rest('GET', 'lp/presence', ns)).json,
    (v) => v === 'offline',
  );
});

test('a poll with a wrong password is refused', async () => {
  const poller = await startPoller();
  const { hostAndPort } = emulatorAddress();
  const reply = await fetch(`http://${hostAndPort}/.lp?id=${poller.id}&pw=wrong&ser=1&ns=${ns}`);
  expect(reply.status).toBe(400);
});
