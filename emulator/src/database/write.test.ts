import { EMPTY_NODE, nodeFromJSON, nodeToJSON } from './node';
import { isServerValue, resolveServerValue } from './server-values';
import { planSet, planUpdate } from './write';
import { errorCodeOf } from '../../../test/helpers/database-errors';

const codeOf = errorCodeOf;

const NOW = 1_700_000_000_000;

const setAt = (existing: unknown, path: string[], value: unknown): unknown =>
  nodeToJSON(planSet(nodeFromJSON(existing), path, value, NOW).newRoot, true);

describe('planSet', () => {
  it.each<[string, unknown, string[], unknown, unknown]>([
    ['replaces a subtree', { a: { x: 1, y: 2 } }, ['a'], { z: 3 }, { a: { z: 3 } }],
    ['null deletes, and empty parents vanish', { a: { b: 1 } }, ['a', 'b'], null, null],
    ['{} deletes', { a: 1, b: 2 }, ['a'], {}, { b: 2 }],
    [
      'arrays become integer-keyed objects, null elements dropped',
      null,
      ['l'],
      [1, null, 3],
      { l: { '0': 1, '2': 3 } },
    ],
    [
      'export format: leaf with priority',
      null,
      ['a'],
      { '.value': 'v', '.priority': 1 },
      { a: { '.value': 'v', '.priority': 1 } },
    ],
    ['export format: object priority', null, ['a'], { x: 1, '.priority': 'p' }, { a: { x: 1, '.priority': 'p' } }],
    ['a priority alone is no data', null, ['a'], { '.priority': 5 }, null],
    ['setPriority through .priority', { a: { x: 1 } }, ['a', '.priority'], 7, { a: { x: 1, '.priority': 7 } }],
    ['setPriority null clears', { a: { '.value': 1, '.priority': 3 } }, ['a', '.priority'], null, { a: 1 }],
    ['setPriority on missing data is a no-op', { b: 1 }, ['a', '.priority'], 7, { b: 1 }],
    ['writing under a leaf replaces it', { a: 5 }, ['a', 'b'], 1, { a: { b: 1 } }],
    ['root set', { a: 1 }, [], { b: 2 }, { b: 2 }],
    ['timestamp server value', null, ['t'], { '.sv': 'timestamp' }, { t: NOW }],
    [
      'timestamp as priority',
      null,
      ['a'],
      { x: 1, '.priority': { '.sv': 'timestamp' } },
      { a: { x: 1, '.priority': NOW } },
    ],
    ['increment existing number', { n: 4 }, ['n'], { '.sv': { increment: 2 } }, { n: 6 }],
    ['increment missing', null, ['n'], { '.sv': { increment: 2 } }, { n: 2 }],
    ['increment string target', { n: '4' }, ['n'], { '.sv': { increment: 2 } }, { n: 2 }],
    ['increment object target', { n: { a: 1 } }, ['n'], { '.sv': { increment: 2 } }, { n: 2 }],
    ['increment doubles', { n: 0.5 }, ['n'], { '.sv': { increment: 0.25 } }, { n: 0.75 }],
    ['increment beyond 2^53 is a double', { n: 2 ** 53 }, ['n'], { '.sv': { increment: 2 ** 53 } }, { n: 2 ** 54 }],
    [
      'increment nested deep against the old child',
      { a: { b: { c: 1 } } },
      ['a'],
      { b: { c: { '.sv': { increment: 1 } }, d: { '.sv': { increment: 1 } } } },
      { a: { b: { c: 2, d: 1 } } },
    ],
    [
      'increment a priority',
      { a: { '.value': 1, '.priority': 2 } },
      ['a', '.priority'],
      { '.sv': { increment: 3 } },
      { a: { '.value': 1, '.priority': 5 } },
    ],
    [
      'server value inside .value',
      null,
      ['a'],
      { '.value': { '.sv': 'timestamp' }, '.priority': 1 },
      { a: { '.value': NOW, '.priority': 1 } },
    ],
  ])('%s', (_name, existing, path, value, expected) => {
    expect(setAt(existing, path, value)).toEqual(expected);
  });

  it('reports the written path, without a final .priority', () => {
    expect(planSet(EMPTY_NODE, ['a', '.priority'], 1, NOW).paths).toEqual([['a']]);
    expect(planSet(EMPTY_NODE, ['a', 'b'], 1, NOW).paths).toEqual([['a', 'b']]);
  });

  it.each<[string, string[], unknown]>([
    ['key with a dot', ['a'], { 'b.c': 1 }],
    ['key with a slash', ['a'], { 'b/c': 1 }],
    ['empty key', ['a'], { '': 1 }],
    ['key with a control character', ['a'], { 'x\n': 1 }],
    ['unknown metadata key', ['a'], { '.foo': 1 }],
    ['.value beside children', ['a'], { '.value': 1, b: 2 }],
    ['object in .value', ['a'], { '.value': { b: 1 } }],
    ['boolean priority', ['a'], { x: 1, '.priority': true }],
    ['object priority', ['a', '.priority'], { x: 1 }],
    ['unknown server value', ['a'], { '.sv': 'now' }],
    ['increment of a string', ['a'], { '.sv': { increment: '1' } }],
    ['too deep data', [], JSON.parse('{"k":'.repeat(33) + '1' + '}'.repeat(33))],
    ['key over 768 bytes', [], { ['k'.repeat(769)]: 1 }],
    ['key path over 768 bytes', ['a'.repeat(400)], { ['b'.repeat(400)]: 1 }],
    ['non-finite number', ['a'], Number.POSITIVE_INFINITY],
  ])('rejects %s with invalid_data', (_name, path, value) => {
    expect(codeOf(() => planSet(EMPTY_NODE, path, value, NOW))).toBe('invalid_data');
  });

  it('accepts 32 levels of data and a string of exactly 10 MiB', () => {
    const deep = JSON.parse('{"k":'.repeat(31) + '1' + '}'.repeat(31));
    expect(codeOf(() => planSet(EMPTY_NODE, ['top'], deep, NOW))).toBeUndefined();
    expect(codeOf(() => planSet(EMPTY_NODE, ['s'], 'x'.repeat(10 * 1024 * 1024), NOW))).toBeUndefined();
    expect(codeOf(() => planSet(EMPTY_NODE, ['s'], 'x'.repeat(10 * 1024 * 1024 + 1), NOW))).toBe('invalid_data');
  });

  it('names the production key rule in the message', () => {
    expect(() => planSet(EMPTY_NODE, ['a'], { 'b.c': 1 }, NOW)).toThrow(
      /Key value can't be empty or contain \$ # \[ \] \/ or \./,
    );
  });
});

describe('planUpdate', () => {
  const update = (existing: unknown, path: string[], children: Record<string, unknown>): unknown =>
    nodeToJSON(planUpdate(nodeFromJSON(existing), path, children, NOW).newRoot, true);

  it.each<[string, unknown, string[], Record<string, unknown>, unknown]>([
    ['merges children', { a: { x: 1, y: 2 } }, ['a'], { y: 3, z: 4 }, { a: { x: 1, y: 3, z: 4 } }],
    [
      'multi-segment and leading-slash keys (observed {"b/x":2,"c":[1,2,3]})',
      { a: { b: { x: 1, y: 1 } } },
      ['a'],
      { 'b/x': 2, '/c': [1, 2, 3] },
      { a: { b: { x: 2, y: 1 }, c: { '0': 1, '1': 2, '2': 3 } } },
    ],
    ['null deletes one location', { a: { x: 1, y: 2 } }, ['a'], { x: null }, { a: { y: 2 } }],
    ['.priority keys', { a: { b: 1 } }, ['a'], { 'b/.priority': 5 }, { a: { b: { '.value': 1, '.priority': 5 } } }],
    [
      'server values resolve against the state before the update',
      { c: 1 },
      [],
      { c: { '.sv': { increment: 1 } }, d: { '.sv': { increment: 1 } } },
      { c: 2, d: 1 },
    ],
    ['empty update changes nothing', { a: 1 }, ['a'], {}, { a: 1 }],
  ])('%s', (_name, existing, path, children, expected) => {
    expect(update(existing, path, children)).toEqual(expected);
  });

  it('reports one written path per key', () => {
    expect(planUpdate(EMPTY_NODE, ['a'], { 'b/x': 1, c: 2, 'd/.priority': 1 }, NOW).paths).toEqual([
      ['a', 'b', 'x'],
      ['a', 'c'],
      ['a', 'd'],
    ]);
  });

  it.each<[string, unknown]>([
    ['an ancestor and its descendant', { b: 1, 'b/c': 2 }],
    ['a value and its priority', { b: 1, 'b/.priority': 2 }],
    ['an array instead of an object', [1, 2]],
    ['an empty key', { '/': 1 }],
  ])('rejects %s', (_name, children) => {
    expect(codeOf(() => planUpdate(EMPTY_NODE, ['a'], children, NOW))).toMatch(/^invalid_(data|path)$/);
  });
});

describe('server values', () => {
  it('recognises {".sv": …} only on objects', () => {
    expect(isServerValue({ '.sv': 'timestamp' })).toBe(true);
    expect(isServerValue('timestamp')).toBe(false);
    expect(isServerValue(null)).toBe(false);
    expect(isServerValue([{ '.sv': 'timestamp' }])).toBe(false);
  });

  it.each<[unknown, unknown, unknown]>([
    ['timestamp', null, NOW],
    [{ increment: 1 }, 41, 42],
    [{ increment: 1 }, null, 1],
    [{ increment: -1.5 }, true, -1.5],
    [{ increment: 1 }, { a: 1 }, 1],
  ])('%j on %j -> %j', (sv, existing, expected) => {
    expect(resolveServerValue(sv, nodeFromJSON(existing), NOW)).toBe(expected);
  });
});
