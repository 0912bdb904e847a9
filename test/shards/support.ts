/**
 * A project whose users are spread over three Realtime Database instances (docs/protocol.md §10), on
 * the emulator named by FIREBASE_DATABASE_EMULATOR_HOST: the namespaces `<project>-default-rtdb`,
 * `<project>-presence-1` and `<project>-presence-2`, each with `database.rules.json` loaded.
 *
 * - The REAL exported functions run against it as in production: the default firebase-admin app on
 *   the default instance, `PRESENCE_INSTANCES` naming all three (what Cloud Functions reads from the
 *   deployed .env), callables through `.run(request)`, triggers through their entry point with the raw
 *   CloudEvent the instance sends (test/functions/support.ts).
 * - Devices are real `firebase` web apps, one socket each, whose sessions are started with the shard
 *   configuration itself (`{ app, instances, emulator }`), so the client picks the instance.
 * - A recorder listens, as the owner, to `/presence`, `/limits` and `/presenceEvents` of every
 *   instance for the whole file and notes every user that ever appears on each: "a user's data is only
 *   ever on their instance" is checked against everything that was written, not only the end state.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deleteApp as deleteClientApp, initializeApp as initializeClientApp, type FirebaseApp } from 'firebase/app';
import { deleteApp, getApps, initializeApp } from 'firebase-admin/app';
import { getDatabase, getDatabaseWithUrl, type Database, type DataSnapshot } from 'firebase-admin/database';
import type { Database as ClientDatabase } from 'firebase/database';
import { shardFor } from '@device-limit/contract';
import {
  presenceDatabaseFor,
  startDeviceSession,
  type DatabaseShardList,
  type DeviceSession,
  type DeviceSessionOptions,
} from '../../client-sdk/src';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { RULES_FILE } from '../helpers/presence';

export const ROOTS = ['presence', 'limits', 'presenceEvents'] as const;

export interface ShardedProject {
  readonly project: string;
  /** `[<project>-default-rtdb, <project>-presence-1, <project>-presence-2]` */
  readonly instances: readonly string[];
  /** The owner's view of each instance (the same Databases the functions use). */
  readonly admin: ReadonlyMap<string, Database>;
  /** instance → the uids that ever appeared under one of ROOTS there, while the file ran. */
  readonly seen: ReadonlyMap<string, ReadonlySet<string>>;
}

const previousEnv: Record<string, string | undefined> = {};
const unsubscribes: Array<() => void> = [];

function setEnv(name: string, value: string): void {
  if (!(name in previousEnv)) previousEnv[name] = process.env[name];
  process.env[name] = value;
}

/** Loads the real rules into one namespace, as the owner (as firebase-tools does for every instance). */
async function loadRules(instance: string): Promise<void> {
  const response = await fetch(`http://${emulatorAddress().hostAndPort}/.settings/rules.json?ns=${instance}`, {
    method: 'PUT',
    headers: { Authorization: 'Bearer owner' },
    body: readFileSync(RULES_FILE, 'utf8'),
  });
  if (!response.ok) throw new Error(`rules for ${instance}: ${response.status} ${await response.text()}`);
}

/** Call once per test file (beforeAll): three fresh instances, the functions configured for them. */
export async function startShardedProject(): Promise<ShardedProject> {
  const project = freshNamespace('demo-shards');
  const instances = [`${project}-default-rtdb`, `${project}-presence-1`, `${project}-presence-2`];
  const { hostAndPort } = emulatorAddress();
  const url = (instance: string) => `http://${hostAndPort}/?ns=${instance}`;
  const defaultUrl = url(instances[0] as string);
  // What Cloud Functions sets for every function, and the parameter from the deployed .env.
  setEnv('FIREBASE_CONFIG', JSON.stringify({ projectId: project, databaseURL: defaultUrl }));
  setEnv('GCLOUD_PROJECT', project);
  setEnv('PRESENCE_INSTANCES', instances.join(','));
  const app = initializeApp({
    projectId: project,
    databaseURL: defaultUrl,
    credential: { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) },
  });
  await Promise.all(instances.map(loadRules));
  const admin = new Map<string, Database>();
  const seen = new Map<string, Set<string>>();
  for (const instance of instances) {
    // The default instance is the app's default Database; the others at the URL firebase-functions
    // gives their events (functions/src/database/instances.ts), so these are the functions' Databases.
    const db = instance === instances[0] ? getDatabase(app) : getDatabaseWithUrl(url(instance), app);
    admin.set(instance, db);
    const uids = new Set<string>();
    seen.set(instance, uids);
    for (const root of ROOTS) {
      const ref = db.ref(root);
      const record = (snapshot: DataSnapshot) => void uids.add(snapshot.key as string);
      ref.on('child_added', record);
      ref.on('child_changed', record);
      unsubscribes.push(() => ref.off());
    }
  }
  return { project, instances, admin, seen };
}

/**
 * The functions' shard map, as the deployed parameters would give it (`PRESENCE_INSTANCES`,
 * `PRESENCE_INSTANCES_EPOCH`, `PRESENCE_INSTANCES_PREVIOUS`, docs/protocol.md §10.5 step 3). The
 * functions read the parameters at each call, so this takes effect at once; stopShardedProject
 * restores them.
 */
export function setFunctionsShardMap(map: {
  instances: readonly string[];
  epoch?: number;
  previous?: readonly string[];
}): void {
  setEnv('PRESENCE_INSTANCES', map.instances.join(','));
  setEnv('PRESENCE_INSTANCES_EPOCH', map.epoch === undefined ? '' : String(map.epoch));
  setEnv('PRESENCE_INSTANCES_PREVIOUS', (map.previous ?? []).join(','));
}

export async function stopShardedProject(): Promise<void> {
  for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
  for (const session of sessions) session.close();
  sessions.clear();
  await Promise.all([...clientApps].map((app) => deleteClientApp(app)));
  clientApps.clear();
  await Promise.all(getApps().map((app) => deleteApp(app)));
  for (const [name, value] of Object.entries(previousEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** A uid that the shard map of docs/protocol.md §10.1 puts on `instance` (the first of `<prefix>-0`, `<prefix>-1`, …). */
export function uidOn(project: ShardedProject, instance: string, prefix: string): string {
  for (let i = 0; i < 1000; i++) {
    const uid = `${prefix}-${randomBytes(3).toString('hex')}-${i}`;
    if (shardFor(uid, project.instances) === instance) return uid;
  }
  throw new Error(`no uid for ${instance} in 1000 tries`);
}

/**
 * The owner's read of `/<root>/{uid}` on every instance: instance → value (null when absent). Over
 * REST, not through `project.admin`: the recorder's listeners would answer a `get()` from the Admin
 * SDK's cache, which may not have received a write another client just had acknowledged.
 */
export async function readEverywhere(
  project: ShardedProject,
  root: (typeof ROOTS)[number],
  uid: string,
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const instance of project.instances) {
    const url = `http://${emulatorAddress().hostAndPort}/${root}/${encodeURIComponent(uid)}.json?ns=${instance}`;
    const response = await fetch(url, { headers: { Authorization: 'Bearer owner' } });
    if (!response.ok) throw new Error(`GET ${root}/${uid} on ${instance}: ${response.status}`);
    values[instance] = (await response.json()) as unknown;
  }
  return values;
}

/** Every user's data on its home instance and nowhere else, now and at any time since the file began. */
export async function expectOnlyOnHome(project: ShardedProject, uids: readonly string[]): Promise<void> {
  for (const uid of uids) {
    const home = shardFor(uid, project.instances);
    for (const root of ROOTS) {
      const values = await readEverywhere(project, root, uid);
      for (const instance of project.instances) {
        if (instance !== home)
          expect({ instance, root, uid, value: values[instance] }).toEqual({ instance, root, uid, value: null });
      }
    }
  }
  for (const [instance, uids] of project.seen) {
    const strays = [...uids].filter((uid) => shardFor(uid, project.instances) !== instance);
    expect({ instance, strays }).toEqual({ instance, strays: [] });
  }
}

const sessions = new Set<DeviceSession>();
const clientApps = new Set<FirebaseApp>();

export interface ShardedDevice {
  readonly session: DeviceSession;
  readonly app: FirebaseApp;
  /** The shard configuration the session was started with. */
  readonly shards: DatabaseShardList;
  /** The Database the configuration resolves to for this user (the one the session runs on). */
  readonly db: ClientDatabase;
}

/** An in-memory store for one install's deviceId. */
function installStorage() {
  const values = new Map<string, string>();
  return {
    getItem: async (key: string) => values.get(key) ?? null,
    setItem: async (key: string, value: string) => void values.set(key, value),
  };
}

/**
 * A device of `uid`: its own `firebase` app (its own socket), signed in with the emulator's mock ID
 * token, its session started with the list of all three instances.
 */
export function startShardedDevice(
  project: ShardedProject,
  uid: string,
  options: DeviceSessionOptions & { authTime?: number } = {},
): ShardedDevice {
  const authTime = options.authTime ?? 1_700_000_000;
  const { host, port } = emulatorAddress();
  const app = initializeClientApp(
    {
      projectId: project.project,
      apiKey: 'demo-api-key',
      databaseURL: `https://${project.instances[0]}.firebaseio.com`,
    },
    `device-${randomBytes(4).toString('hex')}`,
  );
  clientApps.add(app);
  const shards: DatabaseShardList = {
    app,
    instances: project.instances,
    emulator: { host, port, mockUserToken: { sub: uid, user_id: uid, auth_time: authTime } },
  };
  const session = startDeviceSession(
    shards,
    { uid, getIdTokenResult: async () => ({ claims: { auth_time: authTime } }) },
    { platform: 'web', storage: installStorage(), lifecycle: 'manual', tabs: false, ...options },
  );
  sessions.add(session);
  return { session, app, shards, db: presenceDatabaseFor(shards, uid) };
}

/** A change of the shard map from one instance to three (docs/protocol.md §10.2). */
export interface ShardMigration {
  readonly project: ShardedProject;
  /** The default instance, the only one before the change, and the two added. */
  readonly D: string;
  readonly P1: string;
  readonly P2: string;
  /** The map before the change: every user on the default instance (epoch 0). */
  readonly oldMap: { instances: string[]; epoch: number };
  /** The map during the migration: epoch 1, with the old list as previous. */
  readonly migrationMap: { instances: string[]; epoch: number; previous: string[] };
}

/**
 * Call once per test file (beforeAll): startShardedProject, its three instances by name and the maps
 * of a change from `[D]` to `[D, P1, P2]`. With `deployed`, docs/protocol.md §10.5 steps 2 and 3 are
 * done: epoch 1 on every instance, the functions deployed with the migration map.
 */
export async function startShardMigration(options: { deployed?: boolean } = {}): Promise<ShardMigration> {
  const project = await startShardedProject();
  const [D, P1, P2] = project.instances as [string, string, string];
  const oldMap = { instances: [D], epoch: 0 };
  const migrationMap = { instances: [D, P1, P2], epoch: 1, previous: [D] };
  if (options.deployed) {
    await Promise.all([...project.admin.values()].map((db) => db.ref('shardEpoch').set(1)));
    setFunctionsShardMap(migrationMap);
  }
  return { project, D, P1, P2, oldMap, migrationMap };
}

/**
 * A device of `uid` on its own app (named `<name>-…`) and socket, its session started with the shard
 * configuration `map` (instances, epoch, previous), signed in at `authTime`. stopShardedProject closes
 * it and deletes its app.
 */
export function startMapDevice(
  project: ShardedProject,
  uid: string,
  map: object,
  { name, authTime = 1_700_000_000, options = {} }: { name: string; authTime?: number; options?: DeviceSessionOptions },
): DeviceSession {
  const { host, port } = emulatorAddress();
  const app = initializeClientApp(
    {
      projectId: project.project,
      apiKey: 'demo-api-key',
      databaseURL: `https://${project.instances[0]}.firebaseio.com`,
    },
    `${name}-${randomBytes(4).toString('hex')}`,
  );
  clientApps.add(app);
  const shards: DatabaseShardList = {
    app,
    ...(map as { instances: string[] }),
    emulator: { host, port, mockUserToken: { sub: uid, user_id: uid, auth_time: authTime } },
  };
  const session = startDeviceSession(
    shards,
    { uid, getIdTokenResult: async () => ({ claims: { auth_time: authTime } }) },
    { platform: 'web', storage: installStorage(), lifecycle: 'manual', tabs: false, ...options },
  );
  sessions.add(session);
  return session;
}

/**
 * `/presence/{uid}` on the old (default) instance and on the user's new one `home`; the third is
 * checked empty.
 */
export async function presenceOldAndHome<P>(
  project: ShardedProject,
  uid: string,
  home: string,
): Promise<{ old: P; home: P }> {
  const old = project.instances[0] as string;
  const values = await readEverywhere(project, 'presence', uid);
  for (const instance of project.instances) {
    if (instance !== old && instance !== home)
      expect({ instance, value: values[instance] }).toEqual({ instance, value: null });
  }
  return { old: (values[old] ?? {}) as P, home: (values[home] ?? {}) as P };
}

/** The deviceIds of a `/presence/{uid}` value, sorted. */
export const deviceIds = (presence: { devices?: object }) => Object.keys(presence.devices ?? {}).sort();

/** Resolves once `session` reports `status` (or fails after `timeoutMs` with the states it saw). */
export function waitForStatus(session: DeviceSession, status: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    let unsubscribe: () => void = () => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no ${status} within ${timeoutMs} ms; states: ${seen.join(' → ')}`));
    }, timeoutMs);
    unsubscribe = session.onStateChanged((state) => {
      seen.push(state.status);
      if (state.status !== status) return;
      clearTimeout(timer);
      queueMicrotask(() => unsubscribe());
      resolve();
    });
  });
}
