/**
 * Which `Database` holds a user's presence (docs/protocol.md §10): the one the app passed, or — when
 * the project spreads its users over several Realtime Database instances — the instance the shard map
 * of docs/protocol.md §10.1 (`shardFor` of `@device-limit/contract`) picks for the uid, or the one the app's own
 * `databaseFor(uid)` returns.
 *
 * A map in migration (docs/protocol.md §10.2's `previous`) cannot be resolved here, synchronously: which of the two
 * instances serves a moved user depends on what their previous instance holds (docs/protocol.md §10.3). `startDeviceSession`
 * follows it (migration.ts); `presenceDatabaseFor` and `onDevicesChanged` refuse it.
 */
import type { FirebaseApp } from 'firebase/app';
import { connectDatabaseEmulator, getDatabase, type Database } from 'firebase/database';
import {
  databaseUrlFor,
  isShardMapError,
  shardFor,
  validateInstances,
  validateShardMap,
  type ShardMap,
} from '@device-limit/contract';
import { DeviceLimitError } from './errors';

/** The options of `connectDatabaseEmulator`, for databases this module opens itself. */
export interface ShardEmulator {
  readonly host: string;
  readonly port: number;
  /** As in `connectDatabaseEmulator`: an unsigned mock ID token (object) or a token string. */
  readonly mockUserToken?: { readonly sub: string; readonly [claim: string]: unknown } | string;
}

/** Users spread over a list of instances; docs/protocol.md §10.1's shard map picks each user's. */
export interface DatabaseShardList {
  /** The app whose databases are opened, with `getDatabase(app, url)`. */
  readonly app: FirebaseApp;
  /**
   * Every instance users live on, as instance names (`<project>-default-rtdb`, `<project>-presence-1`)
   * or database URLs (`https://<instance>.firebaseio.com`, `https://<instance>.<region>.firebasedatabase.app`,
   * `http://<host:port>/?ns=<instance>`). The order does not matter; every client and the functions
   * (`PRESENCE_INSTANCES`) must use the same instances.
   */
  readonly instances: readonly string[];
  /**
   * The map's epoch (docs/protocol.md §10.2): 0 for the first map, + 1 with every change of `instances`. Given, every
   * claim carries it as `mapEpoch` (rule R1); absent, claims carry none, as before docs/protocol.md §10.
   */
  readonly epoch?: number;
  /**
   * While a migration runs (docs/protocol.md §10.3): the `instances` of epoch `epoch - 1`, in the same forms. A user
   * whose instance the change moved stays on their previous instance while they hold slots there,
   * and moves once it is closed for them. Only `startDeviceSession` follows such a map.
   */
  readonly previous?: readonly string[];
  /** The location of the instances given by name, when it is not `us-central1` (e.g. `europe-west1`). */
  readonly region?: string;
  /** Connect each database opened here to a database emulator (`connectDatabaseEmulator`). */
  readonly emulator?: ShardEmulator;
}

/** The app decides: the `Database` that holds `uid`'s presence (e.g. from its own directory). */
export interface DatabaseShardResolver {
  readonly databaseFor: (uid: string) => Database;
}

/**
 * Where presence lives: one `Database` (every user on the same instance, as before docs/protocol.md §10), or the shard
 * configuration of docs/protocol.md §10.
 */
export type PresenceDatabase = Database | DatabaseShardList | DatabaseShardResolver;

function invalid(message: string, cause?: unknown): DeviceLimitError {
  return new DeviceLimitError('device-limit/invalid-argument', message, cause === undefined ? {} : { cause });
}

function isDatabase(value: unknown): value is Database {
  // The modular SDK's Database class carries `type: 'database'` (firebase/database `Database.type`).
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'database';
}

/** One entry of `instances`: its instance name (what the shard map hashes) and the URL to open. */
interface InstanceEntry {
  readonly instance: string;
  readonly url: string;
}

/**
 * An entry that is a URL names its instance by the `ns` query parameter (emulators) or, failing that,
 * by the first label of its host — the same rule the database SDK applies (`parseDatabaseURL`).
 */
function instanceEntry(entry: unknown, region: string | undefined): InstanceEntry {
  if (typeof entry !== 'string' || !entry.includes('://')) {
    const url = databaseUrlFor(entry as string, region === undefined ? {} : { region });
    return { instance: entry as string, url };
  }
  // No URL class: this module also runs where neither the DOM nor Node's globals are typed in.
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#:]+)(?::\d+)?\/?(?:\?([^#]*))?/i.exec(entry);
  if (match === null) throw invalid(`instances: ${entry} is not a database URL.`);
  const ns = /(?:^|&)ns=([^&]*)/.exec(match[2] ?? '')?.[1];
  if (ns === undefined) return { instance: (match[1] as string).split('.')[0] as string, url: entry };
  try {
    return { instance: decodeURIComponent(ns), url: entry };
  } catch (cause) {
    throw invalid(`instances: the ns parameter of ${entry} is not valid percent-encoding.`, cause);
  }
}

function instanceEntries(shards: DatabaseShardList, field: 'instances' | 'previous' = 'instances'): InstanceEntry[] {
  const { region } = shards;
  const instances = shards[field];
  if (!Array.isArray(instances)) throw invalid(`${field} must be an array of instance names or database URLs.`);
  try {
    const entries = (instances as unknown[]).map((entry) => instanceEntry(entry, region));
    // Valid names, no duplicates (a name listed twice would win twice as often: docs/protocol.md §10.1).
    validateInstances(
      entries.map((entry) => entry.instance),
      field,
    );
    return entries;
  } catch (error) {
    if (error instanceof DeviceLimitError) throw error;
    if (isShardMapError(error)) throw invalid(`Invalid database shard list: ${error.message}`, error);
    throw error;
  }
}

function checkedUid(uid: unknown, what: string): string {
  if (typeof uid !== 'string' || uid.length === 0) throw invalid(`${what} needs a signed-in user with a uid.`);
  return uid;
}

/** `https://x.firebaseio.com/` and `https://X.firebaseio.com` are one database. */
function sameUrl(a: string, b: string): boolean {
  const plain = (url: string) => url.replace(/\/+$/, '').toLowerCase();
  return plain(a) === plain(b);
}

/**
 * The app's one `Database` for `url`, so every session of the app shares one socket per instance. The
 * SDK caches a Database per spelling of its URL but refuses a second Database for the same instance
 * ("Database initialized multiple times"), so the app's default instance is asked for as
 * `getDatabase(app)`, the way apps open it themselves.
 */
function openDatabase(app: FirebaseApp, url: string): Database {
  const { databaseURL, projectId } = app.options;
  // The SDK's own default when the config names no databaseURL (`repoManagerDatabaseFromApp`).
  const defaultUrl =
    databaseURL ?? (projectId === undefined ? undefined : `https://${projectId}-default-rtdb.firebaseio.com`);
  return defaultUrl !== undefined && sameUrl(url, defaultUrl) ? getDatabase(app) : getDatabase(app, url);
}

/**
 * A shard list as the contract's {@link ShardMap} of instance names (docs/protocol.md §10.2), checked, with the URL
 * each name is opened at.
 */
export interface CheckedShardList {
  readonly map: ShardMap;
  readonly urls: ReadonlyMap<string, string>;
}

export function checkShardList(shards: DatabaseShardList): CheckedShardList {
  const entries = instanceEntries(shards);
  const previous = shards.previous === undefined ? undefined : instanceEntries(shards, 'previous');
  const urls = new Map<string, string>();
  for (const entry of [...entries, ...(previous ?? [])]) {
    const known = urls.get(entry.instance);
    if (known !== undefined && !sameUrl(known, entry.url)) {
      throw invalid(`instances and previous open ${entry.instance} at two URLs: ${known} and ${entry.url}.`);
    }
    urls.set(entry.instance, entry.url);
  }
  try {
    const map = validateShardMap({
      instances: entries.map((entry) => entry.instance),
      ...(shards.epoch === undefined ? {} : { epoch: shards.epoch }),
      ...(previous === undefined ? {} : { previous: previous.map((entry) => entry.instance) }),
    });
    return { map, urls };
  } catch (error) {
    if (isShardMapError(error)) throw invalid(`Invalid shard map: ${error.message}`, error);
    throw error;
  }
}

/** The uid's instance under `instances` (docs/protocol.md §10.1), as a DeviceLimitError when the uid cannot be hashed. */
function homeOf(map: ShardMap, uid: string): string {
  try {
    return shardFor(uid, map.instances);
  } catch (error) {
    if (isShardMapError(error)) throw invalid(`No shard for uid ${JSON.stringify(uid)}: ${error.message}`, error);
    throw error;
  }
}

/** The database of the instance docs/protocol.md §10.1 picks for `uid`, opened (and connected to an emulator) once per app. */
function databaseFromList(shards: DatabaseShardList, uid: string): Database {
  const { map, urls } = checkShardList(shards);
  if (map.previous !== undefined) {
    // Which instance serves a moved user depends on what their previous instance holds (docs/protocol.md §10.3), which
    // takes a read; picking one without it could put the user's devices on two instances at once.
    throw invalid(
      'A shard map in migration (previous) is followed by startDeviceSession only (docs/protocol.md §10.3); ' +
        'listDevices and onDevicesChanged need the map without previous, or a Database.',
    );
  }
  return openInstance(shards, urls.get(homeOf(map, uid)) as string);
}

/** The app's Database at `url`, connected to the shard list's emulator when it names one. */
export function openInstance(shards: DatabaseShardList, url: string): Database {
  const db = openDatabase(shards.app, url);
  const { emulator } = shards;
  if (emulator !== undefined) {
    // A repeated call with the same settings is a no-op once the database has started.
    connectDatabaseEmulator(
      db,
      emulator.host,
      emulator.port,
      emulator.mockUserToken === undefined ? {} : { mockUserToken: emulator.mockUserToken },
    );
  }
  return db;
}

/**
 * The `Database` that holds `uid`'s presence under `database`: the `Database` itself, the instance the
 * shard map picks from a {@link DatabaseShardList}, or what a {@link DatabaseShardResolver} returns.
 * Apps that keep their own per-user data beside the presence (the force-login gate of the rules reads
 * `/presence/{uid}` on the same instance) open it with this too.
 */
export function presenceDatabaseFor(database: PresenceDatabase, uid: string, what = 'presenceDatabaseFor'): Database {
  if (isDatabase(database)) return database;
  if (typeof database !== 'object' || database === null) {
    throw invalid(`${what} needs a Database, { app, instances } or { databaseFor }.`);
  }
  const checked = checkedUid(uid, what);
  if ('databaseFor' in database) {
    if (typeof database.databaseFor !== 'function') throw invalid('databaseFor must be a function (uid) => Database.');
    const chosen: unknown = database.databaseFor(checked);
    if (!isDatabase(chosen)) throw invalid(`databaseFor(${JSON.stringify(checked)}) did not return a Database.`);
    return chosen;
  }
  if ('instances' in database) return databaseFromList(database, checked);
  throw invalid(`${what} needs a Database, { app, instances } or { databaseFor }.`);
}

/**
 * What `startDeviceSession` runs on: one Database, with the map epoch its claims carry when the app
 * gave one (docs/protocol.md §10.2, R1), or a map in migration that the session resolves itself (docs/protocol.md §10.3, migration.ts).
 */
export type SessionPlacement =
  | { readonly kind: 'database'; readonly db: Database; readonly mapEpoch?: number }
  | {
      readonly kind: 'migrating';
      readonly shards: DatabaseShardList;
      readonly checked: CheckedShardList;
      readonly uid: string;
    };

export function sessionPlacement(database: PresenceDatabase, uid: string, what: string): SessionPlacement {
  if (isDatabase(database) || typeof database !== 'object' || database === null || !('instances' in database)) {
    return { kind: 'database', db: presenceDatabaseFor(database, uid, what) };
  }
  const checkedUidValue = checkedUid(uid, what);
  const checked = checkShardList(database);
  homeOf(checked.map, checkedUidValue); // a uid that cannot be hashed is refused now, not mid-session
  if (checked.map.previous !== undefined) {
    return { kind: 'migrating', shards: database, checked, uid: checkedUidValue };
  }
  const db = databaseFromList(database, checkedUidValue);
  return database.epoch === undefined ? { kind: 'database', db } : { kind: 'database', db, mapEpoch: database.epoch };
}
