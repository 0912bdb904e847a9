/**
 * The firebase-admin app and databases the functions use. In production `initializeApp()` reads
 * FIREBASE_CONFIG (set by Cloud Functions) for the default database URL; with
 * FIREBASE_DATABASE_EMULATOR_HOST set, firebase-admin talks to that emulator instead, taking the
 * namespace from the URL's `ns` parameter. Tests and the local stack initialize the default app
 * themselves (with a `databaseURL`), and it is reused here.
 */
import { getApp, initializeApp, type App } from 'firebase-admin/app';
import { getDatabase, getDatabaseWithUrl, type Database } from 'firebase-admin/database';

export function adminApp(): App {
  try {
    return getApp();
  } catch {
    return initializeApp();
  }
}

/** The project's default database instance (callables and the scheduled sweep). */
export function defaultDatabase(): Database {
  return getDatabase(adminApp());
}

/**
 * The database instance an event came from. firebase-functions computes this URL for each event
 * (`DataSnapshot.instance`: the emulator with `?ns=<instance>`, or `https://<instance>.<host>`), so
 * a trigger writes back to the instance that fired it, not the default one.
 */
export function databaseForInstance(instanceUrl: string): Database {
  return getDatabaseWithUrl(instanceUrl, adminApp());
}
