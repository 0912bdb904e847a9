/**
 * presenceDatabaseFor (docs/protocol.md §10): a Database passes through, a shard list opens the
 * instance docs/protocol.md §10.1's map picks (the rows of the protocol's test vectors), a resolver is asked, and every
 * malformed configuration is a `device-limit/invalid-argument` error. No socket is opened: the SDK
 * connects a Database only when it is first used.
 */
import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app';
import { getDatabase } from 'firebase/database';
import { presenceDatabaseFor, type DatabaseShardList, type PresenceDatabase } from './shards';
import { isDeviceLimitError } from './errors';

const D = 'demo-device-limit-default-rtdb';
const P1 = 'demo-device-limit-presence-1';
const P2 = 'demo-device-limit-presence-2';

let app: FirebaseApp;
/**
 * Under FIREBASE_DATABASE_EMULATOR_HOST (set for the whole test run) the SDK sends every URL to the
 * emulator by its namespace, so a regional and a us-central1 URL of one instance would be one database;
 * this file looks at which URL is opened, as in a browser, where no such variable exists.
 */
const emulatorHost = process.env.FIREBASE_DATABASE_EMULATOR_HOST;
beforeAll(() => {
  delete process.env.FIREBASE_DATABASE_EMULATOR_HOST;
  app = initializeApp(
    { projectId: 'demo-device-limit', apiKey: 'demo', databaseURL: `https://${D}.firebaseio.com` },
    'shards-test',
  );
});
afterAll(async () => {
  if (emulatorHost !== undefined) process.env.FIREBASE_DATABASE_EMULATOR_HOST = emulatorHost;
  await deleteApp(app);
});

const url = (instance: string) => `https://${instance}.firebaseio.com`;
/** The app's databaseURL is D's: D is the app's default Database, the others are opened by URL. */
const databaseOf = (instance: string) => (instance === D ? getDatabase(app) : getDatabase(app, url(instance)));

describe('a shard list: the instance of docs/protocol.md §10.1 (test vectors, k = 3)', () => {
  it.each([
    ['alice@example.com', D],
    ['user-2', P1],
    ['user-5', P2],
    ['user-6', P2],
    ['ユーザー-7', P2],
  ])('%s lives on %s', (uid, instance) => {
    const db = presenceDatabaseFor({ app, instances: [D, P1, P2] }, uid);
    expect(db).toBe(databaseOf(instance));
    // The order of the list does not matter.
    expect(presenceDatabaseFor({ app, instances: [P2, D, P1] }, uid)).toBe(db);
  });

  it('takes database URLs too: the instance is the first host label, or the ns parameter', () => {
    const emulated = (instance: string) => `http://127.0.0.1:9000/?ns=${instance}`;
    const viaUrls: DatabaseShardList = { app, instances: [url(D), url(P1), url(P2)] };
    expect(presenceDatabaseFor(viaUrls, 'user-6')).toBe(databaseOf(P2));
    // The app's default instance, given by URL (with or without the slash), is its default Database.
    expect(presenceDatabaseFor(viaUrls, 'alice@example.com')).toBe(getDatabase(app));
    expect(presenceDatabaseFor({ app, instances: [`${url(D)}/`, url(P1)] }, 'alice@example.com')).toBe(
      getDatabase(app),
    );
    const viaEmulator: DatabaseShardList = { app, instances: [emulated(D), emulated(P1), emulated(P2)] };
    expect(presenceDatabaseFor(viaEmulator, 'user-2')).toBe(getDatabase(app, emulated(P1)));
  });

  it('opens instances outside us-central1 at <instance>.<region>.firebasedatabase.app', () => {
    const db = presenceDatabaseFor({ app, instances: [D, P1, P2], region: 'europe-west1' }, 'user-2');
    expect(db).toBe(getDatabase(app, `https://${P1}.europe-west1.firebasedatabase.app`));
  });

  it('one instance is the database of every user', () => {
    expect(presenceDatabaseFor({ app, instances: [D] }, 'user-6')).toBe(getDatabase(app));
  });
});

it('a Database passes through, whatever the uid', () => {
  const db = getDatabase(app);
  expect(presenceDatabaseFor(db, 'user-6')).toBe(db);
});

it('a resolver is asked with the uid', () => {
  const asked: string[] = [];
  const db = getDatabase(app, url(P1));
  const chosen = presenceDatabaseFor(
    {
      databaseFor: (uid) => {
        asked.push(uid);
        return db;
      },
    },
    'user-10',
  );
  expect(chosen).toBe(db);
  expect(asked).toEqual(['user-10']);
});

describe('a malformed configuration is device-limit/invalid-argument', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no instance', { instances: [] }, 'user-2'],
    ['not an array', { instances: 'demo-a' }, 'user-2'],
    ['a bad instance name', { instances: ['Demo_A'] }, 'user-2'],
    ['a name listed twice', { instances: [D, P1, D] }, 'user-2'],
    ['the same instance as a name and as a URL', { instances: [D, url(D)] }, 'user-2'],
    ['a URL without a host', { instances: ['https://'] }, 'user-2'],
    ['an unknown region', { instances: [D], region: 'mars' }, 'user-2'],
    [
      'a map in migration (only startDeviceSession follows it, §10.3)',
      { instances: [D, P1], epoch: 1, previous: [D] },
      'user-2',
    ],
    ['no uid', { instances: [D, P1] }, ''],
    ['a uid with a lone surrogate (docs/protocol.md §10.1)', { instances: [D, P1] }, 'user-\ud800'],
    ['neither a Database nor a shard configuration', {}, 'user-2'],
  ];
  it.each(cases)('%s', (_name, shards, uid) => {
    const config = ('instances' in (shards as object) ? { app, ...(shards as object) } : shards) as PresenceDatabase;
    let caught: unknown;
    try {
      presenceDatabaseFor(config, uid);
    } catch (error) {
      caught = error;
    }
    expect(isDeviceLimitError(caught, 'device-limit/invalid-argument')).toBe(true);
  });

  it('a resolver that returns something else than a Database', () => {
    const config = { databaseFor: () => ({ ref: 'not a database' }) } as unknown as PresenceDatabase;
    expect(() => presenceDatabaseFor(config, 'user-2')).toThrow(/did not return a Database/);
  });
});
