/**
 * Malformed input must never take the server down or disturb other clients: each bad frame or request
 * gets an error reply or closes that one connection. Seeded (reproducible) random frames over raw
 * WebSockets and random HTTP requests, while a real SDK client keeps listening and writing.
 */
import { connect } from 'node:net';
import { onValue, ref, set } from 'firebase/database';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { RawClient } from '../helpers/raw-client';
import { deleteAllApps, eventually, rest, webDatabase } from '../helpers/sdk';
import { seededRandom } from '../helpers/random';

const ns = freshNamespace('demo-fuzz');
const SEED = Number(process.env.FUZZ_SEED ?? 20240601);

const random = seededRandom(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (n: number): number => Math.floor(random() * n);

const ALPHABET = Array.from('ab/.$#[]\u0000\u007f😀é %"\\{}:,0123456789-_');
function randomString(max = 12): string {
  return Array.from({ length: int(max) }, () => pick(ALPHABET)).join('');
}

/** Whether the server's reassembler (docs/wire-protocol.md §2.2) is left waiting for more frames after `frames`. */
function leavesMessageOpen(frames: readonly string[]): boolean {
  let remaining = 0;
  for (const frame of frames) {
    if (remaining > 0) remaining -= 1;
    else if (/^\d{1,6}$/.test(frame) && Number(frame) > 0) remaining = Number(frame);
  }
  return remaining > 0;
}

function randomValue(depth = 0): unknown {
  switch (int(depth > 3 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick([0, -1, 1.5, 1e308, -1e-300, 2 ** 53, 42]);
    case 3:
      return randomString();
    case 4:
      return pick([
        { '.sv': 'timestamp' },
        { '.sv': { increment: 'x' } },
        { '.sv': 'bogus' },
        { '.value': {}, '.priority': [] },
      ]);
    case 5:
      return undefined;
    case 6:
      return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < int(4); i++) out[randomString(6)] = randomValue(depth + 1);
      return out;
    }
  }
}

const ACTIONS = [
  's',
  'auth',
  'gauth',
  'unauth',
  'appcheck',
  'unappeck',
  'q',
  'n',
  'g',
  'p',
  'm',
  'o',
  'om',
  'oc',
  'zz',
  '',
];

function randomFrames(): string[] {
  switch (int(10)) {
    case 0:
      return [randomString(64)];
    case 1:
      return [JSON.stringify(randomValue())];
    case 2:
      return [
        JSON.stringify(
          pick([
            { t: 'd', d: 5 },
            { t: 'd', d: { a: 5 } },
            { t: 'c', d: 'x' },
            { t: 'x', d: {} },
            { t: 'd' },
            { d: {} },
            [],
          ]),
        ),
      ];
    case 3:
      return [pick(['999999', '2', '-1', '00', '1e3', '7']), randomString(20), '{"t":"d"'];
    case 4:
      return ['['.repeat(100_000) + ']'.repeat(100_000)];
    case 5:
      return [`{"t":"d","d":{"r":1,"a":"p","b":{"p":"/fuzz/deep","d":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}}`];
    default: {
      const path = pick([
        '/fuzz/' + randomString(8),
        randomString(8),
        '/fuzz/a/.priority',
        5,
        null,
        '/fuzz/' + 'x/'.repeat(40),
      ]);
      const body: Record<string, unknown> = {
        p: path,
        d: randomValue(),
        q: pick([undefined, {}, randomValue(), { l: -1, vf: 'z' }, { i: 5 }]),
      };
      if (random() < 0.5) body['t'] = pick([1, 'x', -5, null]);
      if (random() < 0.3) body['h'] = pick(['', 'bogus', 5]);
      if (random() < 0.3) body['cred'] = pick(['owner', 'a.b.c', randomString(), 5]);
      return [
        JSON.stringify({
          t: 'd',
          d: { r: pick([1, -1, 'x', null, 2 ** 60]), a: pick(ACTIONS), b: pick([body, null, 5, 'x']) },
        }),
      ];
    }
  }
}

afterAll(deleteAllApps);

test(`random WebSocket frames (seed ${SEED}) get replies or close only their own connection`, async () => {
  const observer = webDatabase(ns);
  const writer = webDatabase(ns);
  const values: unknown[] = [];
  const stop = onValue(ref(observer, 'observed/value'), (s) => values.push(s.val()));
  await eventually(
    () => values.length,
    (n) => n === 1,
  );

  for (let round = 0; round < 15; round++) {
    const fuzzers = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(ns)));
    const sent = new Map<RawClient, string[]>();
    for (const fuzzer of fuzzers) {
      const frames = Array.from({ length: 6 }, () => randomFrames()).flat();
      frames.forEach((frame) => fuzzer.sendFrame(frame));
      if (random() < 0.2) fuzzer.ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x80]), { binary: true });
      sent.set(fuzzer, frames);
    }
    // Each connection still answers a well-formed request, or the server closed it. (A connection
    // whose last frame count is unfinished rightly waits for more frames, and is just closed.)
    await Promise.all(
      fuzzers.map(async (fuzzer) => {
        if (leavesMessageOpen(sent.get(fuzzer) ?? [])) return;
        let answered = false;
        const reply = fuzzer.request('s', {}).then(
          () => (answered = true),
          () => undefined,
        );
        await Promise.race([reply, fuzzer.waitForClose(3000).catch(() => undefined)]);
        expect(answered || fuzzer.closed).toBe(true);
      }),
    );
    fuzzers.forEach((fuzzer) => fuzzer.close());
    await set(ref(writer, 'observed/value'), round);
    await eventually(
      () => values.at(-1),
      (v) => v === round,
    );
  }
  stop();
  expect(values).toEqual([null, ...Array.from({ length: 15 }, (_, i) => i)]);
}, 60_000);

function randomHttpRequest(): { method: string; path: string; headers: Record<string, string>; body?: string } {
  const method = pick(['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS', 'FOO']);
  const params = new URLSearchParams();
  params.set('ns', pick([ns, ns, ns, '', 'bad ns!', '%zz']));
  for (const name of [
    'orderBy',
    'startAt',
    'endAt',
    'equalTo',
    'limitToFirst',
    'limitToLast',
    'print',
    'shallow',
    'format',
    'auth',
    'callback',
    'x-http-method-override',
  ]) {
    if (random() < 0.15)
      params.set(
        name,
        pick([randomString(), JSON.stringify(randomValue()), '"$key"', '"$value"', '-1', 'true', 'pretty', 'export']),
      );
  }
  const path = pick([
    `/fuzz/${encodeURIComponent(randomString())}.json`,
    `/${randomString()}.json`,
    '/fuzz/%E0%A4%A.json',
    '/.settings/rules.json',
    '/.settings/functionTriggers.json',
    '/.inspect/databases.json',
    '/.inspect/coverage',
    '/.inspect/coverage.html',
    '/.lp',
    '/.ws',
    '/.json',
    `/fuzz/${'x/'.repeat(40)}.json`,
  ]);
  const headers: Record<string, string> = {};
  const headerSafe = (): string => randomString().replace(/[^\x20-\x7e]/g, 'x');
  if (random() < 0.5) headers['Authorization'] = `Bearer ${pick(['owner', 'x.y.z', headerSafe(), ''])}`;
  if (random() < 0.2) headers['if-match'] = pick(['null_etag', headerSafe()]);
  if (random() < 0.2) headers['X-Firebase-ETag'] = 'true';
  if (random() < 0.1) headers['X-HTTP-Method-Override'] = pick(['PATCH', 'DELETE', 'BREW']);
  const body =
    method === 'GET' || method === 'OPTIONS'
      ? undefined
      : pick([JSON.stringify(randomValue()), randomString(40), '{"rules":' + randomString(20)]);
  return { method, path: `${path}?${params.toString()}`, headers, ...(body === undefined ? {} : { body }) };
}

test(`random HTTP requests (seed ${SEED}) never cause a server error and never stop the server`, async () => {
  const { hostAndPort } = emulatorAddress();
  for (let round = 0; round < 20; round++) {
    const replies = await Promise.all(
      Array.from({ length: 15 }, async () => {
        const request = randomHttpRequest();
        const response = await fetch(`http://${hostAndPort}${request.path}`, {
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          signal: AbortSignal.timeout(25_000),
        });
        await response.arrayBuffer();
        return { request, status: response.status };
      }),
    );
    const serverErrors = replies.filter((r) => r.status >= 500);
    expect(serverErrors).toEqual([]);
  }
  expect((await rest('PUT', 'observed/http', ns, { body: 'alive' })).json).toBe('alive');
}, 60_000);

test('garbage that is not HTTP gets a 400 on its own socket only', async () => {
  const { host, port } = emulatorAddress();
  await rest('PUT', 'observed/raw', ns, { body: 'alive' });
  const answer = await new Promise<string>((resolve) => {
    const socket = connect(port, host, () => socket.write('GARBAGE \u0000\u0001 NOT HTTP\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
  expect(answer).toMatch(/^HTTP\/1\.1 400/);
  // A request abandoned halfway through its body.
  await new Promise<void>((resolve) => {
    const halfOpen = connect(port, host, () => {
      halfOpen.write('PUT /x.json?ns=x HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"a"', () => {
        halfOpen.destroy();
        resolve();
      });
    });
  });
  expect((await rest('GET', 'observed/raw', ns)).json).toBe('alive');
});
