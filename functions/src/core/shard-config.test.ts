import { isShardMapError } from '@device-limit/contract';
import { defaultInstanceOf, instanceDatabaseUrl, instanceOfUrl, parsePresenceInstances } from './shard-config';

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
