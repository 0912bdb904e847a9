import { isShardMapError, shardFor } from '@device-limit/contract';
import {
  defaultInstanceOf,
  instanceDatabaseUrl,
  instanceOfUrl,
  parsePresenceInstances,
  parsePresenceShardMap,
  previousStillServes,
} from './shard-config';

describe('parsePresenceInstances (PRESENCE_INSTANCES)', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['   ', null],
    ['demo-default-rtdb', ['demo-default-rtdb']],
    ['demo-default-rtdb,demo-presence-1', ['demo-default-rtdb', 'demo-presence-1']],
    [
      ' demo-default-rtdb , demo-presence-1 ,demo-presence-2 ',
      ['demo-default-rtdb', 'demo-presence-1', 'demo-presence-2'],
    ],
  ])('%p -> %p', (value, expected) => {
    expect(parsePresenceInstances(value)).toEqual(expected);
  });

  it.each([
    ['demo-a,,demo-b', 'invalid-instance'],
    ['demo-a,Demo-B', 'invalid-instance'],
    ['demo-a,demo-a', 'duplicate-instance'],
    ['https://demo-a.firebaseio.com', 'invalid-instance'],
  ])('%p is refused (%s), naming the parameter', (value, code) => {
    let caught: unknown;
    try {
      parsePresenceInstances(value);
    } catch (error) {
      caught = error;
    }
    expect(isShardMapError(caught) && caught.code).toBe(code);
    expect(String((caught as Error).message)).toContain('PRESENCE_INSTANCES');
  });
});

describe('instanceOfUrl', () => {
  it.each([
    ['https://demo-default-rtdb.firebaseio.com', { instance: 'demo-default-rtdb' }],
    ['https://demo-default-rtdb.firebaseio.com/', { instance: 'demo-default-rtdb' }],
    [
      'https://demo-presence-1.europe-west1.firebasedatabase.app',
      { instance: 'demo-presence-1', region: 'europe-west1' },
    ],
    ['http://127.0.0.1:9000/?ns=demo-presence-2', { instance: 'demo-presence-2' }],
    ['http://127.0.0.1:9000?ns=demo-presence-2', { instance: 'demo-presence-2' }],
    ['http://127.0.0.1:9000/', null],
    ['https://example.com', null],
    ['not a url', null],
    [undefined, null],
  ])('%p -> %p', (url, expected) => {
    expect(instanceOfUrl(url)).toEqual(expected);
  });
});

describe('instanceDatabaseUrl: the URL firebase-functions computes for an event of the instance', () => {
  it.each([
    [{}, 'https://demo-presence-1.firebaseio.com'],
    [{ defaultDatabaseUrl: 'https://demo-default-rtdb.firebaseio.com' }, 'https://demo-presence-1.firebaseio.com'],
    [
      { defaultDatabaseUrl: 'https://demo-default-rtdb.europe-west1.firebasedatabase.app' },
      'https://demo-presence-1.europe-west1.firebasedatabase.app',
    ],
    [
      {
        defaultDatabaseUrl: 'https://demo-default-rtdb.europe-west1.firebasedatabase.app',
        emulatorHost: '127.0.0.1:9000',
      },
      'http://127.0.0.1:9000/?ns=demo-presence-1',
    ],
    [{ emulatorHost: '' }, 'https://demo-presence-1.firebaseio.com'],
  ])('%p -> %s', (options, url) => {
    expect(instanceDatabaseUrl('demo-presence-1', options)).toBe(url);
  });
});

describe('defaultInstanceOf', () => {
  it('reads the instance from the default database URL, or falls back as firebase-admin does', () => {
    expect(defaultInstanceOf('https://demo-default-rtdb.firebaseio.com', 'demo')).toBe('demo-default-rtdb');
    expect(defaultInstanceOf('http://127.0.0.1:9000/?ns=demo-fn-1234', 'demo')).toBe('demo-fn-1234');
    expect(defaultInstanceOf(undefined, 'demo')).toBe('demo-default-rtdb');
    expect(() => defaultInstanceOf('http://127.0.0.1:9000/', 'demo')).toThrow(/default database/);
  });
});

describe('parsePresenceShardMap (PRESENCE_INSTANCES, _EPOCH, _PREVIOUS)', () => {
  const map = (instances?: string, epoch?: string, previous?: string) =>
    parsePresenceShardMap({ instances, epoch, previous });

  it('defaults to the map without a migration', () => {
    expect(map('', '', '')).toBeNull();
    expect(map('demo-a,demo-b', '', '')).toEqual({ instances: ['demo-a', 'demo-b'], epoch: 0 });
    expect(map('demo-a', ' 3 ', undefined)).toEqual({ instances: ['demo-a'], epoch: 3 });
  });

  it('takes a migration', () => {
    expect(map('demo-a,demo-b', '1', 'demo-a')).toEqual({
      instances: ['demo-a', 'demo-b'],
      epoch: 1,
      previous: ['demo-a'],
    });
  });

  it.each([
    ['demo-a', '-1', '', 'invalid-epoch'],
    ['demo-a', '1e3', '', 'invalid-epoch'],
    ['demo-a', '1.5', '', 'invalid-epoch'],
    ['demo-a', '0', 'demo-b', 'invalid-previous'],
    ['demo-a', '', 'demo-b', 'invalid-previous'],
    ['', '1', 'demo-b', 'invalid-previous'],
    ['demo-a', '1', 'demo-b,demo-b', 'duplicate-instance'],
  ])('%p epoch %p previous %p is refused (%s)', (instances, epoch, previous, code) => {
    let caught: unknown;
    try {
      map(instances, epoch, previous);
    } catch (error) {
      caught = error;
    }
    expect(isShardMapError(caught) && caught.code).toBe(code);
  });
});

describe('previousStillServes (inside the transaction on the previous instance)', () => {
  const migration = { instances: ['demo-a', 'demo-b'], epoch: 1, previous: ['demo-a'] };
  // A uid the new list moves from demo-a to demo-b.
  const uid = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'].find(
    (id) => shardFor(id, migration.instances) === 'demo-b',
  )!;

  it('serves while no fence of this epoch is there, with or without entries (the server never fences)', () => {
    expect(previousStillServes(uid, migration, null)).toBe(true);
    expect(previousStillServes(uid, migration, { count: 0 })).toBe(true);
    expect(previousStillServes(uid, migration, { count: 1, devices: { d: {} } })).toBe(true);
  });

  it('stops at the fence of this epoch', () => {
    expect(previousStillServes(uid, migration, { count: 0, movedOut: 1 })).toBe(false);
  });

  it('refuses a fence above its epoch: a newer map exists', () => {
    expect(() => previousStillServes(uid, migration, { movedOut: 2 })).toThrow(/above PRESENCE_INSTANCES_EPOCH/);
  });
});
