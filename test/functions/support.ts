/**
 * Driving the REAL exported functions (functions/src/index.ts) against the emulator named by
 * FIREBASE_DATABASE_EMULATOR_HOST, each test file on its own namespace:
 * - the default firebase-admin app, which the functions use, points at `http://HOST:PORT/?ns=<ns>` —
 *   the same URL firebase-functions computes for an event whose `instance` is `<ns>`, so triggers and
 *   callables share one connection;
 * - triggers run through the exported function's own entry point with the raw CloudEvent the
 *   database sends (../shared/reference/firebase-local-stack.md): firebase-functions decodes it
 *   (params from `ref`, `before` = `data.data`, `after` = applyChange(data.data, data.delta));
 * - callables run through `.run(request)` with an `auth` shaped like a verified ID token.
 */
import { randomUUID } from 'node:crypto';
import { deleteApp, getApps, initializeApp } from 'firebase-admin/app';
import { getDatabase, type Database } from 'firebase-admin/database';
import type { CallableRequest } from 'firebase-functions/v2/https';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import * as functions from '../../functions/src/index';

export { functions };

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

/** The raw CloudEvent the database sends for a write at `/presence/{uid}`. */
export function presenceWrittenEvent(ns: string, uid: string, before: unknown, after: unknown): unknown {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `//firebasedatabase.googleapis.com/projects/_/locations/us-central1/instances/${ns}`,
    type: 'google.firebase.database.ref.v1.written',
    time: new Date().toISOString(),
    instance: ns,
    ref: `/presence/${uid}`,
    firebasedatabasehost: emulatorAddress().hostAndPort,
    location: 'us-central1',
    data: { data: before ?? null, delta: changeDelta(before ?? null, after ?? null) },
  };
}

/** Runs the exported `reconcilePresence` trigger exactly as the platform would, for one write. */
export async function deliverPresenceWrite(
  ctx: FunctionsTestContext,
  uid: string,
  before: unknown,
  after: unknown,
): Promise<void> {
  const entry = functions.reconcilePresence as unknown as (raw: unknown) => Promise<unknown>;
  await entry(presenceWrittenEvent(ctx.ns, uid, before, after));
}

export async function readPresence(ctx: FunctionsTestContext, uid: string): Promise<Record<string, unknown> | null> {
  return (await ctx.db.ref(`presence/${uid}`).get()).val() as Record<string, unknown> | null;
}

/**
 * Writes `value` at `presence/{uid}/{path}` as admin (or `update`s the presence node with `updates`)
 * and delivers the resulting write to the trigger; returns the value after the write.
 */
export async function writeAndTrigger(
  ctx: FunctionsTestContext,
  uid: string,
  write: (ref: ReturnType<Database['ref']>) => Promise<unknown>,
): Promise<{ before: unknown; after: unknown }> {
  const before = await readPresence(ctx, uid);
  await write(ctx.db.ref(`presence/${uid}`));
  const after = await readPresence(ctx, uid);
  await deliverPresenceWrite(ctx, uid, before, after);
  return { before, after };
}

/**
 * Keeps delivering the trigger for every write the functions themselves made, as the platform does,
 * until a run leaves the presence unchanged. Returns how many extra runs that took; a reconcile
 * that converges needs at most one (the run that sees its own write and aborts).
 */
export async function settle(
  ctx: FunctionsTestContext,
  uid: string,
  lastSeenValue: unknown,
  maxRuns = 5,
): Promise<number> {
  let last = lastSeenValue;
  for (let run = 0; run < maxRuns; run++) {
    const now = await readPresence(ctx, uid);
    if (JSON.stringify(now) === JSON.stringify(last)) return run;
    await deliverPresenceWrite(ctx, uid, last, now);
    last = now;
  }
  throw new Error(`presence/${uid} did not settle within ${maxRuns} trigger runs`);
}

/** The invariants of docs/protocol.md §1 for one user. */
export async function expectInvariants(ctx: FunctionsTestContext, uid: string, limit: number): Promise<void> {
  const presence = await readPresence(ctx, uid);
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

/** The audit trail of a user, oldest first. */
export async function auditTrail(
  ctx: FunctionsTestContext,
  uid: string,
): Promise<Array<{ type: string; deviceId: string; reason?: string; at: number }>> {
  const value = (await ctx.db.ref(`presenceEvents/${uid}`).orderByKey().get()).val() as Record<
    string,
    { type: string; deviceId: string; reason?: string; at: number }
  > | null;
  return Object.keys(value ?? {})
    .sort()
    .map((key) => (value as Record<string, { type: string; deviceId: string; reason?: string; at: number }>)[key]!);
}

export async function presenceIndex(ctx: FunctionsTestContext, uid: string): Promise<unknown> {
  return (await ctx.db.ref(`presenceIndex/${uid}`).get()).val();
}
