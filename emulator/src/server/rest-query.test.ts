/**
 * REST query parameters → the wire query object (docs/wire-protocol.md §5.2), table-driven.
 */
import { plainValue, restQueryParams, shallowValue } from './rest-query';

describe('REST query parameters', () => {
  const q = (query: string): unknown => restQueryParams(new URLSearchParams(query));
  test.each<[string, unknown]>([
    ['', undefined],
    ['orderBy="$key"&startAt="b"', { i: '.key', sp: 'b', sin: true }],
    ['orderBy="$key"&startAfter="b"&endBefore="d"', { i: '.key', sp: 'b', sin: false, ep: 'd', ein: false }],
    ['orderBy="$value"&equalTo=3', { i: '.value', sp: 3, sin: true, ep: 3, ein: true }],
    ['orderBy="age"&startAfter=5&limitToLast=3', { i: 'age', sp: 5, sin: false, sn: '[MAX_NAME]', l: 3, vf: 'r' }],
    ['orderBy="age"&endBefore=10&limitToFirst=2', { i: 'age', ep: 10, ein: false, en: '[MIN_NAME]', l: 2, vf: 'l' }],
    ['orderBy="$priority"&startAt=null', { sp: null, sin: true }],
    ['limitToFirst=1', { l: 1, vf: 'l' }],
  ])('%s', (query, expected) => {
    expect(q(query)).toEqual(expected);
  });

  test.each([
    'startAt=1',
    'orderBy=$key',
    'orderBy=""',
    'orderBy="a"&limitToFirst=0',
    'orderBy="a"&limitToFirst=1.5',
    'orderBy="a"&startAt=[1]',
    'orderBy="a"&equalTo=1&startAt=1',
    'limitToFirst=1&limitToLast=1',
  ])('400 for %s', (query) => {
    expect(() => q(query)).toThrow(expect.objectContaining({ code: 'invalid_query' }));
  });

  test('shallow and plain conversions', () => {
    expect(shallowValue({ a: { b: 1 }, c: 2, '.priority': 1 })).toEqual({ a: true, c: true });
    expect(shallowValue({ '.value': 5, '.priority': 1 })).toBe(5);
    expect(shallowValue(null)).toBeNull();
    expect(plainValue({ a: { '.value': 1, '.priority': 2 }, b: { c: 1, '.priority': 'x' }, '.priority': 3 })).toEqual({
      a: 1,
      b: { c: 1 },
    });
  });
});
