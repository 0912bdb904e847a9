/**
 * The adapters around the decision, with a fake token verifier and a fake presence source: what a
 * request gets back (status, body, headers, `req.deviceLimit`), and the callable's HttpsError.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DecodedIdToken } from 'firebase-admin/auth';
import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import { DeviceGate } from './device-gate';
import { deviceGate, type DeviceGateRequest } from './express';
import { withDeviceGate } from './on-call';
import { DeviceGateUnavailableError } from './refusal';
import type { PresenceSource } from './slot-view';
import { bearerToken } from './token';

const AUTH_TIME = 1_700_000_000;

function decoded(uid: string, authTime = AUTH_TIME): DecodedIdToken {
  return { uid, sub: uid, auth_time: authTime } as unknown as DecodedIdToken;
}

/** Tokens are `good:<uid>`, `old:<uid>` (auth_time before the cut-off) or `expired`. */
const verifier = {
  verifyIdToken: async (token: string): Promise<DecodedIdToken> => {
    const [kind, uid = ''] = token.split(':');
    if (kind === 'good') return decoded(uid);
    if (kind === 'old') return decoded(uid, AUTH_TIME - 100);
    if (kind === 'keys-unreachable') throw Object.assign(new Error('no keys'), { code: 'auth/internal-error' });
    if (kind === 'expired') throw Object.assign(new Error('expired'), { code: 'auth/id-token-expired' });
    throw Object.assign(new Error('bad'), { code: 'auth/argument-error' });
  },
};

const PRESENCE: Record<string, unknown> = {
  alice: {
    count: 1,
    generation: 1,
    notBefore: AUTH_TIME - 10,
    devices: { laptop001: { generation: 1 } },
    evicted: { phone0001: { reason: 'force-login', at: 1, generation: 1 } },
  },
  bob: { count: 1, devices: { bobphone1: { generation: 0 } } },
};

function source(): PresenceSource & { listens: string[] } {
  const listens: string[] = [];
  return {
    listens,
    listen(uid, onValue) {
      listens.push(uid);
      onValue(PRESENCE[uid] ?? null);
      return () => undefined;
    },
  };
}

function request(headers: Record<string, string>): DeviceGateRequest {
  return { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) } as never;
}

interface Answer {
  next: boolean;
  error?: unknown;
  status?: number;
  headers: Record<string, string>;
  body?: unknown;
  req: DeviceGateRequest;
}

async function run(middleware: ReturnType<typeof deviceGate>, headers: Record<string, string>): Promise<Answer> {
  const req = request(headers);
  const answer: Answer = { next: false, headers: {}, req };
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    setHeader: (name: string, value: string) => void (answer.headers[name.toLowerCase()] = value),
  }) as unknown as ServerResponse;
  await new Promise<void>((resolve) => {
    (res as unknown as { end: (body: string) => void }).end = (body: string) => {
      answer.status = res.statusCode;
      answer.body = JSON.parse(body);
      resolve();
    };
    middleware(req as IncomingMessage, res, (error?: unknown) => {
      answer.next = true;
      answer.error = error;
      resolve();
    });
  });
  return answer;
}

describe('deviceGate (Express middleware)', () => {
  const middleware = deviceGate({ auth: verifier, source: source() });

  test('a device holding a slot passes, with { uid, deviceId, token } on req.deviceLimit', async () => {
    const answer = await run(middleware, { Authorization: 'Bearer good:alice', 'X-Device-Id': 'laptop001' });
    expect(answer).toMatchObject({ next: true, error: undefined });
    expect(answer.req.deviceLimit).toEqual({ uid: 'alice', deviceId: 'laptop001', token: decoded('alice') });
  });

  // [case, headers, status, code, reason]
  test.each<[string, Record<string, string>, number, string, string | undefined]>([
    ['no Authorization header', { 'X-Device-Id': 'laptop001' }, 401, 'device-limit/unauthenticated', undefined],
    [
      'a non-bearer scheme',
      { Authorization: 'Basic abc', 'X-Device-Id': 'laptop001' },
      401,
      'device-limit/unauthenticated',
      undefined,
    ],
    [
      'an expired token',
      { Authorization: 'Bearer expired', 'X-Device-Id': 'laptop001' },
      401,
      'device-limit/unauthenticated',
      undefined,
    ],
    [
      'a forged token',
      { Authorization: 'Bearer forged', 'X-Device-Id': 'laptop001' },
      401,
      'device-limit/unauthenticated',
      undefined,
    ],
    ['no device id', { Authorization: 'Bearer good:alice' }, 400, 'device-limit/invalid-argument', undefined],
    [
      'a malformed device id',
      { Authorization: 'Bearer good:alice', 'X-Device-Id': 'a/b' },
      400,
      'device-limit/invalid-argument',
      undefined,
    ],
    [
      'an evicted device',
      { Authorization: 'Bearer good:alice', 'X-Device-Id': 'phone0001' },
      403,
      'device-limit/evicted',
      'force-login',
    ],
    [
      'a session older than the force login',
      { Authorization: 'Bearer old:alice', 'X-Device-Id': 'laptop001' },
      403,
      'device-limit/evicted',
      'force-login',
    ],
    [
      'another user’s device id',
      { Authorization: 'Bearer good:alice', 'X-Device-Id': 'bobphone1' },
      403,
      'device-limit/no-slot',
      undefined,
    ],
    [
      'a made-up device id',
      { Authorization: 'Bearer good:bob', 'X-Device-Id': 'laptop001' },
      403,
      'device-limit/no-slot',
      undefined,
    ],
  ])('refuses %s', async (_case, headers, status, code, reason) => {
    const answer = await run(middleware, headers);
    expect(answer.next).toBe(false);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({
      error: expect.objectContaining({
        status: { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED' }[status],
        code,
        message: expect.any(String),
      }),
    });
    expect((answer.body as { error: { reason?: string } }).error.reason).toBe(reason);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['www-authenticate']).toBe(status === 401 ? 'Bearer realm="device-limit"' : undefined);
    expect(answer.req.deviceLimit).toBeUndefined();
  });

  test('a token that cannot be checked at all goes to next(error), not to a 401', async () => {
    const answer = await run(middleware, { Authorization: 'Bearer keys-unreachable', 'X-Device-Id': 'laptop001' });
    expect(answer.next).toBe(true);
    expect(answer.error).toBeInstanceOf(DeviceGateUnavailableError);
  });

  test('the header name is configurable', async () => {
    const custom = deviceGate({ auth: verifier, source: source(), deviceIdHeader: 'X-Install' });
    const answer = await run(custom, { Authorization: 'Bearer good:alice', 'X-Install': 'laptop001' });
    expect(answer.next).toBe(true);
    custom.gate.close();
  });
});

describe('withDeviceGate (onCall)', () => {
  const call = (data: unknown, auth?: DecodedIdToken, headers: Record<string, string> = {}) =>
    ({
      data,
      auth: auth ? { uid: auth.uid, token: auth, rawToken: 'raw' } : undefined,
      rawRequest: { headers },
      acceptsStreaming: false,
    }) as unknown as CallableRequest<unknown>;

  const handler = withDeviceGate({ source: source() }, (request, device) => ({
    echo: request.data,
    device: device.deviceId,
  }));

  test('passes { uid, deviceId, token } as the second argument', async () => {
    await expect(handler(call({ deviceId: 'laptop001', n: 1 }, decoded('alice')))).resolves.toEqual({
      echo: { deviceId: 'laptop001', n: 1 },
      device: 'laptop001',
    });
  });

  test('takes the X-Device-Id header when the data has no deviceId', async () => {
    await expect(handler(call({}, decoded('alice'), { 'x-device-id': 'laptop001' }))).resolves.toMatchObject({
      device: 'laptop001',
    });
  });

  test.each<[string, CallableRequest<unknown>, string, string]>([
    ['no auth', call({ deviceId: 'laptop001' }), 'unauthenticated', 'device-limit/unauthenticated'],
    ['no device id', call({}, decoded('alice')), 'invalid-argument', 'device-limit/invalid-argument'],
    [
      'an evicted device',
      call({ deviceId: 'phone0001' }, decoded('alice')),
      'permission-denied',
      'device-limit/evicted',
    ],
    [
      'another user’s device',
      call({ deviceId: 'bobphone1' }, decoded('alice')),
      'permission-denied',
      'device-limit/no-slot',
    ],
  ])('refuses %s with an HttpsError carrying the device-limit code', async (_case, request, functionsCode, code) => {
    const error = await handler(request).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpsError);
    expect(error).toMatchObject({ code: functionsCode, details: expect.objectContaining({ code }) });
  });

  test('an outage is `unavailable`', async () => {
    const failing: PresenceSource = {
      listen: (_uid, _onValue, onError) => {
        onError(new Error('cancelled'));
        return () => undefined;
      },
    };
    const gated = withDeviceGate({ source: failing }, () => 'never');
    await expect(gated(call({ deviceId: 'laptop001' }, decoded('alice')))).rejects.toMatchObject({
      code: 'unavailable',
    });
  });
});

describe('DeviceGate', () => {
  test('reads each user once, however many requests', async () => {
    const counted = source();
    const gate = new DeviceGate({ auth: verifier, source: counted });
    for (let i = 0; i < 100; i++) await gate.check('Bearer good:alice', 'laptop001');
    await gate.check('Bearer good:bob', 'bobphone1');
    expect(counted.listens).toEqual(['alice', 'bob']);
    // This fake delivers the first value during listen(), so even the first request finds it in memory.
    expect(gate.stats).toMatchObject({ attaches: 2, values: 2, hits: 101, waits: 0 });
    gate.close();
  });

  test('refuses to be built with both database and databaseFor', () => {
    expect(() => new DeviceGate({ database: {} as never, databaseFor: () => ({}) as never })).toThrow(TypeError);
  });
});

test.each<[string | string[] | undefined, string | null]>([
  [undefined, null],
  ['Bearer abc.def.', 'abc.def.'],
  ['bearer   abc', 'abc'],
  ['Bearer', null],
  ['Bearer a b', null],
  [['Bearer x', 'Bearer y'], 'x'],
])('bearerToken(%p) is %p', (header, token) => {
  expect(bearerToken(header)).toBe(token);
});
