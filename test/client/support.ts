/**
 * Devices for the client-module integration tests: each device is its own `firebase` web app (its own
 * socket) signed in as the same user with connectDatabaseEmulator's mock token, connected through a
 * TCP proxy the test can cut (an abrupt network loss), freeze (an app suspended with its socket open)
 * or close (the device is gone). The database is reached only through FIREBASE_DATABASE_EMULATOR_HOST
 * (emulatorAddress), so the suite runs unchanged against the official emulator, except in the files
 * that call `useEmulator` with an emulator of their own (own-emulator.ts). The server-side operations
 * (force login, remote sign-out, sweep) are performed as the owner over REST with exactly the writes
 * docs/protocol.md §5 specifies.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { deleteApp, initializeApp, setLogLevel, type FirebaseApp } from 'firebase/app';
import { connectDatabaseEmulator, getDatabase, ref, update, type Database } from 'firebase/database';
import {
  generateDeviceId,
  startDeviceSession,
  type DeviceIdStorage,
  type DeviceSession,
  type DeviceSessionOptions,
  type DeviceSessionState,
} from '../../client-sdk/src';
import { claimUpdate } from '../../client-sdk/src/database';
import { emulatorAddress, freshNamespace, type EmulatorAddress } from '../helpers/emulator';
import { TcpProxy } from '../helpers/tcp-proxy';

// Refused writes are part of the protocol (a claim over the limit); keep the SDK's warnings quiet.
setLogLevel('error');

const RULES_FILE = path.resolve(__dirname, '../../database.rules.json');

/** An emulator this test file runs itself (own-emulator.ts), or null for the shared one. */
let ownDatabase: EmulatorAddress | null = null;

/** Points every helper of this file (and so every device) at `address`, for this test file. */
export function useEmulator(address: EmulatorAddress | null): void {
  ownDatabase = address;
}

function database(): EmulatorAddress {
  return ownDatabase ?? emulatorAddress();
}

/** Loads the real database.rules.json into namespace `ns`, as the owner (firebase-tools does the same). */
export async function loadRules(ns: string): Promise<void> {
  const { hostAndPort } = database();
  const response = await fetch(`http://${hostAndPort}/.settings/rules.json?ns=${ns}`, {
    method: 'PUT',
    headers: { Authorization: 'Bearer owner' },
    body: readFileSync(RULES_FILE, 'utf8'),
  });
  if (!response.ok) throw new Error(`loading the rules failed: ${response.status} ${await response.text()}`);
}

/**
 * The setup of a test file on the shared emulator: a fresh namespace (`prefix`-random) with the real
 * rules loaded before its tests, and every device it started disposed of after them. Returns the namespace.
 */
export function sharedEmulatorSuite(prefix: string): string {
  const ns = freshNamespace(prefix);
  beforeAll(() => loadRules(ns));
  afterAll(() => disposeAll());
  return ns;
}

/** One REST call as the owner (rules bypassed), e.g. `owner('GET', 'presence/u1', ns)`. */
export async function owner(method: 'GET' | 'PUT' | 'PATCH', at: string, ns: string, body?: unknown): Promise<unknown> {
  const { hostAndPort } = database();
  const response = await fetch(`http://${hostAndPort}/${at}.json?ns=${ns}`, {
    method,
    headers: { Authorization: 'Bearer owner' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${at}: ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}

export interface PresenceJson {
  count?: number;
  /** docs/protocol.md §4.11 */
  rejoin?: { deviceId: string; at: number };
  generation?: number;
  notBefore?: number;
  ping?: number;
  lastActive?: number;
  planLimit?: number;
  classCount?: Record<string, number>;
  devices?: Record<
    string,
    { claimedAt: number; lastSeen: number; generation: number; platform: string; label: string }
  >;
  evicted?: Record<string, { reason: string; at: number; generation: number }>;
}

export async function readPresence(ns: string, uid: string): Promise<PresenceJson> {
  return ((await owner('GET', `presence/${uid}`, ns)) ?? {}) as PresenceJson;
}

const NOW = { '.sv': 'timestamp' };

/** docs/protocol.md §5.1, the effect of the `forceLogin` callable for `deviceId`. */
export async function forceLoginAsServer(
  ns: string,
  uid: string,
  device: { deviceId: string; platform: string; label: string; authTime: number },
): Promise<void> {
  const cur = await readPresence(ns, uid);
  const generation = (cur.generation ?? 0) + 1;
  const evicted: Record<string, unknown> = { ...(cur.evicted ?? {}) };
  for (const other of Object.keys(cur.devices ?? {})) {
    if (other !== device.deviceId) evicted[other] = { reason: 'force-login', at: NOW, generation };
  }
  await owner('PUT', `presence/${uid}`, ns, {
    count: 1,
    op: device.deviceId,
    generation,
    notBefore: Math.max(cur.notBefore ?? 0, device.authTime),
    devices: {
      [device.deviceId]: {
        claimedAt: cur.devices?.[device.deviceId]?.claimedAt ?? NOW,
        lastSeen: NOW,
        generation,
        platform: device.platform,
        label: device.label,
      },
    },
    evicted,
  });
}

/** docs/protocol.md §5.2 (`signOutDevice`) and §5.3 (the sweep) remove one entry with a notice. */
export async function removeAsServer(
  ns: string,
  uid: string,
  deviceId: string,
  reason: 'signed-out' | 'swept',
): Promise<void> {
  const cur = await readPresence(ns, uid);
  if (!cur.devices?.[deviceId]) throw new Error(`${deviceId} holds no slot`);
  const remaining = Object.keys(cur.devices).filter((id) => id !== deviceId).length;
  await owner('PATCH', `presence/${uid}`, ns, {
    [`devices/${deviceId}`]: null,
    count: remaining,
    op: deviceId,
    [`evicted/${deviceId}`]: { reason, at: NOW, generation: cur.generation ?? 0 },
  });
}

/**
 * Each device's own link to the emulator: the fault-injecting proxy of test/helpers/tcp-proxy.ts
 * (cut, refuse, freeze/thaw, half-open, delay, a cut between two messages, an expired token).
 */
export type DeviceLink = TcpProxy;

/** A new link, looking the emulator up per connection: a restarted emulator of this file listens on the same port. */
export function openLink(): Promise<DeviceLink> {
  return TcpProxy.start(() => {
    const { host, port } = database();
    return { host, port };
  });
}

export interface Device {
  readonly db: Database;
  readonly app: FirebaseApp;
  readonly link: DeviceLink;
  readonly session: DeviceSession;
}

/** What one test file creates; `disposeAll()` in afterAll lets jest exit. */
const sessions = new Set<DeviceSession>();
const apps = new Set<FirebaseApp>();
const links = new Set<DeviceLink>();

/** An in-memory "disk" for one install: two devices given the same storage are the same install. */
export function installStorage(): DeviceIdStorage {
  const values = new Map<string, string>();
  return {
    getItem: async (key) => values.get(key) ?? null,
    setItem: async (key, value) => {
      values.set(key, value);
    },
  };
}

/** A firebase app signed in as `uid` (mock ID token with `auth_time`), connected through a new link. */
export async function connectDevice(
  ns: string,
  uid: string,
  authTime = 1_700_000_000,
  claims: Record<string, unknown> = {},
): Promise<{ db: Database; app: FirebaseApp; link: DeviceLink }> {
  const { host, port } = database();
  const link = await openLink();
  links.add(link);
  const app = initializeApp(
    { projectId: 'demo-client', databaseURL: `http://${host}:${port}?ns=${ns}` },
    `device-${randomBytes(4).toString('hex')}`,
  );
  apps.add(app);
  const db = getDatabase(app);
  connectDatabaseEmulator(db, '127.0.0.1', link.port, {
    mockUserToken: { sub: uid, user_id: uid, auth_time: authTime, ...claims },
  });
  return { db, app, link };
}

/** A device: its own app and socket, running a device session for `uid`. */
export async function startDevice(
  ns: string,
  uid: string,
  options: DeviceSessionOptions & { authTime?: number; claims?: Record<string, unknown> } = {},
): Promise<Device> {
  const authTime = options.authTime ?? 1_700_000_000;
  // Custom claims (e.g. the plan limit `deviceLimit`, docs/protocol.md §11.1) in both views of the
  // token: the database connection's and the one the session reads.
  const claims = options.claims ?? {};
  const { db, app, link } = await connectDevice(ns, uid, authTime, claims);
  const session = startDeviceSession(
    db,
    { uid, getIdTokenResult: async () => ({ claims: { auth_time: authTime, ...claims } }) },
    { platform: 'web', storage: installStorage(), lifecycle: 'manual', tabs: false, ...options },
  );
  sessions.add(session);
  return { db, app, link, session };
}

/** Closes `session` in disposeAll (for sessions a test starts itself). */
export function trackSession(session: DeviceSession): DeviceSession {
  sessions.add(session);
  return session;
}

/** Ends a device as a killed app: no release, socket reset, no reconnection. */
export async function killDevice(device: Device): Promise<void> {
  device.session.close();
  await device.link.close();
  await deleteApp(device.app);
  apps.delete(device.app);
}

/**
 * A ghost (docs/protocol.md §4.2): an entry written by a version 2 claim whose onDisconnect
 * registration was lost, as when the connection dies between the two. The app that wrote it is gone;
 * nothing will ever release or renew it. Returns its deviceId.
 */
export async function writeGhost(ns: string, uid: string, label = 'Ghost'): Promise<string> {
  const { db, app, link } = await connectDevice(ns, uid);
  const deviceId = generateDeviceId();
  const presence = await readPresence(ns, uid);
  await update(
    ref(db),
    claimUpdate(uid, deviceId, { generation: presence.generation ?? 0, platform: 'web', label }, null),
  );
  await link.close();
  await deleteApp(app);
  apps.delete(app);
  return deviceId;
}

export interface AuditEventJson {
  type: string;
  deviceId: string;
  at: number;
  reason?: string;
}

/** `/presenceEvents/{uid}` in push-id (time) order (docs/protocol.md §6). */
export async function readAuditEvents(ns: string, uid: string): Promise<AuditEventJson[]> {
  const events = ((await owner('GET', `presenceEvents/${uid}`, ns)) ?? {}) as Record<string, AuditEventJson>;
  return Object.keys(events)
    .sort()
    .map((key) => events[key] as AuditEventJson);
}

export async function disposeAll(): Promise<void> {
  for (const session of sessions) session.close();
  sessions.clear();
  await Promise.all([...links].map((link) => link.close()));
  links.clear();
  await Promise.all([...apps].map((app) => deleteApp(app)));
  apps.clear();
}

/** Resolves with the first state (current or later) that satisfies `predicate`. */
export function waitForState<S extends DeviceSessionState>(
  session: DeviceSession,
  predicate: (state: DeviceSessionState) => state is S,
  timeoutMs?: number,
): Promise<S>;
export function waitForState(
  session: DeviceSession,
  predicate: (state: DeviceSessionState) => boolean,
  timeoutMs?: number,
): Promise<DeviceSessionState>;
export function waitForState(
  session: DeviceSession,
  predicate: (state: DeviceSessionState) => boolean,
  timeoutMs = 5000,
): Promise<DeviceSessionState> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | null = null;
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      unsubscribe?.();
      reject(new Error(`state not reached within ${timeoutMs} ms; last: ${JSON.stringify(session.state)}`));
    }, timeoutMs);
    unsubscribe = session.onStateChanged((state) => {
      if (done || !predicate(state)) return;
      done = true;
      clearTimeout(timer);
      setImmediate(() => unsubscribe?.());
      resolve(state);
    });
    if (done) unsubscribe();
  });
}

export const isStatus =
  <T extends DeviceSessionState['status']>(status: T) =>
  (state: DeviceSessionState): state is Extract<DeviceSessionState, { status: T }> =>
    state.status === status;

/** Polls the owner's view until `condition` holds. */
export async function eventuallyPresence(
  ns: string,
  uid: string,
  condition: (presence: PresenceJson) => boolean,
  timeoutMs = 5000,
): Promise<PresenceJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const presence = await readPresence(ns, uid);
    if (condition(presence)) return presence;
    if (Date.now() > deadline)
      throw new Error(`presence condition not met within ${timeoutMs} ms: ${JSON.stringify(presence)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls `condition` (every 25 ms) until it holds. */
export async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const entries = (presence: PresenceJson): string[] => Object.keys(presence.devices ?? {}).sort();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function uniqueUid(): string {
  return `user-${randomBytes(4).toString('hex')}`;
}
