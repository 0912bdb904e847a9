/**
 * The functions' side of the shard configuration (docs/protocol.md §10): the `PRESENCE_INSTANCES`
 * parameter as a list of instance names, and the URL the Admin SDK opens each instance at. Pure, so
 * it unit-tests without a database; `database/instances.ts` applies it.
 *
 * The map is `PRESENCE_INSTANCES`, `PRESENCE_INSTANCES_EPOCH` and, while a migration runs (docs/protocol.md §10.3),
 * `PRESENCE_INSTANCES_PREVIOUS`: the same `{ instances, epoch, previous }` every client is given.
 */
import {
  databaseUrlFor,
  INSTANCE_NAME_PATTERN,
  shardPlacement,
  shardStep,
  ShardMapError,
  validateInstances,
  validateShardMap,
  type ShardMap,
} from '@device-limit/contract';

/**
 * `PRESENCE_INSTANCES`: instance names separated by commas (spaces around them are ignored). Empty:
 * no sharding, every user on the project's default database — as before docs/protocol.md §10. Throws a ShardMapError
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

/** The three parameters of the functions' shard map, as firebase-functions gives them (strings). */
export interface PresenceShardParams {
  /** `PRESENCE_INSTANCES`. */
  readonly instances: string | undefined;
  /** `PRESENCE_INSTANCES_EPOCH`: the map's epoch, a decimal integer >= 0; empty = 0. */
  readonly epoch: string | undefined;
  /** `PRESENCE_INSTANCES_PREVIOUS`: during a migration, the instances of epoch `epoch - 1`; empty = none. */
  readonly previous: string | undefined;
}

/**
 * The shard map (docs/protocol.md §10.2) of the three parameters, or null when `PRESENCE_INSTANCES` is empty (every
 * user on the default database, as before docs/protocol.md §10). The defaults (empty epoch and previous) are the map
 * without a migration. Throws a ShardMapError naming the parameter: `invalid-epoch` for an epoch that
 * is not a plain integer, `invalid-previous` for a previous list without a list to migrate to or with
 * epoch 0 (the first map has nothing to migrate from), the codes of `validateInstances` for a list.
 */
export function parsePresenceShardMap(params: PresenceShardParams): ShardMap | null {
  const instances = parsePresenceInstances(params.instances);
  const epochText = (params.epoch ?? '').trim();
  // Digits only: Number('') is 0, Number('1e3') is 1000 and Number('0x1') is 1, none of which an
  // operator meant; an epoch mistyped would put the functions on another map than the clients.
  if (epochText !== '' && !/^[0-9]{1,15}$/.test(epochText)) {
    throw new ShardMapError(
      'invalid-epoch',
      `PRESENCE_INSTANCES_EPOCH must be an integer >= 0, not ${JSON.stringify(epochText)}`,
      epochText,
    );
  }
  const epoch = epochText === '' ? 0 : Number(epochText);
  const previousText = (params.previous ?? '').trim();
  const previous =
    previousText === ''
      ? undefined
      : validateInstances(
          previousText.split(',').map((name) => name.trim()),
          'PRESENCE_INSTANCES_PREVIOUS',
        );
  if (instances === null) {
    if (previous !== undefined) {
      throw new ShardMapError(
        'invalid-previous',
        'PRESENCE_INSTANCES_PREVIOUS needs PRESENCE_INSTANCES, the list the users move to',
        previousText,
      );
    }
    return null;
  }
  if (previous !== undefined && epoch < 1) {
    throw new ShardMapError(
      'invalid-previous',
      'PRESENCE_INSTANCES_PREVIOUS needs PRESENCE_INSTANCES_EPOCH >= 1: it is the list of epoch - 1',
      previousText,
    );
  }
  return validateShardMap(previous === undefined ? { instances, epoch } : { instances, epoch, previous });
}

/** The instances a shard map has users on: `instances`, plus `previous` during a migration. */
export function instancesInUse(map: ShardMap): readonly string[] {
  return [...new Set([...map.instances, ...(map.previous ?? [])])];
}

/**
 * Inside a transaction on `/presence/{uid}` of the user's previous instance: whether previous still
 * serves the user, by `shardStep(…, 'server')` on what the transaction sees. The server never fences:
 * previous serves until a client (or the finishing job) wrote `movedOut = epoch` there, so functions on
 * the new map act like clients that have not fetched it yet (docs/protocol.md §10.5 step 3). A fence above the epoch
 * means a newer map exists than the one the functions were deployed with: a ShardMapError
 * (`invalid-epoch`), because acting on either instance could put the user's entries on an instance
 * that map closed.
 */
export function previousStillServes(uid: string, map: ShardMap, current: unknown): boolean {
  const node = typeof current === 'object' && current !== null ? (current as Record<string, unknown>) : {};
  const devices = node.devices;
  const movedOut = node.movedOut;
  const step = shardStep(
    uid,
    map,
    {
      hasDevices: typeof devices === 'object' && devices !== null && Object.keys(devices).length > 0,
      ...(typeof movedOut === 'number' ? { movedOut } : {}),
    },
    'server',
  );
  if (step.kind === 'stale-map') {
    throw new ShardMapError(
      'invalid-epoch',
      `${uid} was moved out at epoch ${step.movedOut}, above PRESENCE_INSTANCES_EPOCH ${String(map.epoch ?? 0)}: ` +
        'deploy the functions with the current shard map',
      step.movedOut,
    );
  }
  return step.kind === 'serve' && step.instance === shardPlacement(uid, map).previous;
}

/** `<instance>.firebaseio.com` or `<instance>.<region>.firebasedatabase.app` (docs/protocol.md §10.2). */
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
