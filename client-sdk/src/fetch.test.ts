/**
 * deviceFetch and the axios-style interceptors against a fake server (a `fetch` function), a fake
 * user (counts refreshes) and a fake session (its state is driven by the test).
 */
import { isDeviceLimitError } from './errors';
import { attachDeviceInterceptors, deviceFetch, type AxiosLikeClient, type DeviceFetchTarget } from './fetch';
import type { DeviceSessionState } from './session-api';

const DEVICE = 'device-0001';

class FakeUser {
  refreshes = 0;
  private version = 0;
  /** When set, a forced refresh fails. */
  refreshError: Error | null = null;

  async getIdToken(forceRefresh = false): Promise<string> {
    if (forceRefresh) {
      this.refreshes++;
      await new Promise((resolve) => setTimeout(resolve, 5)); // the Auth round trip
      if (this.refreshError) throw this.refreshError;
      this.version++;
    }
    return `token-${this.version}`;
  }
}

class FakeSession {
  deviceId: string | null = DEVICE;
  state: DeviceSessionState = { status: 'active', deviceId: DEVICE, devices: [], limit: 2 };
  resumes = 0;
  private readonly listeners = new Set<(state: DeviceSessionState) => void>();
  /** What resume() leads to, e.g. the eviction the listener learns of. */
  onResume: (() => void) | null = null;

  onStateChanged(listener: (state: DeviceSessionState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  resume(): void {
    this.resumes++;
    this.onResume?.();
  }

  set(state: DeviceSessionState): void {
    this.state = state;
    this.deviceId = state.deviceId;
    for (const listener of [...this.listeners]) listener(state);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

interface Seen {
  url: string;
  authorization: string | null;
  deviceId: string | null;
  body: string | null;
}

/** A server that accepts only `validToken`; answers 403 evicted when `evicted` is set. */
class FakeServer {
  validToken = 'token-1';
  evicted = false;
  readonly seen: Seen[] = [];

  readonly fetch = async (input: unknown, init?: RequestInit): Promise<Response> => {
    const request = new Request(input as string, init);
    const authorization = request.headers.get('authorization');
    this.seen.push({
      url: request.url,
      authorization,
      deviceId: request.headers.get('x-device-id'),
      body: request.body ? await request.text() : null,
    });
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (authorization !== `Bearer ${this.validToken}`) {
      return json(401, { error: { status: 'UNAUTHENTICATED', code: 'device-limit/unauthenticated', message: 'no' } });
    }
    if (this.evicted) {
      return json(403, {
        error: { status: 'PERMISSION_DENIED', code: 'device-limit/evicted', message: 'gone', reason: 'force-login' },
      });
    }
    return json(200, { ok: true });
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function setup() {
  const user = new FakeUser();
  const session = new FakeSession();
  const server = new FakeServer();
  const target: DeviceFetchTarget = { session, user, fetch: server.fetch as never, evictionSyncMs: 200 };
  return { user, session, server, target };
}

test('attaches the ID token and the deviceId', async () => {
  const { server, target } = setup();
  server.validToken = 'token-0';
  const response = await deviceFetch(target, 'https://api.test/orders', { headers: { 'x-app': '1' } });
  expect(response.status).toBe(200);
  expect(server.seen).toEqual([
    { url: 'https://api.test/orders', authorization: 'Bearer token-0', deviceId: DEVICE, body: null },
  ]);
});

test('100 concurrent requests that meet an expired token cause exactly one refresh, and each is replayed once', async () => {
  const { user, server, target } = setup();
  const responses = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      deviceFetch(target, `https://api.test/r/${i}`, { method: 'POST', body: `n=${i}` }),
    ),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
  expect(user.refreshes).toBe(1);
  expect(server.seen).toHaveLength(200); // each request: once with the old token, once replayed
  for (let i = 0; i < 100; i++) {
    const sent = server.seen.filter((s) => s.url === `https://api.test/r/${i}`);
    expect(sent.map((s) => s.authorization)).toEqual(['Bearer token-0', 'Bearer token-1']);
    expect(sent.map((s) => s.body)).toEqual([`n=${i}`, `n=${i}`]); // the body is sent again
  }
});

test('requests that start during a refresh wait for it and go out once, with the new token', async () => {
  const { user, server, target } = setup();
  const first = deviceFetch(target, 'https://api.test/a');
  // Wait until the refresh is in flight (the first request got its 401).
  while (user.refreshes === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const queued = await Promise.all([
    deviceFetch(target, 'https://api.test/b'),
    deviceFetch(target, 'https://api.test/c'),
  ]);
  expect((await first).status).toBe(200);
  expect(queued.map((r) => r.status)).toEqual([200, 200]);
  expect(server.seen.filter((s) => s.url !== 'https://api.test/a').map((s) => s.authorization)).toEqual([
    'Bearer token-1',
    'Bearer token-1',
  ]);
  expect(user.refreshes).toBe(1);
});

test('a replay refused again is returned as it is: one refresh, one replay, no loop', async () => {
  const { user, server, target } = setup();
  server.validToken = 'never';
  const response = await deviceFetch(target, 'https://api.test/x');
  expect(response.status).toBe(401);
  expect(user.refreshes).toBe(1);
  expect(server.seen).toHaveLength(2);
});

test('a later wave of 401s refreshes again (the token went bad again)', async () => {
  const { user, server, target } = setup();
  await deviceFetch(target, 'https://api.test/1');
  server.validToken = 'token-2';
  await deviceFetch(target, 'https://api.test/2');
  expect(user.refreshes).toBe(2);
});

test('a failed refresh rejects every waiting request with device-limit/unauthenticated', async () => {
  const { user, target } = setup();
  user.refreshError = new Error('auth/user-disabled');
  const results = await Promise.allSettled([
    deviceFetch(target, 'https://api.test/1'),
    deviceFetch(target, 'https://api.test/2'),
  ]);
  for (const result of results) {
    expect(result.status).toBe('rejected');
    expect(isDeviceLimitError((result as PromiseRejectedResult).reason, 'device-limit/unauthenticated')).toBe(true);
  }
  expect(user.refreshes).toBe(1);
});

test('a streamed body is not replayed', async () => {
  const { user, server, target } = setup();
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('x'));
      controller.close();
    },
  });
  const response = await deviceFetch(target, 'https://api.test/s', {
    method: 'POST',
    body,
    duplex: 'half',
  } as RequestInit);
  expect(response.status).toBe(401);
  expect(user.refreshes).toBe(0);
  expect(server.seen).toHaveLength(1);
});

test('a Request input keeps its own headers and body, and can be replayed', async () => {
  const { server, target } = setup();
  const request = new Request('https://api.test/req', { method: 'PUT', body: 'payload', headers: { 'x-app': '1' } });
  const response = await deviceFetch(target, request as never);
  expect(response.status).toBe(200);
  expect(server.seen.map((s) => s.body)).toEqual(['payload', 'payload']);
});

test('a 403 device-limit/evicted brings the session to evicted before the call returns', async () => {
  const { session, server, target } = setup();
  server.validToken = 'token-0';
  server.evicted = true;
  // The session's listener learns of the eviction a moment later (or sooner when nudged).
  session.onResume = () =>
    setTimeout(() => session.set({ status: 'evicted', deviceId: DEVICE, reason: 'force-login' }), 10);
  const response = await deviceFetch(target, 'https://api.test/x');
  expect(response.status).toBe(403);
  expect(session.resumes).toBe(1);
  expect(session.state.status).toBe('evicted');
  expect(session.listenerCount).toBe(0);
  // The body is still there for the app.
  expect(await response.json()).toMatchObject({ error: { code: 'device-limit/evicted', reason: 'force-login' } });
});

test('a 403 for an already evicted session returns at once; the wait is bounded otherwise', async () => {
  const { session, server, target } = setup();
  server.validToken = 'token-0';
  server.evicted = true;
  const started = Date.now();
  await deviceFetch(target, 'https://api.test/x'); // nobody moves the session: waits evictionSyncMs (200)
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  session.set({ status: 'evicted', deviceId: DEVICE, reason: 'force-login' });
  await deviceFetch(target, 'https://api.test/x');
  expect(session.resumes).toBe(1);
});

test('requests made while the session is claiming wait for it to settle', async () => {
  const { session, server, target } = setup();
  server.validToken = 'token-0';
  session.set({ status: 'claiming', deviceId: null });
  const pending = deviceFetch(target, 'https://api.test/x');
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(server.seen).toHaveLength(0);
  session.set({ status: 'active', deviceId: DEVICE, devices: [], limit: 2 });
  expect((await pending).status).toBe(200);
  expect(server.seen[0]?.deviceId).toBe(DEVICE);
});

test('a session that never learns its deviceId fails the request with invalid-argument', async () => {
  const { session, target } = setup();
  session.set({ status: 'claiming', deviceId: null });
  await expect(deviceFetch({ ...target, claimWaitMs: 20 }, 'https://api.test/x')).rejects.toMatchObject({
    code: 'device-limit/invalid-argument',
  });
});

/** The parts of axios the interceptors touch, over the fake server. */
class FakeAxios implements AxiosLikeClient {
  private requestHandlers = new Map<number, (config: never) => unknown>();
  private errorHandlers = new Map<number, (error: never) => unknown>();
  private nextId = 0;
  readonly interceptors = {
    request: {
      use: (onFulfilled: (config: never) => unknown) => {
        this.requestHandlers.set(++this.nextId, onFulfilled);
        return this.nextId;
      },
      eject: (id: number) => void this.requestHandlers.delete(id),
    },
    response: {
      use: (_onFulfilled: unknown, onRejected: (error: never) => unknown) => {
        this.errorHandlers.set(++this.nextId, onRejected);
        return this.nextId;
      },
      eject: (id: number) => void this.errorHandlers.delete(id),
    },
  };

  constructor(private readonly server: FakeServer) {}

  async request(input: never): Promise<unknown> {
    // axios copies the config (mergeConfig) and keeps string keys; so does this.
    let config: Record<string, unknown> = {
      ...(input as Record<string, unknown>),
      headers: { ...((input as { headers?: object }).headers ?? {}) },
    };
    for (const handler of this.requestHandlers.values()) config = (await handler(config as never)) as typeof config;
    const response = await this.server.fetch(config.url as string, {
      headers: config.headers as Record<string, string>,
    });
    const data = (await response.json()) as unknown;
    if (response.status < 400) return { status: response.status, data };
    const error = { config, response: { status: response.status, data } };
    let outcome: Promise<unknown> = Promise.reject(error);
    for (const handler of this.errorHandlers.values()) outcome = outcome.catch((e: unknown) => handler(e as never));
    return outcome;
  }
}

test('axios-style interceptors: token and deviceId attached, one refresh for 100 concurrent 401s, one replay each', async () => {
  const { user, server, target } = setup();
  const client = new FakeAxios(server);
  const eject = attachDeviceInterceptors(client, target);
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => client.request({ url: `https://api.test/a/${i}` } as never)),
  );
  expect(results.map((r) => (r as { status: number }).status)).toEqual(Array(100).fill(200));
  expect(user.refreshes).toBe(1);
  expect(server.seen).toHaveLength(200);
  expect(server.seen.every((s) => s.deviceId === DEVICE)).toBe(true);
  eject();
  await client.request({ url: 'https://api.test/plain' } as never).catch(() => undefined);
  expect(server.seen.at(-1)?.authorization).toBeNull();
});

test('axios-style interceptors: a replay refused again is rejected, and a 403 evicted syncs the session', async () => {
  const { user, session, server, target } = setup();
  const client = new FakeAxios(server);
  attachDeviceInterceptors(client, target);
  server.validToken = 'never';
  await expect(client.request({ url: 'https://api.test/x' } as never)).rejects.toMatchObject({
    response: { status: 401 },
  });
  expect(user.refreshes).toBe(1);
  expect(server.seen).toHaveLength(2);

  server.validToken = 'token-1';
  server.evicted = true;
  session.onResume = () => session.set({ status: 'evicted', deviceId: DEVICE, reason: 'force-login' });
  await expect(client.request({ url: 'https://api.test/y' } as never)).rejects.toMatchObject({
    response: { status: 403 },
  });
  expect(session.state.status).toBe('evicted');
});
