/**
 * The database instances the functions work on (docs/protocol.md §10). `PRESENCE_INSTANCES` (a
 * firebase-functions parameter: `functions/.env`, `.env.<project>`, or the prompt of `firebase deploy`)
 * lists the instances users are spread over; the shard map of §10.1 (`shardFor`) picks each user's.
 * Empty (the default): every user on the project's default database, as before §10.
 *
 * Callables act on the caller's or the target's instance, the sweep on every instance, and triggers
 * write back to the instance that fired (they listen on every instance: `instance: '*'`).
 */
import { shardFor } from '@device-limit/contract';
import { getDatabaseWithUrl, type Database } from 'firebase-admin/database';
import * as logger from 'firebase-functions/logger';
import { defineString } from 'firebase-functions/params';
import { defaultInstanceOf, instanceDatabaseUrl, parsePresenceInstances } from '../core/shard-config';
import { adminApp, defaultDatabase } from './app';

export const presenceInstancesParam = defineString('PRESENCE_INSTANCES', {
  default: '',
  description:
    'Realtime Database instances the users are spread over, comma-separated (docs/protocol.md §10); ' +
    'empty: the default database only.',
});

/** The configured instances, or null when every user is on the default database. */
export function presenceInstances(): readonly string[] | null {
  return parsePresenceInstances(presenceInstancesParam.value());
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

/** The instance that holds `uid`'s presence, limit and audit trail, or null for "the default database". */
export function presenceInstanceFor(uid: string): string | null {
  const instances = presenceInstances();
  return instances === null ? null : shardFor(uid, instances);
}

/** The Database that holds `uid`'s presence (a callable's caller or target). */
export function presenceDatabaseFor(uid: string): Database {
  const instance = presenceInstanceFor(uid);
  return instance === null ? defaultDatabase() : databaseOfInstance(instance);
}

/** Every instance users live on, for the sweep; `instance` is null for the unsharded default database. */
export function presenceDatabases(): Array<{ readonly instance: string | null; readonly db: Database }> {
  const instances = presenceInstances();
  if (instances === null) return [{ instance: null, db: defaultDatabase() }];
  return instances.map((instance) => ({ instance, db: databaseOfInstance(instance) }));
}

/**
 * A trigger fired on an instance that does not hold the user (an admin wrote `/limits/{uid}` on the
 * wrong one): it still acts there, where the write was, but that data is not the user's (the rules of
 * their claims read their own instance), so say so.
 */
export function warnIfNotHome(trigger: string, uid: string, instance: string): void {
  let home: string | null;
  try {
    home = presenceInstanceFor(uid);
  } catch (error) {
    logger.error(`${trigger}: PRESENCE_INSTANCES is invalid`, { error: String(error) });
    return;
  }
  if (home !== null && home !== instance) {
    logger.warn(`${trigger}: ${uid} was written on ${instance}, but that user lives on ${home} (PRESENCE_INSTANCES)`, {
      uid,
      instance,
      home,
    });
  }
}
