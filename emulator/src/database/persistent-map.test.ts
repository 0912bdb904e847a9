import { nodeFromJSON, nodeGetAt, nodeSetAt, nodeToJSON, leafNode, EMPTY_NODE } from './node';
import { seededRandom } from '../../../test/helpers/random';
import { PersistentMap } from './persistent-map';

function expectSame(map: PersistentMap<number>, reference: Map<string, number>): void {
  expect(map.size).toBe(reference.size);
  expect(new Map(map)).toEqual(reference);
  for (const [key, value] of reference) expect(map.get(key)).toBe(value);
}

describe('PersistentMap', () => {
  test('behaves like a Map under random sets and deletes, and never changes an older version', () => {
    const next = seededRandom(42);
    let map = PersistentMap.empty<number>();
    const reference = new Map<string, number>();
    const snapshots: Array<[PersistentMap<number>, Map<string, number>]> = [];
    for (let step = 0; step < 6000; step++) {
      const key = `k${Math.floor(next() * 1500)}`;
      if (next() < 0.35) {
        map = map.without(key);
        reference.delete(key);
      } else {
        map = map.with(key, step);
        reference.set(key, step);
      }
      if (step % 500 === 0) snapshots.push([map, new Map(reference)]);
    }
    expectSame(map, reference);
    for (const [old, expected] of snapshots) expectSame(old, expected);
    expect(map.has('absent')).toBe(false);
    expect(map.get('absent')).toBeUndefined();
  });

  test('keys whose hashes collide (FNV-1a: costarring/liquid, declinate/macallums) are kept apart', () => {
    let map = PersistentMap.from<number>([
      ['costarring', 1],
      ['liquid', 2],
      ['declinate', 3],
      ['macallums', 4],
    ]);
    expect([map.get('costarring'), map.get('liquid'), map.get('declinate'), map.get('macallums')]).toEqual([
      1, 2, 3, 4,
    ]);
    map = map.with('liquid', 20).without('costarring');
    expect(map.size).toBe(3);
    expect(map.get('liquid')).toBe(20);
    expect(map.has('costarring')).toBe(false);
    map = map.without('liquid');
    expect(new Map(map)).toEqual(
      new Map([
        ['declinate', 3],
        ['macallums', 4],
      ]),
    );
  });

  test('removing an absent key returns the same map; emptying it gives size 0', () => {
    const map = PersistentMap.from([['a', 1]]);
    expect(map.without('b')).toBe(map);
    const empty = map.without('a');
    expect(empty.size).toBe(0);
    expect([...empty]).toEqual([]);
  });
});

describe('wide nodes in the tree', () => {
  test('writes under a node with many children share structure and keep older roots intact', () => {
    const users: Record<string, number> = {};
    for (let i = 0; i < 500; i++) users[`user${i}`] = i;
    const before = nodeFromJSON({ presence: users });
    const after = nodeSetAt(before, ['presence', 'user7'], leafNode(700));
    const removed = nodeSetAt(after, ['presence', 'user8'], EMPTY_NODE);
    expect(nodeGetAt(before, ['presence', 'user7'])).toEqual(leafNode(7));
    expect(nodeGetAt(after, ['presence', 'user7'])).toEqual(leafNode(700));
    expect(nodeGetAt(removed, ['presence', 'user8'])).toBe(EMPTY_NODE);
    expect(nodeGetAt(after, ['presence', 'user8'])).toEqual(leafNode(8));
    const json = nodeToJSON(removed) as { presence: Record<string, number> };
    expect(Object.keys(json.presence)).toHaveLength(499);
    expect(json.presence.user7).toBe(700);
  });
});
