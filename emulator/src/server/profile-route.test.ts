/**
 * The profile stream's life cycle over a real socket: it ends its subscription when the client goes,
 * and a client that stops reading is cut off instead of being buffered for.
 */
import { createServer, get } from 'node:http';
import type { ClientRequest, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Profiler } from '../profiler/profiler';
import { createServerLog } from '../log';
import { handleProfileRequest, MAX_PROFILE_BUFFER_BYTES } from './profile-route';

let server: Server;
let profiler: Profiler;
let port: number;

beforeEach(async () => {
  profiler = new Profiler({ now: () => Date.now() });
  const log = createServerLog(undefined, { quiet: true, debug: false });
  server = createServer((request, response) =>
    handleProfileRequest({ profiler, log }, request.method ?? 'GET', response, new URL(request.url ?? '/', 'http://x')),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function open(query = '?ns=demo'): Promise<{ request: ClientRequest; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const request = get(`http://127.0.0.1:${port}/.settings/profile.json${query}`);
    request.on('response', (response) => resolve({ request, response }));
    request.on('error', reject);
  });
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('events arrive as `event: log` entries; the subscription ends when the client disconnects', async () => {
  const { request, response } = await open();
  expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
  expect(profiler.subscriberCount).toBe(1);
  let text = '';
  response.on('data', (chunk: Buffer) => (text += chunk.toString()));
  profiler.record('demo', { name: 'rest-write', path: ['a'], bytes: 1 });
  profiler.record('other', { name: 'rest-write', path: ['b'], bytes: 1 });
  await until(() => text.includes('\n\n'));
  expect(text).toMatch(
    /^event: log\ndata: \{"name":"rest-write","path":\["a"\],"bytes":1,"timestamp":\d+,"millis":0\}\n\n$/,
  );
  request.destroy();
  await until(() => profiler.subscriberCount === 0);
});

test('a client that does not read is closed once its backlog passes the bound', async () => {
  const { response } = await open('');
  response.pause();
  const big = 'x'.repeat(1024 * 1024);
  for (let i = 0; profiler.subscriberCount > 0 && i < 4 * (MAX_PROFILE_BUFFER_BYTES / big.length); i++) {
    profiler.record('any', { name: 'rest-write', path: [big] });
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(profiler.subscriberCount).toBe(0);
});
