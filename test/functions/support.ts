/**
 * Driving the REAL exported functions (functions/src/index.ts) against the emulator named by
 * FIREBASE_DATABASE_EMULATOR_HOST, each test file on its own namespace:
 * - the default firebase-admin app, which the functions use, points at `http://HOST:PORT/?ns=<ns>` —
 *   the same URL firebase-functions computes for an event whose `instance` is `<ns>`, so triggers and
 *   callables share one connection;
 * - triggers run through the exported function's own entry point with the raw CloudEvent the
 *   database sends (docs/local-stack.md, "How database triggers reach the functions"):
 *   firebase-functions decodes it (params from `ref`, `before` = `data.data`,
 *   `after` = applyChange(data.data, data.delta));
 * - callables run through `.run(request)` with an `auth` shaped like a verified ID token;
 * - client devices write through `database.rules.json` with the real `firebase` SDK
 *   (`@firebase/rules-unit-testing`, one app and one socket per context), exactly as
 *   docs/protocol.md §4 specifies.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { initializeTestEnvironment, type RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { deleteApp, getApp, getApps, initializeApp } from 'firebase-admin/app';
import { getDatabase, getDatabaseWithUrl, type Database } from 'firebase-admin/database';
import type { CallableRequest } from 'firebase-functions/v2/https';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { RULES_FILE, serverTimestamp, type Database as ClientDatabase } from '../helpers/presence';
import * as functions from '../../functions/src/index';

export { functions };
export type { ClientDatabase };

export interface FunctionsTestContext {
  readonly ns: string;
  readonly db: Database;
}

/** Initializes the default admin app on a fresh namespace (call once per test file, in beforeAll). */
export function startFunctionsContext(prefix = 'demo-functions'): FunctionsTestContext {
  const ns = freshNamespace(prefix);
  const { hostAndPort } = emulatorAddress();
  const databaseURL = `http://${hostAndPort}/?ns=${ns}`;
  // What Cloud Functions (and the Functions emulator) set for every function.
  process.env.FIREBASE_CONFIG = JSON.stringify({ projectId: ns, databaseURL });
  process.env.GCLOUD_PROJECT = ns;
  const app = initializeApp({
    projectId: ns,
    databaseURL,
    // Never used against the emulator (it takes the "owner" token), but keeps firebase-admin from
    // looking for application default credentials.
    credential: { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) },
  });
  return { ns, db: getDatabase(app) };
}

export async function stopFunctionsContext(): Promise<void> {
  await Promise.all(getApps().map((app) => deleteApp(app)));
}

/**
 * `database.rules.json` loaded into namespace `ns` (so `/presence` has its `.indexOn` and client
 * writes are checked), with signed-in client devices on their own sockets.
 */
export async function startClients(ns: string): Promise<RulesTestEnvironment> {
  const { host, port } = emulatorAddress();
  return initializeTestEnvironment({
    projectId: ns,
    database: { host, port, rules: readFileSync(RULES_FILE, 'utf8') },
  });
}

/** The default admin app on a fresh namespace and client devices writing through the rules on it (beforeAll). */
export async function startFunctionsAndClients(
  prefix: string,
): Promise<{ ctx: FunctionsTestContext; env: RulesTestEnvironment }> {
  const ctx = startFunctionsContext(prefix);
  const env = await startClients(ctx.ns);
  return { ctx, env };
}

/** Undoes startFunctionsAndClients (afterAll). */
export async function stopFunctionsAndClients(env: RulesTestEnvironment): Promise<void> {
  await env.cleanup();
  await stopFunctionsContext();
}

/** An exported callable, run with a request as callableRequest builds it. */
export type Callable<R = unknown> = { run(request: CallableRequest<unknown>): Promise<R> };

/** A caller with the admin claim. */
export const ADMIN = { uid: 'the-admin', claims: { admin: true } };

/**
 * A second namespace of the same emulator, reached through the default admin app's credentials: a
 * database of its own for a test that counts what a sweep visits (no other test's users in it).
 */
export async function isolatedNamespace(
  prefix: string,
): Promise<{ ns: string; db: Database; env: RulesTestEnvironment }> {
  const ns = freshNamespace(prefix);
  const env = await startClients(ns);
  const db = getDatabaseWithUrl(`http://${emulatorAddress().hostAndPort}/?ns=${ns}`, getApp());
  return { ns, db, env };
}

/** Either a context's database or a database itself (the sweep tests use namespaces of their own). */
function dbOf(target: Database | FunctionsTestContext): Database {
  return 'ref' in target ? target : target.db;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The `delta` of a written event: what `applyChange(before, delta)` turns into `after`
 * (firebase-functions lib/common/utilities/utils.js: objects merge key by key, null deletes).
 */
export function changeDelta(before: unknown, after: unknown): unknown {
  if (!isObject(before) || !isObject(after)) return after ?? null;
  const delta: Record<string, unknown> = {};
  for (const key of Object.keys(before)) if (!(key in after)) delta[key] = null;
  for (const [key, value] of Object.entries(after)) delta[key] = changeDelta(before[key], value);
  return delta;
}

/** The raw CloudEvent the database sends for a write at `ref` (e.g. `/limits/u1`). */
export function databaseWrittenEvent(
  ns: string,
  ref: string,
  before: unknown,
  after: unknown,
  time = new Date(),
): unknown {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `//firebasedatabase.googleapis.com/projects/_/locations/us-central1/instances/${ns}`,
    type: 'google.firebase.database.ref.v1.written',
    time: time.toISOString(),
    instance: ns,
    ref,
    firebasedatabasehost: emulatorAddress().hostAndPort,
    location: 'us-central1',
    authtype: 'admin',
    data: { data: before ?? null, delta: changeDelta(before ?? null, after ?? null) },
  };
}

/** Runs the exported `enforceDeviceLimit` trigger exactly as the platform would, for one write. */
export async function deliverLimitWrite(
  ctx: FunctionsTestContext,
  uid: string,
  before: unknown,
  after: unknown,
  time?: Date,
): Promise<void> {
  const entry = functions.enforceDeviceLimit as unknown as (raw: unknown) => Promise<unknown>;
  await entry(databaseWrittenEvent(ctx.ns, `/limits/${uid}`, before, after, time));
}

/** Writes `/limits/{uid}` as an admin would (console, Admin SDK); returns the event's before/after. */
export async function writeLimit(
  ctx: FunctionsTestContext,
  uid: string,
  limit: number | null,
): Promise<{ before: unknown; after: unknown }> {
  const ref = ctx.db.ref(`limits/${uid}`);
  const before = (await ref.get()).val() as unknown;
  await ref.set(limit);
  return { before, after: limit };
}

export async function readPresence(
  db: Database | FunctionsTestContext,
  uid: string,
): Promise<Record<string, unknown> | null> {
  const database = dbOf(db);
  return (await database.ref(`presence/${uid}`).get()).val() as Record<string, unknown> | null;
}

/** Sets `/presence/{uid}` as an admin writing by hand (bypassing the rules). */
export async function seedPresence(db: Database | FunctionsTestContext, uid: string, value: unknown): Promise<void> {
  const database = dbOf(db);
  await database.ref(`presence/${uid}`).set(value);
}

/** The invariants of docs/protocol.md §1 for one user. */
export async function expectInvariants(db: Database | FunctionsTestContext, uid: string, limit: number): Promise<void> {
  const presence = await readPresence(db, uid);
  const devices = isObject(presence?.devices) ? Object.keys(presence.devices) : [];
  const count = presence?.count ?? 0;
  expect({ count, entries: devices.length }).toEqual({ count: devices.length, entries: devices.length });
  expect(devices.length).toBeLessThanOrEqual(limit);
  const generation = typeof presence?.generation === 'number' ? presence.generation : 0;
  for (const id of devices) {
    expect((presence?.devices as Record<string, { generation: number }>)[id]?.generation).toBe(generation);
  }
}

/** A device entry as a claim writes it (docs/protocol.md §4.2), with explicit times. */
export function deviceEntry(claimedAt: number, lastSeen = claimedAt, generation = 0) {
  return { claimedAt, lastSeen, generation, platform: 'web', label: 'Chrome on Mac' };
}

/** docs/protocol.md §4.2, the claim, relative to `/presence/{uid}` (version 2: with `lastActive`). */
export function claimUpdate(deviceId: string, generation = 0): Record<string, unknown> {
  return {
    count: { '.sv': { increment: 1 } },
    op: deviceId,
    [`devices/${deviceId}`]: {
      claimedAt: serverTimestamp(),
      lastSeen: serverTimestamp(),
      generation,
      platform: 'web',
      label: 'Chrome on Linux',
    },
    lastActive: serverTimestamp(),
    [`evicted/${deviceId}`]: null,
  };
}

/** docs/protocol.md §4.6, the release, relative to `/presence/{uid}`. */
export function releaseUpdate(deviceId: string): Record<string, unknown> {
  return { count: { '.sv': { increment: -1 } }, op: deviceId, [`devices/${deviceId}`]: null };
}

/**
 * A signed-in device of `uid`, already connected (its first read has completed), so that a claim it
 * sends later costs one round trip, as on a running app.
 */
export async function connectedDevice(env: RulesTestEnvironment, uid: string): Promise<ClientDatabase> {
  const db = env.authenticatedContext(uid).database();
  await db.ref(`presence/${uid}`).get();
  return db;
}

/** The claim of docs/protocol.md §4.2 through the rules; resolves to whether it was accepted. */
export async function claimFrom(db: ClientDatabase, uid: string, deviceId: string): Promise<boolean> {
  try {
    await db.ref(`presence/${uid}`).update(claimUpdate(deviceId));
    return true;
  } catch (error) {
    if (/permission[_ ]denied/i.test(String(error))) return false;
    throw error;
  }
}

/** A new signed-in device of `uid` claims a slot through the rules. */
export async function clientClaim(env: RulesTestEnvironment, uid: string, deviceId: string): Promise<boolean> {
  return claimFrom(env.authenticatedContext(uid).database(), uid, deviceId);
}

/** A callable request as firebase-functions builds it after verifying the caller's ID token. */
export function callableRequest<T>(
  data: T,
  auth?: { uid: string; authTime?: number; claims?: Record<string, unknown> },
): CallableRequest<T> {
  const request: Record<string, unknown> = {
    data,
    rawRequest: { headers: {}, body: { data } },
    acceptsStreaming: false,
  };
  if (auth) {
    const now = Math.floor(Date.now() / 1000);
    const authTime = auth.authTime ?? now - 60;
    const token = {
      aud: 'demo-functions',
      iss: 'https://securetoken.google.com/demo-functions',
      sub: auth.uid,
      uid: auth.uid,
      user_id: auth.uid,
      auth_time: authTime,
      iat: now,
      exp: now + 3600,
      firebase: { identities: {}, sign_in_provider: 'password' },
      ...auth.claims,
    };
    request.auth = { uid: auth.uid, token, rawToken: 'unsigned' };
  }
  return request as unknown as CallableRequest<T>;
}

export interface AuditRecord {
  type: string;
  deviceId: string;
  reason?: string;
  at: number;
}

/** The audit trail of a user, oldest first. */
export async function auditTrail(db: Database | FunctionsTestContext, uid: string): Promise<AuditRecord[]> {
  const database = dbOf(db);
  const value = (await database.ref(`presenceEvents/${uid}`).orderByKey().get()).val() as Record<
    string,
    AuditRecord
  > | null;
  return Object.keys(value ?? {})
    .sort()
    .map((key) => (value as Record<string, AuditRecord>)[key] as AuditRecord);
}
