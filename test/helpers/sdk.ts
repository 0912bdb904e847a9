/**
 * The real SDKs pointed at the emulator named by FIREBASE_DATABASE_EMULATOR_HOST, with the teardown
 * that lets jest exit (every app deleted). Works the same against the official emulator.
 */
import { randomBytes } from 'node:crypto';
import { deleteApp, initializeApp } from 'firebase/app';
import type { FirebaseApp } from 'firebase/app';
import { connectDatabaseEmulator, getDatabase, onValue } from 'firebase/database';
import type { Database, DatabaseReference, Query, DataSnapshot } from 'firebase/database';
import { deleteApp as deleteAdminApp, initializeApp as initializeAdminApp } from 'firebase-admin/app';
import type { App as AdminApp, AppOptions as AdminAppOptions } from 'firebase-admin/app';
import { getDatabase as getAdminDatabase } from 'firebase-admin/database';
import type { Database as AdminDatabase } from 'firebase-admin/database';
import { emulatorAddress, restUrl } from './emulator';

export interface WebClientOptions {
  /** an object becomes connectDatabaseEmulator's unsigned mock ID token; a string is sent verbatim */
  readonly mockUserToken?: { sub: string; [claim: string]: unknown } | string;
  /** connect through another host:port (e.g. a TCP proxy) instead of the emulator itself */
  readonly port?: number;
}

const webApps = new Set<FirebaseApp>();
const adminApps = new Set<AdminApp>();

function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A web modular SDK app on namespace `ns`, connected with connectDatabaseEmulator. */
export function webDatabase(ns: string, options: WebClientOptions = {}): Database {
  const { host, port } = emulatorAddress();
  const app = initializeApp(
    { projectId: 'demo-conformance', databaseURL: `http://${host}:${port}?ns=${ns}` },
    uniqueName('web'),
  );
  webApps.add(app);
  const db = getDatabase(app);
  const emulatorOptions = options.mockUserToken === undefined ? {} : { mockUserToken: options.mockUserToken };
  connectDatabaseEmulator(
    db,
    host,
    options.port ?? port,
    emulatorOptions as Parameters<typeof connectDatabaseEmulator>[3],
  );
  return db;
}

/**
 * A firebase-admin app on namespace `ns`. It finds the emulator through FIREBASE_DATABASE_EMULATOR_HOST
 * (as in production use); `authOverride` is `databaseAuthVariableOverride` (an object, or null).
 */
export function adminDatabase(ns: string, authOverride?: Record<string, unknown> | null): AdminDatabase {
  const options: AdminAppOptions = {
    projectId: 'demo-conformance',
    databaseURL: `https://${ns}.firebaseio.com`,
    credential: { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) },
  };
  if (authOverride !== undefined) options.databaseAuthVariableOverride = authOverride;
  const app = initializeAdminApp(options, uniqueName('admin'));
  adminApps.add(app);
  return getAdminDatabase(app);
}

/** Deletes every app created here, so no socket keeps jest alive. */
export async function deleteAllApps(): Promise<void> {
  const web = [...webApps];
  const admins = [...adminApps];
  webApps.clear();
  adminApps.clear();
  await Promise.all([...web.map((app) => deleteApp(app)), ...admins.map((app) => deleteAdminApp(app))]);
}

/** Resolves with the first snapshot for which `predicate` holds. */
export function waitForValue(
  query: Query | DatabaseReference,
  predicate: (snapshot: DataSnapshot) => boolean,
  timeoutMs = 5000,
): Promise<DataSnapshot> {
  return new Promise((resolve, reject) => {
    let unsubscribe: () => void = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching value within ${timeoutMs} ms`));
    }, timeoutMs);
    unsubscribe = onValue(
      query,
      (snapshot) => {
        if (!predicate(snapshot)) return;
        clearTimeout(timer);
        setImmediate(() => unsubscribe());
        resolve(snapshot);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Polls `condition` until it holds (for side effects observed over REST or a second client). */
export async function eventually<T>(
  read: () => Promise<T> | T,
  condition: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (condition(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RestReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** the body parsed as JSON, or undefined when it is not JSON */
  readonly json: unknown;
}

/** One REST call to `/<path>.json?ns=…` (owner credentials unless `auth` says otherwise). */
export async function rest(
  method: string,
  path: string,
  ns: string,
  options: {
    body?: unknown;
    rawBody?: string;
    params?: Record<string, string>;
    headers?: Record<string, string>;
    auth?: string | null;
  } = {},
): Promise<RestReply> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const auth = options.auth === undefined ? 'owner' : options.auth;
  if (auth !== null) headers['Authorization'] = `Bearer ${auth}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(restUrl(path, ns, options.params), {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Installs rules for one namespace, as firebase-tools and rules-unit-testing do. */
export async function putRules(ns: string, rules: object | string): Promise<void> {
  const { hostAndPort } = emulatorAddress();
  const response = await fetch(`http://${hostAndPort}/.settings/rules.json?ns=${ns}`, {
    method: 'PUT',
    headers: { Authorization: 'Bearer owner' },
    body: typeof rules === 'string' ? rules : JSON.stringify(rules),
  });
  if (!response.ok) throw new Error(`PUT rules failed: ${response.status} ${await response.text()}`);
}
