/**
 * The database instances the functions work on (docs/protocol.md §10). `PRESENCE_INSTANCES` (a
 * firebase-functions parameter: `functions/.env`, `.env.<project>`, or the prompt of `firebase deploy`)
 * lists the instances users are spread over; the shard map of docs/protocol.md §10.1 (`shardFor`) picks each user's.
 * Empty (the default): every user on the project's default database, as before docs/protocol.md §10.
 *
 * `PRESENCE_INSTANCES_EPOCH` and `PRESENCE_INSTANCES_PREVIOUS` give the map's epoch and, during a
 * migration (docs/protocol.md §10.3), the list before it: the same `{ instances, epoch, previous }` the clients get.
 *
 * Callables act on the instance that holds the caller's or the target's presence (`onPresenceInstance`),
 * the sweep on every instance in use, and triggers write back to the instance that fired (they listen
 * on every instance: `instance: '*'`).
 */
import { shardFor, shardPlacement, type ShardMap } from '@device-limit/contract';
import { getDatabaseWithUrl, type Database } from 'firebase-admin/database';
import * as logger from 'firebase-functions/logger';
import { defineString } from 'firebase-functions/params';
import {
  defaultInstanceOf,
  instanceDatabaseUrl,
  instancesInUse,
  parsePresenceShardMap,
  previousStillServes,
} from '../core/shard-config';
import { presencePath } from '../core/contract';
import { PresenceError } from '../core/errors';
import { deviceLimitConfig } from '../params';
import { adminApp, defaultDatabase } from './app';
import { isNotServedHereError, type ServedHere } from './transaction';

export const presenceInstancesParam = defineString('PRESENCE_INSTANCES', {
  default: '',
  description:
    'Realtime Database instances the users are spread over, comma-separated (docs/protocol.md §10); ' +
    'empty: the default database only.',
});

// The defaults (empty) are the map without a migration; functions/.env lists both empty so that
// `firebase deploy` does not prompt for them.
export const presenceInstancesEpochParam = defineString('PRESENCE_INSTANCES_EPOCH', {
  default: '',
  description:
    'The epoch of the shard map (docs/protocol.md §10.2): 0 (or empty) for the first list, +1 with every change.',
});

export const presenceInstancesPreviousParam = defineString('PRESENCE_INSTANCES_PREVIOUS', {
  default: '',
  description:
    'During a shard migration (docs/protocol.md §10.3): the instances of the epoch before, comma-separated; ' +
    'empty: no migration.',
});

/** The configured shard map, or null when every user is on the default database. */
export function presenceShardMap(): ShardMap | null {
  return parsePresenceShardMap({
    instances: presenceInstancesParam.value(),
    epoch: presenceInstancesEpochParam.value(),
    previous: presenceInstancesPreviousParam.value(),
  });
}

/** The configured instances users move to (`PRESENCE_INSTANCES`), or null for the default database only. */
export function presenceInstances(): readonly string[] | null {
  return presenceShardMap()?.instances ?? null;
}

/**
 * The Admin SDK's Database for `instance`. The default instance is the app's default Database (the
 * SDK refuses a second Database for one instance under another spelling of its URL); the others are
 * opened at the URL firebase-functions gives their events, so triggers and callables share them.
 */
export function databaseOfInstance(instance: string): Database {
  const app = adminApp();
  const { databaseURL, projectId } = app.options;
  if (instance === defaultInstanceOf(databaseURL, projectId)) return defaultDatabase();
  const url = instanceDatabaseUrl(instance, {
    ...(databaseURL === undefined ? {} : { defaultDatabaseUrl: databaseURL }),
    ...(process.env.FIREBASE_DATABASE_EMULATOR_HOST
      ? { emulatorHost: process.env.FIREBASE_DATABASE_EMULATOR_HOST }
      : {}),
  });
  return getDatabaseWithUrl(url, app);
}

/**
 * The user's home under `PRESENCE_INSTANCES` (docs/protocol.md §10.1), or null for "the default database". During a
 * migration a user may still be served by their previous instance: see `onPresenceInstance`.
 */
export function presenceInstanceFor(uid: string): string | null {
  const instances = presenceInstances();
  return instances === null ? null : shardFor(uid, instances);
}

/**
 * The Database of `uid`'s home (docs/protocol.md §10.1), resolved without a read. During a migration it is not
 * necessarily where the user's devices are (they may still be on their previous instance until they
 * leave, §10.3); the callables use `onPresenceInstance`, which decides in the transaction.
 */
export function presenceDatabaseFor(uid: string): Database {
  const instance = presenceInstanceFor(uid);
  return instance === null ? defaultDatabase() : databaseOfInstance(instance);
}

/** `uid`'s instances during a migration that moves them: previous and home; else null. */
function migrationOf(uid: string): { map: ShardMap; previous: Database; home: Database } | null {
  const map = presenceShardMap();
  if (map === null) return null;
  const { home, previous } = shardPlacement(uid, map);
  if (previous === undefined) return null;
  return { map, previous: databaseOfInstance(previous), home: databaseOfInstance(home) };
}

/**
 * Runs a server operation on the instance that holds `uid`'s presence (docs/protocol.md §10.3, "Server operations").
 * Without a migration that moves the user: on their instance. During one: on previous, with a check
 * made inside the operation's own transaction there (`ServedHere`) — while previous has no fence of
 * this epoch it keeps serving the user (the server never fences: functions on the new map act like
 * clients that have not fetched it); when the transaction finds the fence it writes nothing and the
 * operation runs again on home. A check before the transaction would not do: a client could fence
 * between the check and the write, and a force login would then create an entry behind the fence,
 * beside the user's entries on home.
 */
export async function onPresenceInstance<R>(
  uid: string,
  operation: (db: Database, servedHere?: ServedHere) => Promise<R>,
): Promise<R> {
  const migration = migrationOf(uid);
  if (migration === null) return operation(presenceDatabaseFor(uid));
  const { map, previous, home } = migration;
  let stale: unknown;
  const servedHere: ServedHere = (current) => {
    // Not thrown from the update function (the SDK would fail the transaction queue with it):
    // abort without writing, then report it.
    try {
      stale = undefined;
      return previousStillServes(uid, map, current);
    } catch (error) {
      stale = error;
      return false;
    }
  };
  try {
    return await operation(previous, servedHere);
  } catch (error) {
    if (!isNotServedHereError(error)) throw error;
  }
  if (stale !== undefined) {
    // A newer map moved the user on: acting on either instance of this one could double their slots.
    throw new PresenceError('failed-precondition', stale instanceof Error ? stale.message : String(stale));
  }
  // The fence never goes away (docs/protocol.md §10.2 R2), so once seen the user is home's for this epoch.
  return operation(home);
}

/**
 * Every instance that must carry a value which follows the user (docs/protocol.md §10.3, "What follows the user":
 * `/limits/{uid}` and `notBefore`): home and, during a migration that moves the user, previous too, so
 * that whichever serves them next neither applies the default limit nor lets a cut-off session claim.
 */
export function presenceDatabasesOfUser(uid: string): readonly Database[] {
  const migration = migrationOf(uid);
  return migration === null ? [presenceDatabaseFor(uid)] : [migration.previous, migration.home];
}

/**
 * docs/protocol.md §10.3, "What follows the user": after a force login, its `notBefore` (seconds) on every instance of
 * the user, raised, never lowered (a later force login may already have raised it further). Written
 * after the force login's transaction, not before: a refused force login must not cut sessions off.
 * The gap is harmless: when the force login ran on previous it created its caller's entry there, so
 * no client can fence previous (and claim on home) before this write; when it ran on home, previous is
 * fenced and takes no claim.
 */
export async function raiseNotBeforeOfUser(uid: string, notBefore: number): Promise<void> {
  const databases = presenceDatabasesOfUser(uid);
  if (databases.length < 2) return;
  await Promise.all(
    databases.map((db) =>
      db
        .ref(`${presencePath(uid, deviceLimitConfig.paths)}/notBefore`)
        .transaction(
          (current: unknown) => (typeof current === 'number' && current >= notBefore ? undefined : notBefore),
          undefined,
          false,
        ),
    ),
  );
}

/**
 * Every instance users live on, for the sweep: during a migration the union of `PRESENCE_INSTANCES`
 * and `PRESENCE_INSTANCES_PREVIOUS`, because devices connected before the change keep their slots on
 * the previous instances until they leave (docs/protocol.md §10.3), and a device that vanishes there must be swept
 * there. `instance` is null for the unsharded default database.
 */
export function presenceDatabases(): Array<{ readonly instance: string | null; readonly db: Database }> {
  const map = presenceShardMap();
  if (map === null) return [{ instance: null, db: defaultDatabase() }];
  return instancesInUse(map).map((instance) => ({ instance, db: databaseOfInstance(instance) }));
}

/**
 * A trigger fired on an instance that does not hold the user (an admin wrote `/limits/{uid}` on the
 * wrong one): it still acts there, where the write was, but that data is not the user's (the rules of
 * their claims read their own instance), so say so.
 */
export function warnIfNotHome(trigger: string, uid: string, instance: string): void {
  let home: string | null;
  let previous: string | undefined;
  try {
    const map = presenceShardMap();
    const placement = map === null ? null : shardPlacement(uid, map);
    home = placement?.home ?? null;
    previous = placement?.previous;
  } catch (error) {
    logger.error(`${trigger}: the shard map (PRESENCE_INSTANCES*) is invalid`, { error: String(error) });
    return;
  }
  // During a migration the user's previous instance holds their data too (docs/protocol.md §10.3).
  if (home !== null && home !== instance && previous !== instance) {
    logger.warn(`${trigger}: ${uid} was written on ${instance}, but that user lives on ${home} (PRESENCE_INSTANCES)`, {
      uid,
      instance,
      home,
    });
  }
}
