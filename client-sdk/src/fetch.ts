/**
 * Calling the app's own backend from a device that holds a slot: `deviceFetch` (a `fetch` that
 * signs each request) and `attachDeviceInterceptors` (the same for axios-style clients). Each request
 * carries the user's Firebase ID token (`Authorization: Bearer`) and this install's deviceId
 * (`X-Device-Id`), which the server's device gate (`deviceGate`/`withDeviceGate` in
 * `@device-limit/functions`) checks against the user's slots.
 *
 * - **401** (the token was refused, e.g. expired by the server's clock): the token is refreshed
 *   **once** for all the requests in flight (single flight: one `getIdToken(true)`), requests that
 *   start meanwhile wait for it, and each refused request is replayed once with the new token.
 * - **403 `device-limit/evicted`**: the session is brought to `evicted`. The session's own listener on
 *   `/presence/{uid}` is pushed the same write the gate refused on, so it normally is `evicted` already
 *   or within a round trip. The client calls `resume()` (which renews an overdue lease: an app just
 *   back from the background, whose timers were suspended, learns of the eviction from the refused
 *   renewal) and waits for the session, bounded, so that when the call returns `session.state` tells
 *   the app why. No new session method is needed for this (see the client README).
 *
 * Uses the platform's global `fetch` (browsers, React Native, Node 18+) and no Node module.
 */
import { DeviceLimitError } from './errors';
import type { DeviceSession, DeviceSessionState } from './session-api';
import { systemTimers, type Timers } from './timers';

/** What the client needs of a signed-in user: a Firebase Auth `User` fits. */
export interface IdTokenSource {
  getIdToken(forceRefresh?: boolean): Promise<string>;
}

/** The subset of a fetch `Response` used here (the package compiles without the DOM lib). */
export interface ResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  clone(): ResponseLike;
  json(): Promise<unknown>;
}

interface RequestLike {
  readonly url: string;
  readonly headers: unknown;
  clone(): RequestLike;
}

/** `fetch` as this package sees it when it compiles without the DOM lib. */
type FallbackFetch = (
  input: string | RequestLike,
  init?: { headers?: unknown; body?: unknown },
) => Promise<ResponseLike>;

/** The platform's `fetch` type in an app that has DOM or Node types, else {@link FallbackFetch}. */
type GlobalFetch = typeof globalThis extends { fetch: infer F } ? F : FallbackFetch;

/** The platform's `Response` type where the app has one (DOM or Node types), else {@link ResponseLike}. */
export type FetchResponse = typeof globalThis extends { Response: { prototype: infer R } } ? R : ResponseLike;
/** The platform's `RequestInfo | URL` where the app has it, else a URL string or a Request-like object. */
export type FetchInput = GlobalFetch extends (input: infer I, init?: never) => unknown ? I : never;
/** The platform's `RequestInit` where the app has it, else the fields used here. */
export type FetchInit = GlobalFetch extends (input: never, init?: infer I) => unknown ? I : never;

/** The session whose deviceId is sent and which learns of evictions; a {@link DeviceSession} fits. */
export type DeviceFetchSession = Pick<DeviceSession, 'deviceId' | 'state' | 'onStateChanged' | 'resume'>;

export interface DeviceFetchTarget {
  readonly session: DeviceFetchSession;
  /** The signed-in user (the one the session was started for). */
  readonly user: IdTokenSource;
  /** Default: the global `fetch`, looked up on each call. */
  readonly fetch?: (input: FetchInput, init?: FetchInit) => Promise<FetchResponse>;
  /** Default `X-Device-Id`, the server's default. */
  readonly deviceIdHeader?: string;
  /** While the session is still `claiming`, requests wait this long for it to settle; default 10 s. */
  readonly claimWaitMs?: number;
  /** After a 403 `device-limit/evicted`, wait this long for the session to report it; default 2 s. */
  readonly evictionSyncMs?: number;
  /** For tests. */
  readonly timers?: Timers;
}

export const DEVICE_ID_HEADER = 'X-Device-Id';
const DEFAULT_CLAIM_WAIT_MS = 10_000; /* 10 s */
const DEFAULT_EVICTION_SYNC_MS = 2_000; /* 2 s */

interface TokenLease {
  readonly token: string;
  /** How many refreshes had completed when the token was obtained. */
  readonly generation: number;
}

/**
 * One per user, shared by every request of that user: the single-flight refresh. A request refused
 * with a token of generation g causes a refresh only if none has completed since g and none is in
 * flight; otherwise it takes the newer token. Requests that start while a refresh is in flight wait
 * for it before they are sent (the queue), so they never go out with the token being replaced.
 */
class TokenRefresher {
  private generation = 0;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly user: IdTokenSource) {}

  async current(): Promise<TokenLease> {
    while (this.refreshing) await this.refreshing;
    const generation = this.generation;
    try {
      return { token: await this.user.getIdToken(), generation };
    } catch (cause) {
      throw new DeviceLimitError('device-limit/unauthenticated', 'Could not get the ID token.', { cause });
    }
  }

  /** Makes sure the token was refreshed after `generation` (at most one refresh at a time). */
  async refreshAfter(generation: number): Promise<void> {
    if (this.generation === generation && this.refreshing === null) {
      this.refreshing = this.user.getIdToken(true).then(
        () => {
          this.generation++;
          this.refreshing = null;
        },
        (cause: unknown) => {
          this.refreshing = null;
          throw new DeviceLimitError('device-limit/unauthenticated', 'Could not refresh the ID token.', { cause });
        },
      );
    }
    if (this.refreshing) await this.refreshing;
  }
}

const refreshers = new WeakMap<IdTokenSource, TokenRefresher>();

function refresherFor(user: IdTokenSource): TokenRefresher {
  let refresher = refreshers.get(user);
  if (!refresher) {
    refresher = new TokenRefresher(user);
    refreshers.set(user, refresher);
  }
  return refresher;
}

/**
 * `fetch(input, init)` with the ID token and the deviceId attached, one token refresh and replay on
 * a 401, and the session brought to `evicted` on a 403 `device-limit/evicted`. Resolves with the
 * response, whatever its status (as `fetch` does); rejects when the token cannot be obtained at all.
 * A body that is a stream cannot be sent twice, so such a request is not replayed.
 */
export async function deviceFetch(
  target: DeviceFetchTarget,
  input: FetchInput,
  init?: FetchInit,
): Promise<FetchResponse> {
  const send = target.fetch ?? ((i: FetchInput, n?: FetchInit) => globalFetch()(i, n));
  const header = target.deviceIdHeader ?? DEVICE_ID_HEADER;
  const deviceId = await sessionDeviceId(target);
  const refresher = refresherFor(target.user);
  const attempt = (lease: TokenLease) =>
    send(
      (isRequestLike(input) ? input.clone() : input) as FetchInput,
      withHeaders(input, init, { Authorization: `Bearer ${lease.token}`, [header]: deviceId }),
    ) as Promise<FetchResponse>;

  let lease = await refresher.current();
  let response = await attempt(lease);
  if (statusOf(response) === 401 && isReplayable(init)) {
    await refresher.refreshAfter(lease.generation);
    lease = await refresher.current();
    response = await attempt(lease);
  }
  if (statusOf(response) === 403 && (await refusalCode(response as ResponseLike)) === 'device-limit/evicted') {
    await syncEviction(target);
  }
  return response;
}

/** The parts of an axios-style client the interceptors use (axios 0.x and 1.x fit). */
export interface AxiosLikeClient {
  readonly interceptors: {
    readonly request: {
      use(onFulfilled: (config: never) => unknown): number;
      eject(id: number): void;
    };
    readonly response: {
      use(onFulfilled: ((response: never) => unknown) | undefined, onRejected: (error: never) => unknown): number;
      eject(id: number): void;
    };
  };
  request(config: never): Promise<unknown>;
}

interface AxiosLikeConfig {
  headers?: unknown;
  [key: string]: unknown;
}

interface AxiosLikeError {
  readonly config?: AxiosLikeConfig;
  readonly response?: { readonly status?: number; readonly data?: unknown };
}

/**
 * String keys, not symbols: axios merges a replayed config with `Object.keys` (lib/core/mergeConfig.js),
 * which keeps string keys only.
 */
const GENERATION_KEY = '__deviceLimitTokenGeneration';
const REPLAYED_KEY = '__deviceLimitReplayed';

/**
 * Adds request and response interceptors to an axios-style `client` that do what {@link deviceFetch}
 * does: attach the token and the deviceId, refresh once and replay once on a 401, sync the session on
 * a 403 `device-limit/evicted`. Returns the function that removes them.
 */
export function attachDeviceInterceptors(client: AxiosLikeClient, target: DeviceFetchTarget): () => void {
  const header = target.deviceIdHeader ?? DEVICE_ID_HEADER;
  const refresher = refresherFor(target.user);
  const requestId = client.interceptors.request.use((async (config: AxiosLikeConfig) => {
    const deviceId = await sessionDeviceId(target);
    const lease = await refresher.current();
    setConfigHeader(config, 'Authorization', `Bearer ${lease.token}`);
    setConfigHeader(config, header, deviceId);
    config[GENERATION_KEY] = lease.generation;
    return config;
  }) as (config: never) => unknown);
  const responseId = client.interceptors.response.use(undefined, (async (error: AxiosLikeError) => {
    const config = error?.config;
    const status = error?.response?.status;
    if (status === 401 && config && config[REPLAYED_KEY] !== true && typeof config[GENERATION_KEY] === 'number') {
      await refresher.refreshAfter(config[GENERATION_KEY]);
      config[REPLAYED_KEY] = true;
      return client.request(config as never); // the request interceptor attaches the new token
    }
    if (status === 403 && codeOfBody(error.response?.data) === 'device-limit/evicted') await syncEviction(target);
    throw error;
  }) as (error: never) => unknown);
  return () => {
    client.interceptors.request.eject(requestId);
    client.interceptors.response.eject(responseId);
  };
}

function globalFetch(): (input: FetchInput, init?: FetchInit) => Promise<FetchResponse> {
  const fetchFunction = (globalThis as unknown as { fetch?: unknown }).fetch;
  if (typeof fetchFunction !== 'function') {
    throw new DeviceLimitError('device-limit/invalid-argument', 'No global fetch here: pass `fetch` in the target.');
  }
  return fetchFunction as (input: FetchInput, init?: FetchInit) => Promise<FetchResponse>;
}

function statusOf(response: unknown): number {
  return (response as ResponseLike).status;
}

function isRequestLike(input: unknown): input is RequestLike {
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as RequestLike).url === 'string' &&
    typeof (input as RequestLike).clone === 'function'
  );
}

function isReplayable(init: FetchInit | undefined): boolean {
  const body = (init as { body?: unknown } | undefined)?.body;
  return !(
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { getReader?: unknown }).getReader === 'function'
  );
}

interface HeadersConstructor {
  new (init?: unknown): { set(name: string, value: string): void };
}

/** `init` with `extra` headers set over the caller's (from `init.headers`, else the Request's own). */
function withHeaders(input: FetchInput, init: FetchInit | undefined, extra: Record<string, string>): FetchInit {
  const own =
    (init as { headers?: unknown } | undefined)?.headers ?? (isRequestLike(input) ? input.headers : undefined);
  const HeadersClass = (globalThis as unknown as { Headers?: HeadersConstructor }).Headers;
  let headers: unknown;
  if (typeof HeadersClass === 'function') {
    const merged = new HeadersClass(own);
    for (const [name, value] of Object.entries(extra)) merged.set(name, value);
    headers = merged;
  } else {
    headers = { ...((own as Record<string, string> | undefined) ?? {}), ...extra };
  }
  return { ...(init as object | undefined), headers } as FetchInit;
}

function setConfigHeader(config: AxiosLikeConfig, name: string, value: string): void {
  const headers = config.headers as { set?: (name: string, value: string) => void } | undefined;
  if (headers && typeof headers.set === 'function') headers.set(name, value);
  else config.headers = { ...((headers as Record<string, unknown> | undefined) ?? {}), [name]: value };
}

function codeOfBody(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown } } | null | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/** The `error.code` of a gate refusal (`{ "error": { "status", "code", "message" } }`), if it is one. */
async function refusalCode(response: ResponseLike): Promise<string | undefined> {
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return undefined;
  try {
    return codeOfBody(await response.clone().json());
  } catch {
    return undefined;
  }
}

/** The session's deviceId; while it is still `claiming`, waits (bounded) for it to settle first. */
async function sessionDeviceId(target: DeviceFetchTarget): Promise<string> {
  const { session } = target;
  if (session.state.status === 'claiming') {
    await waitForState(target, (state) => state.status !== 'claiming', target.claimWaitMs ?? DEFAULT_CLAIM_WAIT_MS);
  }
  const deviceId = session.deviceId;
  if (!deviceId) {
    throw new DeviceLimitError(
      'device-limit/invalid-argument',
      'The device session does not know its deviceId (yet): wait for it to be claimed.',
    );
  }
  return deviceId;
}

async function syncEviction(target: DeviceFetchTarget): Promise<void> {
  const { session } = target;
  if (session.state.status === 'evicted') return;
  session.resume();
  await waitForState(target, (state) => state.status === 'evicted', target.evictionSyncMs ?? DEFAULT_EVICTION_SYNC_MS);
}

/** Resolves true when the session reaches a state that satisfies `done`, false after `ms`. */
function waitForState(
  target: DeviceFetchTarget,
  done: (state: DeviceSessionState) => boolean,
  ms: number,
): Promise<boolean> {
  const timers = target.timers ?? systemTimers;
  return new Promise((resolve) => {
    let settled = false;
    let unsubscribe: (() => void) | null = null;
    const finish = (value: boolean) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      unsubscribe?.();
      resolve(value);
    };
    const timer = timers.setTimeout(() => finish(false), ms);
    // onStateChanged calls back at once with the current state, possibly before it returns.
    unsubscribe = target.session.onStateChanged((state) => {
      if (done(state)) finish(true);
    });
    if (settled) unsubscribe();
  });
}
