import { isDatabaseError } from '../errors';
import type { QueryParams } from './access';
import { type DbNode, nodeChild, nodeFromJSON, nodeSetAt, nodeToJSON } from './node';
import { applyQuery, compileQuery, runQueryWindow, updateQueryWindow } from './query';
import { seededRandom } from '../../../test/helpers/random';

const players = {
  alice: { score: 10, age: 30, '.priority': 2 },
  bob: { score: 5, age: 30 },
  carol: { score: 10, age: 25, '.priority': 'x' },
  dave: { age: 40 },
  erin: { score: 'high', age: 30, '.priority': 1 },
  '7': { score: 7, age: 30, '.priority': 1 },
  '.priority': 'collection',
};

const keysOf = (json: unknown, query: QueryParams): string[] => {
  const result = nodeToJSON(applyQuery(nodeFromJSON(json), query), true);
  return result === null
    ? []
    : Object.keys(result as object)
        .filter((key) => !key.startsWith('.'))
        .sort();
};

describe('applyQuery: every query form (wire encodings as the SDK sends them, docs/wire-protocol.md §5.2)', () => {
  it.each<[string, QueryParams, string[]]>([
    // orderByChild
    ['orderByChild startAt', { i: 'score', sp: 7, sin: true }, ['7', 'alice', 'carol', 'erin']],
    [
      'orderByChild startAfter (sn [MAX_NAME])',
      { i: 'score', sp: 7, sn: '[MAX_NAME]', sin: false },
      ['alice', 'carol', 'erin'],
    ],
    ['orderByChild endAt', { i: 'score', ep: 7, ein: true }, ['7', 'bob', 'dave']],
    ['orderByChild endBefore (en [MIN_NAME])', { i: 'score', ep: 7, en: '[MIN_NAME]', ein: false }, ['bob', 'dave']],
    ['orderByChild equalTo', { i: 'score', sp: 10, sin: true, ep: 10, ein: true }, ['alice', 'carol']],
    [
      'orderByChild equalTo with key',
      { i: 'score', sp: 10, sn: 'carol', sin: true, ep: 10, en: 'carol', ein: true },
      ['carol'],
    ],
    ['orderByChild startAt with key tie-break', { i: 'score', sp: 10, sn: 'b', sin: true }, ['carol', 'erin']],
    [
      'orderByChild endAt with key tie-break',
      { i: 'score', ep: 10, en: 'b', ein: true },
      ['7', 'alice', 'bob', 'dave'],
    ],
    [
      'orderByChild startAt(null) includes missing children',
      { i: 'score', sp: null, sin: true, ep: null, ein: true },
      ['dave'],
    ],
    ['orderByChild limitToFirst', { i: 'score', l: 2, vf: 'l' }, ['bob', 'dave']],
    ['orderByChild limitToLast', { i: 'score', l: 2, vf: 'r' }, ['carol', 'erin']],
    [
      'orderByChild startAfter + limitToLast',
      { i: 'score', sp: 5, sn: '[MAX_NAME]', sin: false, l: 3, vf: 'r' },
      ['alice', 'carol', 'erin'],
    ],
    ['orderByChild strings after numbers', { i: 'score', sp: 'a', sin: true }, ['erin']],
    ['orderByChild deep path', { i: 'a/b', sp: 2, sin: true }, []],
    // orderByKey
    ['orderByKey startAt', { i: '.key', sp: 'b', sin: true }, ['bob', 'carol', 'dave', 'erin']],
    ['orderByKey startAfter', { i: '.key', sp: 'bob', sin: false }, ['carol', 'dave', 'erin']],
    ['orderByKey endBefore', { i: '.key', ep: 'bob', ein: false }, ['7', 'alice']],
    ['orderByKey endAt: integer keys first', { i: '.key', ep: '9', ein: true }, ['7']],
    ['orderByKey equalTo', { i: '.key', sp: 'dave', sin: true, ep: 'dave', ein: true }, ['dave']],
    [
      'orderByKey startAfter + endBefore',
      { i: '.key', sp: 'alice', sin: false, ep: 'erin', ein: false },
      ['bob', 'carol', 'dave'],
    ],
    ['orderByKey limitToLast', { i: '.key', l: 1, vf: 'r' }, ['erin']],
    // orderByPriority (no `i`)
    ['orderByPriority startAt(null) endAt(1)', { sp: null, sin: true, ep: 1, ein: true }, ['7', 'bob', 'dave', 'erin']],
    ['orderByPriority startAt number', { sp: 2, sin: true }, ['alice', 'carol']],
    ['orderByPriority strings after numbers', { sp: 'a', sin: true }, ['carol']],
    ['orderByPriority endAt(1, "7")', { ep: 1, en: '7', ein: true }, ['7', 'bob', 'dave']],
    ['orderByPriority limitToFirst', { l: 3, vf: 'l' }, ['7', 'bob', 'dave']],
    ['limitToLast(1) alone (observed encoding)', { l: 1, vf: 'r' }, ['carol']],
    ['orderByPriority startAt("m") endAt("z")', { sp: 'm', sin: true, ep: 'z', ein: true }, ['carol']],
  ])('%s', (_name, query, expected) => {
    expect(keysOf(players, query)).toEqual(expected);
  });

  it.each<[string, QueryParams, unknown]>([
    [
      'orderByValue endBefore + limitToFirst (observed encoding)',
      { ep: 10, en: '[MIN_NAME]', ein: false, l: 2, vf: 'l', i: '.value' },
      { f: false, t: true },
    ],
    ['orderByValue startAt number', { i: '.value', sp: 3, sin: true }, { n3: 3, n10: 10, s: 'a', o: { x: 1 } }],
    ['orderByValue booleans', { i: '.value', sp: false, sin: true, ep: true, ein: true }, { f: false, t: true }],
    ['orderByValue strings only', { i: '.value', sp: '', sin: true, ep: 'zzz', ein: true }, { s: 'a' }],
    ['orderByValue limitToLast: objects sort last', { i: '.value', l: 1, vf: 'r' }, { o: { x: 1 } }],
  ])('%s', (_name, query, expected) => {
    const values = { n3: 3, n10: 10, f: false, t: true, s: 'a', o: { x: 1 } };
    expect(nodeToJSON(applyQuery(nodeFromJSON(values), query), true)).toEqual(expected);
  });
});

describe('applyQuery: result shape', () => {
  it("drops the queried node's own priority and keeps the children's", () => {
    const result = nodeToJSON(applyQuery(nodeFromJSON(players), { sp: 2, sin: true }), true);
    expect(result).toEqual({
      alice: { score: 10, age: 30, '.priority': 2 },
      carol: { score: 10, age: 25, '.priority': 'x' },
    });
  });

  it('returns the node untouched (priority kept) for a query that only orders', () => {
    const node = nodeFromJSON(players);
    expect(applyQuery(node, { i: 'score' })).toBe(node);
    expect(applyQuery(node, {})).toBe(node);
    expect(applyQuery(node, undefined)).toBe(node);
  });

  it('gives no data for a filtering query on a leaf', () => {
    expect(nodeToJSON(applyQuery(nodeFromJSON(5), { l: 1, vf: 'l' }))).toBeNull();
    expect(nodeToJSON(applyQuery(nodeFromJSON(5), { i: 'score' }))).toBe(5);
  });

  it('anchors a limit without vf to the start when a start is set (QueryParams.isViewFromLeft)', () => {
    expect(keysOf(players, { i: '.key', sp: 'b', sin: true, l: 1 })).toEqual(['bob']);
    expect(keysOf(players, { i: '.key', l: 1 })).toEqual(['erin']);
  });

  it('is right where the SDK fast path is not: priority-index limitToLast with an end value and no child priorities', () => {
    // The SDK's LimitedFilter would walk keys from the end bound's name ("001" = 1) and answer {"-5": …};
    // every child has no priority, which sorts below "a", so the last child by key is the answer.
    const data = { '-5': 1, '12345678901': 2, b: 3, é: 4 };
    expect(keysOf(data, { ep: 'a', en: '001', ein: false, l: 1, vf: 'r' })).toEqual(['é']);
  });
});

describe('applyQuery: invalid queries', () => {
  it.each<[string, QueryParams]>([
    ['limit 0', { l: 0, vf: 'l' }],
    ['fractional limit', { l: 1.5, vf: 'l' }],
    ['orderByKey with a number bound', { i: '.key', sp: 3, sin: true }],
    ['index path with invalid key', { i: 'a/$b', sp: 1, sin: true }],
    ['non-string sn', { sp: 1, sn: 5 as unknown as string, sin: true }],
  ])('%s -> invalid_query', (_name, query) => {
    let caught: unknown;
    try {
      applyQuery(nodeFromJSON(players), query);
    } catch (error) {
      caught = error;
    }
    expect(isDatabaseError(caught) && caught.code).toBe('invalid_query');
  });
});

describe('updateQueryWindow: incremental windows equal a full recompute', () => {
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '1', '2', '10'];
  const scalars = [null, false, true, 0, 1, 2, 3, 'x', 'y'];

  function randomChild(rand: () => number): unknown {
    const r = rand();
    if (r < 0.15) return null;
    const score = scalars[Math.floor(rand() * scalars.length)];
    if (r < 0.3) return { '.value': score ?? 1, '.priority': Math.floor(rand() * 3) };
    return { score, other: Math.floor(rand() * 3) };
  }

  function randomQuery(rand: () => number): QueryParams {
    const i = [undefined, '.value', '.key', 'score'][Math.floor(rand() * 4)];
    const bound = (): unknown =>
      i === '.key'
        ? keys[Math.floor(rand() * keys.length)]
        : i === undefined
          ? [null, 0, 1, 2][Math.floor(rand() * 4)]
          : scalars[Math.floor(rand() * scalars.length)];
    const q: Record<string, unknown> = i === undefined ? {} : { i };
    if (rand() < 0.4) Object.assign(q, { sp: bound(), sin: rand() < 0.7 });
    if (rand() < 0.4) Object.assign(q, { ep: bound(), ein: rand() < 0.7 });
    if (rand() < 0.8 || Object.keys(q).length <= 1)
      Object.assign(q, { l: 1 + Math.floor(rand() * 4), vf: rand() < 0.5 ? 'l' : 'r' });
    return q as QueryParams;
  }

  it('over 400 random write sequences, and mostly without recomputing', () => {
    const rand = seededRandom(99);
    let incremental = 0;
    let recomputed = 0;
    for (let run = 0; run < 400; run++) {
      const query = compileQuery(randomQuery(rand));
      let node: DbNode = nodeFromJSON(Object.fromEntries(keys.map((k) => [k, randomChild(rand)])));
      let window = runQueryWindow(query, node);
      for (let step = 0; step < 25; step++) {
        const key = keys[Math.floor(rand() * keys.length)] as string;
        // either replace the child or touch a field the index may not read
        const path = rand() < 0.3 ? [key, 'other'] : [key];
        node = nodeSetAt(node, path, nodeFromJSON(path.length === 2 ? Math.floor(rand() * 3) : randomChild(rand)));
        const updated = updateQueryWindow(query, window, key, nodeChild(node, key));
        if (updated === undefined) recomputed++;
        else incremental++;
        window = updated ?? runQueryWindow(query, node);
        const expected = runQueryWindow(query, node);
        expect(nodeToJSON(window.result, true)).toEqual(nodeToJSON(expected.result, true));
        expect(window.entries.map((e) => e.name)).toEqual(expected.entries.map((e) => e.name));
      }
    }
    expect(incremental).toBeGreaterThan(recomputed * 3);
  });
});
