/**
 * The functions' side of the shard configuration (docs/protocol.md §10): the `PRESENCE_INSTANCES`
 * parameter as a list of instance names, and the URL the Admin SDK opens each instance at. Pure, so
 * it unit-tests without a database; `database/instances.ts` applies it.
 *
 * Only the static map is implemented (§10.1): one list, no epochs and no migration (§10.2–§10.5 are
 * specified, not implemented). Every client and the functions must be given the same list.
 */
import { databaseUrlFor, INSTANCE_NAME_PATTERN, ShardMapError, validateInstances } from '@device-limit/contract';

/**
 * `PRESENCE_INSTANCES`: instance names separated by commas (spaces around them are ignored). Empty:
 * no sharding, every user on the project's default database — as before §10. Throws a ShardMapError
 * (code `invalid-instance`, `duplicate-instance`, …) naming the parameter.
 */
export function parsePresenceInstances(value: string | undefined): readonly string[] | null {
  const text = (value ?? '').trim();
  if (text === '') return null;
  return validateInstances(
    text.split(',').map((name) => name.trim()),
    'PRESENCE_INSTANCES',
  );
}

/** `<instance>.firebaseio.com` or `<instance>.<region>.firebasedatabase.app` (§10.2). */
const PRODUCTION_HOST = /^([a-z][a-z0-9-]*)\.(?:firebaseio\.com|([a-z]+-[a-z]+[0-9]+)\.firebasedatabase\.app)$/;

/** What a database URL says about its instance: its name, and its location when not us-central1. */
export interface InstanceOfUrl {
  readonly instance: string;
  readonly region?: string;
}

/**
 * The instance a database URL points at: the `ns` query parameter (emulators, and how the SDKs name
 * it), else the first label of a production host. Null for anything else.
 */
export function instanceOfUrl(url: string | undefined): InstanceOfUrl | null {
  if (url === undefined) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const ns = parsed.searchParams.get('ns');
  if (ns !== null) return INSTANCE_NAME_PATTERN.test(ns) ? { instance: ns } : null;
  const match = PRODUCTION_HOST.exec(parsed.hostname);
  if (match === null) return null;
  return match[2] === undefined ? { instance: match[1] as string } : { instance: match[1] as string, region: match[2] };
}

export interface InstanceUrlOptions {
  /** The default database's URL (FIREBASE_CONFIG `databaseURL`); its location is every instance's. */
  readonly defaultDatabaseUrl?: string;
  /** FIREBASE_DATABASE_EMULATOR_HOST, when set. */
  readonly emulatorHost?: string;
}

/**
 * The URL the Admin SDK opens `instance` at: exactly the one firebase-functions computes for an event
 * of that instance (`http://<emulator>/?ns=<instance>`, or `https://<instance>.<host>`), so a trigger
 * and a callable share one Database (the SDK refuses two for one instance). Instances of a project
 * are created in its default instance's location (docs/scaling.md), so that location is used.
 */
export function instanceDatabaseUrl(instance: string, options: InstanceUrlOptions = {}): string {
  if (options.emulatorHost !== undefined && options.emulatorHost !== '') {
    return databaseUrlFor(instance, { emulatorHost: options.emulatorHost });
  }
  const region = instanceOfUrl(options.defaultDatabaseUrl)?.region;
  return databaseUrlFor(instance, region === undefined ? {} : { region });
}

/** The default database's instance name, from its URL; a ShardMapError when the URL names none. */
export function defaultInstanceOf(defaultDatabaseUrl: string | undefined, projectId: string | undefined): string {
  const named = instanceOfUrl(defaultDatabaseUrl);
  if (named !== null) return named.instance;
  // firebase-admin's own fallback when no databaseURL is configured.
  if (defaultDatabaseUrl === undefined && projectId !== undefined) return `${projectId}-default-rtdb`;
  throw new ShardMapError(
    'invalid-instance',
    `cannot tell the default database's instance from ${String(defaultDatabaseUrl)}`,
    defaultDatabaseUrl,
  );
}
