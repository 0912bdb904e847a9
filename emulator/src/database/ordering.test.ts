import { leafNode, nodeFromJSON } from './node';
import {
  compareIndexValues,
  KEY_INDEX,
  MAX_NAME,
  MAX_VALUE,
  MIN_NAME,
  nameCompare,
  PRIORITY_INDEX,
  sortedChildren,
  tryParseInt,
  VALUE_INDEX,
} from './ordering';

const sign = (n: number): number => Math.sign(n);

describe('tryParseInt (integer-like keys, 32-bit range)', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['01', 1],
    ['-1', -1],
    ['-01', -1],
    ['2147483647', 2147483647],
    ['-2147483648', -2147483648],
    ['2147483648', null],
    ['-2147483649', null],
    ['12345678901', null],
    ['00000000001', 1],
    ['1.5', null],
    ['+1', null],
    ['1e3', null],
    [' 1', null],
    ['', null],
    ['-', null],
  ])('%j -> %p', (key, parsed) => {
    expect(tryParseInt(key)).toBe(parsed);
  });
});

describe('nameCompare', () => {
  it.each([
    ['1', '01', -1],
    ['01', '001', -1],
    ['-1', '0', -1],
    ['-10', '-9', -1],
    ['9', '10', -1],
    ['2147483647', '2147483648', -1], // int before non-int
    ['2147483648', 'a', -1], // both strings: code unit order, '2' < 'a'
    ['-2147483648', '-2147483649', -1],
    ['10', 'a', -1],
    ['A', 'a', -1],
    ['a', 'b', -1],
    ['b', 'é', -1],
    ['z', '😀', -1],
    ['a', 'a', 0],
    [MIN_NAME, '-2147483648', -1],
    ['😀', MAX_NAME, -1],
  ])('%j vs %j -> %p', (a, b, expected) => {
    expect(sign(nameCompare(a, b))).toBe(expected);
    expect(sign(nameCompare(b, a))).toBe(-expected || 0);
  });

  it('sorts a mixed key set', () => {
    const keys = ['b', '10', 'a', '-1', '01', '1', '2147483648', '9', 'A', '0'];
    expect([...keys].sort(nameCompare)).toEqual(['-1', '0', '1', '01', '9', '10', '2147483648', 'A', 'a', 'b']);
  });
});

describe('compareIndexValues (orderByValue)', () => {
  const order = [
    nodeFromJSON(null),
    leafNode(false),
    leafNode(true),
    leafNode(-5),
    leafNode(0),
    leafNode(2.5),
    leafNode(''),
    leafNode('10'),
    leafNode('9'),
    leafNode('a'),
    nodeFromJSON({ z: 1 }),
  ];
  it('orders null < false < true < numbers < strings < objects', () => {
    for (let i = 0; i < order.length; i++) {
      for (let j = i + 1; j < order.length; j++) {
        expect([i, j, sign(compareIndexValues(order[i]!, order[j]!))]).toEqual([i, j, -1]);
        expect([j, i, sign(compareIndexValues(order[j]!, order[i]!))]).toEqual([j, i, 1]);
      }
    }
  });

  it('treats every object as equal and ignores leaf priorities', () => {
    expect(compareIndexValues(nodeFromJSON({ a: 1 }), nodeFromJSON({ b: { c: 2 } }))).toBe(0);
    expect(compareIndexValues(leafNode(1, 'x'), leafNode(1))).toBe(0);
  });

  it('puts MAX above objects', () => {
    expect(compareIndexValues(nodeFromJSON({ a: 1 }), MAX_VALUE)).toBe(-1);
    expect(compareIndexValues(MAX_VALUE, MAX_VALUE)).toBe(0);
  });
});

describe('sortedChildren', () => {
  const keysIn = (json: unknown, index: Parameters<typeof sortedChildren>[1]): string[] =>
    sortedChildren(nodeFromJSON(json), index).map((entry) => entry.name);

  it('priority index: none < numbers < strings, ties by key', () => {
    const json = {
      s2: { '.value': 1, '.priority': 'b' },
      s1: { '.value': 1, '.priority': 'a' },
      n10: { '.value': 1, '.priority': 10 },
      n2: { '.value': 1, '.priority': 2 },
      b: 1,
      a: { x: 1 },
      t: { '.value': 1, '.priority': 2 },
    };
    expect(keysIn(json, PRIORITY_INDEX)).toEqual(['a', 'b', 'n2', 't', 'n10', 's1', 's2']);
  });

  it('value index: type order then key', () => {
    const json = { o: { x: 1 }, s: 'a', n2: 2, n1: 1, t: true, f: false, z: 1 };
    expect(keysIn(json, VALUE_INDEX)).toEqual(['f', 't', 'n1', 'z', 'n2', 's', 'o']);
  });

  it('child index: missing child first, deep paths', () => {
    const json = { a: { s: { t: 3 } }, b: { s: { t: 1 } }, c: { other: 1 }, d: 5 };
    expect(keysIn(json, { kind: 'child', path: ['s', 't'] })).toEqual(['c', 'd', 'b', 'a']);
  });

  it('key index: integer-like keys numerically first', () => {
    expect(keysIn({ b: 1, '10': 1, '9': 1, '-3': 1, a: 1 }, KEY_INDEX)).toEqual(['-3', '9', '10', 'a', 'b']);
  });
});
