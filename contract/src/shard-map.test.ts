/**
 * The shard map of docs/protocol.md §10. The vectors below are the ones published in docs/protocol.md §10.1: an
 * implementation in another language is correct when it reproduces every row.
 */
import {
  ShardMapError,
  databaseUrlFor,
  isShardMapError,
  murmur3_32,
  shardFor,
  shardPlacement,
  shardScore,
  shardStep,
  utf8Encode,
  validateShardMap,
} from './shard-map';
import type { PreviousPresence, ShardMap, ShardMapErrorCode, ShardStep } from './shard-map';

const P = 'demo-device-limit';
const DEFAULT = `${P}-default-rtdb`;
const P1 = `${P}-presence-1`;
const P2 = `${P}-presence-2`;
const P3 = `${P}-presence-3`;
const FOUR = [DEFAULT, P1, P2, P3];

function codeOf(run: () => unknown): ShardMapErrorCode | 'no error' {
  try {
    run();
  } catch (error) {
    if (isShardMapError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('murmur3_32 (MurmurHash3_x86_32)', () => {
  // Published reference values of the algorithm, so the building block is checked on its own.
  it.each<[string, number, number]>([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\u0000\u0000\u0000\u0000', 0, 0x2362f9de],
    ['abc', 0, 0xb3dd93fa],
    ['hello', 0, 0x248bfa47],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('%j with seed %i', (text, seed, expected) => {
    expect(murmur3_32(new TextEncoder().encode(text), undefined, seed)).toBe(expected);
  });

  it('hashes only the first `length` bytes', () => {
    const bytes = new TextEncoder().encode('hello, and more');
    expect(murmur3_32(bytes, 5)).toBe(0x248bfa47);
  });
});

describe('utf8Encode', () => {
  it.each(['', 'a', 'é', '€', '\u07ff', '\u0800', '\uffff', '😀', 'ユーザー-7', 'user-😀'])(
    '%j gives the bytes TextEncoder gives',
    (text) => {
      expect([...utf8Encode(text)]).toEqual([...new TextEncoder().encode(text)]);
    },
  );

  // Other platforms encode a lone surrogate differently (or cannot hold it), so it is refused.
  it.each(['\ud800', 'a\udc00b', 'end\ud83d'])('refuses the lone surrogate in %j', (text) => {
    expect(codeOf(() => utf8Encode(text))).toBe('invalid-uid');
  });
});

describe('docs/protocol.md §10.1 test vectors', () => {
  // [uid, scores of default-rtdb, presence-1, presence-2, presence-3, instance for k = 1, 2, 3, 4]
  const vectors: [string, [number, number, number, number], [string, string, string, string]][] = [
    [
      '2s5LmJ0rYUd8PpNUOZdXz9E3Kx43',
      [0x7d5ab6b4, 0x1a133487, 0x61a4a702, 0x49bd9a53],
      [DEFAULT, DEFAULT, DEFAULT, DEFAULT],
    ],
    ['alice@example.com', [0xdd8cdb34, 0xb2d6e33c, 0x4ad8e300, 0x80f4f236], [DEFAULT, DEFAULT, DEFAULT, DEFAULT]],
    ['user-2', [0x3db89a41, 0x7ef6223d, 0x5a17d933, 0x2ca1be1d], [DEFAULT, P1, P1, P1]],
    ['user-5', [0x200fbd0e, 0x172f92cd, 0x6a32cce2, 0xec742ae4], [DEFAULT, DEFAULT, P2, P3]],
    ['user-6', [0x7328f6eb, 0x8efee17c, 0xa2adb400, 0x12ecbae3], [DEFAULT, P1, P2, P2]],
    ['user-10', [0x2ae03b2a, 0x35ce59ab, 0x282d640d, 0x4a1c6437], [DEFAULT, P1, P1, P3]],
    ['ユーザー-7', [0x387d88f9, 0x2e1982f3, 0xcfcd9e72, 0x3f65356f], [DEFAULT, DEFAULT, P2, P2]],
    ['user-😀', [0x3a328f6c, 0xdfd050d3, 0x28563036, 0x800e90d4], [DEFAULT, P1, P1, P1]],
  ];

  it.each(vectors)('%s: scores', (uid, scores) => {
    expect(FOUR.map((instance) => shardScore(instance, uid))).toEqual(scores);
  });

  it.each(vectors)('%s: instance for the first k of the four', (uid, _scores, expected) => {
    expect([1, 2, 3, 4].map((k) => shardFor(uid, FOUR.slice(0, k)))).toEqual(expected);
  });

  it.each(vectors)('%s: the order of the list does not matter', (uid, _scores, expected) => {
    for (const order of permutations(FOUR)) expect(shardFor(uid, order)).toBe(expected[3]);
  });

  it('equal scores go to the name that sorts first', () => {
    // A real 32-bit collision, found by search, so the tie rule is exercised and not assumed.
    expect(shardScore('shard-uh2', 'tie-breaker-uid')).toBe(0x22408f82);
    expect(shardScore('shard-nly', 'tie-breaker-uid')).toBe(0x22408f82);
    expect(shardFor('tie-breaker-uid', ['shard-uh2', 'shard-nly'])).toBe('shard-nly');
    expect(shardFor('tie-breaker-uid', ['shard-nly', 'shard-uh2'])).toBe('shard-nly');
  });
});

describe('adding an instance', () => {
  const users = Array.from({ length: 20000 }, (_, i) => `property-user-${i}`);
  const instances = Array.from({ length: 9 }, (_, i) => (i === 0 ? DEFAULT : `${P}-presence-${i}`));

  it.each([1, 2, 4, 8])('from %i instances moves about 1/(k+1) of the users, all to the new one', (k) => {
    const before = instances.slice(0, k);
    const added = instances[k] as string;
    let moved = 0;
    const movedElsewhere: string[] = [];
    for (const uid of users) {
      const from = shardFor(uid, before);
      const to = shardFor(uid, [...before, added]);
      if (from === to) continue;
      moved++;
      if (to !== added) movedElsewhere.push(uid);
    }
    expect(movedElsewhere).toEqual([]);
    // 20,000 users: one standard deviation of the share is at most 0.0036; 0.015 is over 4 of them.
    expect(Math.abs(moved / users.length - 1 / (k + 1))).toBeLessThan(0.015);
  });

  it('spreads users evenly over 8 instances', () => {
    const counts = new Map<string, number>();
    for (const uid of users) {
      const instance = shardFor(uid, instances.slice(0, 8));
      counts.set(instance, (counts.get(instance) ?? 0) + 1);
    }
    expect(counts.size).toBe(8);
    for (const count of counts.values()) expect(Math.abs(count / 2500 - 1)).toBeLessThan(0.08);
  });
});

describe('validateShardMap', () => {
  it.each<[string, unknown, ShardMapErrorCode | 'no error']>([
    ['one instance', { instances: [DEFAULT] }, 'no error'],
    ['a migration', { instances: [DEFAULT, P1], epoch: 1, previous: [DEFAULT] }, 'no error'],
    ['not an object', null, 'invalid-map'],
    ['no instances', {}, 'empty-instances'],
    ['an empty list', { instances: [] }, 'empty-instances'],
    ['a duplicate', { instances: [DEFAULT, P1, DEFAULT] }, 'duplicate-instance'],
    ['upper case', { instances: ['Demo-default-rtdb'] }, 'invalid-instance'],
    ['a URL', { instances: [`https://${DEFAULT}.firebaseio.com`] }, 'invalid-instance'],
    ['a dot', { instances: ['demo.presence'] }, 'invalid-instance'],
    ['an underscore', { instances: ['demo_presence'] }, 'invalid-instance'],
    ['a leading digit', { instances: ['1-presence'] }, 'invalid-instance'],
    ['a trailing hyphen', { instances: ['presence-'] }, 'invalid-instance'],
    ['64 characters', { instances: [`a${'b'.repeat(63)}`] }, 'invalid-instance'],
    ['63 characters', { instances: [`a${'b'.repeat(62)}`] }, 'no error'],
    ['not a string', { instances: [7] }, 'invalid-instance'],
    ['a negative epoch', { instances: [DEFAULT], epoch: -1 }, 'invalid-epoch'],
    ['a fractional epoch', { instances: [DEFAULT], epoch: 1.5 }, 'invalid-epoch'],
    ['previous at epoch 0', { instances: [DEFAULT, P1], previous: [DEFAULT] }, 'invalid-previous'],
    ['an empty previous', { instances: [DEFAULT, P1], epoch: 1, previous: [] }, 'empty-instances'],
    ['a bad previous name', { instances: [DEFAULT], epoch: 1, previous: ['A'] }, 'invalid-instance'],
  ])('%s', (_name, map, expected) => {
    expect(codeOf(() => validateShardMap(map))).toBe(expected);
  });

  it('throws a ShardMapError that names the offending value', () => {
    let caught: unknown;
    try {
      shardFor('u1', [DEFAULT, DEFAULT]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ShardMapError);
    expect(caught).toMatchObject({ code: 'duplicate-instance', value: DEFAULT, name: 'ShardMapError' });
  });

  it.each<[string, unknown]>([
    ['an empty uid', ''],
    ['a number', 42],
  ])('shardFor refuses %s', (_name, uid) => {
    expect(codeOf(() => shardFor(uid as string, [DEFAULT]))).toBe('invalid-uid');
  });
});

describe('databaseUrlFor', () => {
  it.each<[string, Parameters<typeof databaseUrlFor>[1], string]>([
    [DEFAULT, undefined, `https://${DEFAULT}.firebaseio.com`],
    [P1, { region: 'us-central1' }, `https://${P1}.firebaseio.com`],
    [P1, { region: 'europe-west1' }, `https://${P1}.europe-west1.firebasedatabase.app`],
    [P2, { region: 'asia-southeast1' }, `https://${P2}.asia-southeast1.firebasedatabase.app`],
    [P1, { emulatorHost: '127.0.0.1:9000' }, `http://127.0.0.1:9000/?ns=${P1}`],
    [P1, { emulatorHost: '[::1]:9000', region: 'europe-west1' }, `http://[::1]:9000/?ns=${P1}`],
  ])('%s with %j', (instance, options, expected) => {
    expect(databaseUrlFor(instance, options)).toBe(expected);
  });

  it.each<[string, Parameters<typeof databaseUrlFor>[1], ShardMapErrorCode]>([
    ['Bad_Name', undefined, 'invalid-instance'],
    [P1, { region: 'Europe West' }, 'invalid-region'],
    [P1, { emulatorHost: 'http://127.0.0.1:9000' }, 'invalid-emulator-host'],
    [P1, { emulatorHost: '' }, 'invalid-emulator-host'],
  ])('refuses %s with %j', (instance, options, expected) => {
    expect(codeOf(() => databaseUrlFor(instance, options))).toBe(expected);
  });
});

describe('docs/protocol.md §10.3 migration steps', () => {
  // user-5 lives on presence-2 with three instances and on presence-3 with four (vectors above);
  // user-3 stays on default-rtdb in both.
  const migration: ShardMap = { instances: FOUR, epoch: 1, previous: [DEFAULT, P1, P2] };

  it('places a moved user on both instances, an unmoved one on one', () => {
    expect(shardPlacement('user-5', migration)).toEqual({ home: P3, previous: P2, epoch: 1 });
    expect(shardPlacement('user-3', migration)).toEqual({ home: DEFAULT, epoch: 1 });
    expect(shardPlacement('user-5', { instances: FOUR })).toEqual({ home: P3, epoch: 0 });
  });

  it.each<[string, string, ShardMap, PreviousPresence | undefined, ShardStep]>([
    ['no migration', 'user-5', { instances: FOUR, epoch: 3 }, undefined, { kind: 'serve', instance: P3 }],
    ['a user the migration did not move', 'user-3', migration, undefined, { kind: 'serve', instance: DEFAULT }],
    ['a moved user: read the old instance first', 'user-5', migration, undefined, { kind: 'read', instance: P2 }],
    [
      'devices still on the old instance: it keeps serving',
      'user-5',
      migration,
      { hasDevices: true },
      { kind: 'serve', instance: P2 },
    ],
    [
      'nothing on the old instance: fence it, then the new one',
      'user-5',
      migration,
      { hasDevices: false },
      { kind: 'fence', instance: P2, epoch: 1, then: P3 },
    ],
    [
      'an older fence does not count',
      'user-5',
      { ...migration, epoch: 4 },
      { hasDevices: false, movedOut: 2 },
      { kind: 'fence', instance: P2, epoch: 4, then: P3 },
    ],
    [
      'fenced in this epoch: the new instance',
      'user-5',
      migration,
      { hasDevices: false, movedOut: 1 },
      { kind: 'serve', instance: P3 },
    ],
    [
      'fenced by a newer map: fetch the map again',
      'user-5',
      migration,
      { hasDevices: false, movedOut: 2 },
      { kind: 'stale-map', movedOut: 2 },
    ],
  ])('%s', (_name, uid, map, observed, expected) => {
    expect(shardStep(uid, map, observed)).toEqual(expected);
  });

  // The functions never fence: they act on the old instance until someone else's fence is there.
  it.each<[string, PreviousPresence | undefined, ShardStep]>([
    ['before reading', undefined, { kind: 'read', instance: P2 }],
    ['nothing there, no fence', { hasDevices: false }, { kind: 'serve', instance: P2 }],
    ['devices there', { hasDevices: true }, { kind: 'serve', instance: P2 }],
    ['fenced in this epoch', { hasDevices: false, movedOut: 1 }, { kind: 'serve', instance: P3 }],
    ['fenced by a newer map', { hasDevices: false, movedOut: 3 }, { kind: 'stale-map', movedOut: 3 }],
  ])('server: %s', (_name, observed, expected) => {
    expect(shardStep('user-5', migration, observed, 'server')).toEqual(expected);
  });
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}
