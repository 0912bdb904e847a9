import { isDatabaseError } from '../errors';
import { parsePath, pathCommonPrefix, pathContains, pathsOverlap, pathToString, pathWithoutPriority } from './path';

function parseError(path: string): string | undefined {
  try {
    parsePath(path);
    return undefined;
  } catch (error) {
    if (isDatabaseError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
}

describe('parsePath', () => {
  it.each([
    ['/', []],
    ['', []],
    ['/a/b', ['a', 'b']],
    ['a/b/', ['a', 'b']],
    ['//a///b//', ['a', 'b']],
    ['/a/.priority', ['a', '.priority']],
    ['/.priority', ['.priority']],
    ['/ünï/😀/ key /', ['ünï', '😀', ' key ']],
    ['/-1/01', ['-1', '01']],
  ])('%j -> %j', (path, segments) => {
    expect(parsePath(path)).toEqual(segments);
  });

  it.each([
    ['/a.b'],
    ['/a#'],
    ['/$x'],
    ['/a[0]'],
    ['/a]'],
    ['/a\u0000'],
    ['/tab\there'],
    ['/del\u007f'],
    ['/.priority/a'],
    ['/.value'],
    ['/.info/connected'],
  ])('%j is an invalid path, with the production message', (path) => {
    expect(parseError(path)).toBe('invalid_path: Invalid path: Invalid token in path');
  });

  it('accepts 32 levels and refuses 33', () => {
    expect(parsePath('/k'.repeat(32))).toHaveLength(32);
    expect(parseError('/k'.repeat(33))).toMatch(/^invalid_path: .*maximum depth.*\(32\)/);
  });

  it('does not count a final .priority as a level', () => {
    expect(parsePath('/k'.repeat(32) + '/.priority')).toHaveLength(33);
  });

  it('refuses a key over 768 UTF-8 bytes, counting bytes not characters', () => {
    expect(parsePath('/' + 'a'.repeat(767))).toHaveLength(1);
    expect(parseError('/' + 'a'.repeat(769))).toMatch(/^invalid_path: .*768 bytes/);
    // 'é' is 2 bytes in UTF-8: 385 of them are 770 bytes
    expect(parseError('/' + 'é'.repeat(385))).toMatch(/^invalid_path: .*768 bytes/);
  });

  it('refuses a whole path over 768 bytes (slashes counted, as the client does)', () => {
    const key = 'a'.repeat(100);
    expect(parsePath(('/' + key).repeat(7))).toHaveLength(7); // 707 bytes
    expect(parseError(('/' + key).repeat(8))).toMatch(/^invalid_path: .*768 bytes \(808\)/);
  });
});

describe('path relations', () => {
  it.each([
    [[], '/'],
    [['a'], '/a'],
    [['a', 'b'], '/a/b'],
  ])('pathToString(%j) = %j', (segments, text) => {
    expect(pathToString(segments)).toBe(text);
  });

  it.each([
    [[], ['a'], true, true],
    [['a'], ['a'], true, true],
    [['a'], ['a', 'b'], true, true],
    [['a', 'b'], ['a'], false, true],
    [['a'], ['b'], false, false],
    [['a', 'b'], ['a', 'c'], false, false],
    [['ab'], ['a', 'b'], false, false],
  ])('contains(%j, %j) = %p, overlap = %p', (a, b, contains, overlap) => {
    expect(pathContains(a, b)).toBe(contains);
    expect(pathsOverlap(a, b)).toBe(overlap);
  });

  it('computes common prefixes and strips a final .priority', () => {
    expect(pathCommonPrefix(['a', 'b', 'c'], ['a', 'b', 'd'])).toEqual(['a', 'b']);
    expect(pathCommonPrefix(['x'], ['y'])).toEqual([]);
    expect(pathWithoutPriority(['a', '.priority'])).toEqual(['a']);
    expect(pathWithoutPriority(['a'])).toEqual(['a']);
  });
});
