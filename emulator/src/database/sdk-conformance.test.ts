/**
 * Conformance against the client itself: the SDK's compiled functions are the oracle ("SDK sources
 * in node_modules are the final word"). @firebase/database does not export its internals, so the
 * Node bundle is evaluated here with one extra line that exports them. Inputs are generated from a
 * seeded PRNG, so failures reproduce.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { doubleToIEEE754String, nodeHash } from './hash';
import { nodeFromJSON, nodeGetAt, nodeToJSON } from './node';
import { nameCompare } from './ordering';
import { applyQuery } from './query';
import { planSet } from './write';
import { seededRandom } from '../../../test/helpers/random';

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK internals are untyped here */
type Sdk = Record<string, any>;

function loadSdkInternals(): Sdk {
  const dir = path.dirname(require.resolve('@firebase/database/package.json'));
  const file = path.join(dir, 'dist', 'index.node.cjs.js');
  const names = [
    'nodeFromJSON',
    'doubleToIEEE754String',
    'nameCompare',
    'QueryParams',
    'queryParamsGetNodeFilter',
    'queryParamsStartAt',
    'queryParamsStartAfter',
    'queryParamsEndAt',
    'queryParamsEndBefore',
    'queryParamsLimitToFirst',
    'queryParamsLimitToLast',
    'queryParamsOrderBy',
    'queryParamsGetQueryObject',
    'PRIORITY_INDEX',
    'VALUE_INDEX',
    'KEY_INDEX',
    'PathIndex',
    'Path',
    'ChildrenNode',
    'resolveDeferredValueSnapshot',
  ];
  const source = `${fs.readFileSync(file, 'utf8')}\nexports.__internals = { ${names.join(', ')} };`;
  const module = { exports: {} as Sdk };
  new Function('exports', 'require', 'module', '__filename', '__dirname', source)(
    module.exports,
    createRequire(file),
    module,
    file,
    dir,
  );
  return module.exports['__internals'] as Sdk;
}

const sdk = loadSdkInternals();

const KEYS = [
  '0',
  '1',
  '01',
  '001',
  '-1',
  '-01',
  '2',
  '9',
  '10',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '12345678901',
  'a',
  'b',
  'B',
  'aa',
  'score',
  'é',
  '😀',
  'z',
  '-',
  '1a',
  ' ',
  '~',
];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function randomScalar(rand: () => number): unknown {
  switch (Math.floor(rand() * 7)) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor(rand() * 7) - 3;
    case 3:
      return (rand() - 0.5) * 1e6;
    case 4:
      return pick(rand, ['', 'a', 'b', 'A', '10', '9', 'é', '😀']);
    case 5:
      return pick(rand, [0, -0, 1.5, 2 ** 53 - 1, 3.9999999999999996, 1e-300, 5e-324, 1.7976931348623157e308]);
    default:
      return pick(rand, KEYS);
  }
}

function randomPriority(rand: () => number): unknown {
  const r = rand();
  if (r < 0.5) return undefined;
  if (r < 0.75) return Math.floor(rand() * 5) - 2;
  return pick(rand, ['a', 'b', '1', '']);
}

function randomValue(rand: () => number, depth: number): unknown {
  if (depth > 2 || rand() < 0.45) {
    const value = randomScalar(rand);
    const priority = randomPriority(rand);
    return priority === undefined || value === null ? value : { '.value': value, '.priority': priority };
  }
  const out: Record<string, unknown> = {};
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) out[pick(rand, KEYS)] = randomValue(rand, depth + 1);
  if (rand() < 0.4) out['score'] = randomScalar(rand);
  if (rand() < 0.2) out['a'] = { b: randomScalar(rand) };
  const priority = randomPriority(rand);
  if (priority !== undefined) out['.priority'] = priority;
  return out;
}

/** A collection to query: 2 to 9 children, sometimes with its own priority. */
function randomCollection(rand: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = 2 + Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) out[pick(rand, KEYS)] = randomValue(rand, 1);
  if (rand() < 0.3) out['.priority'] = pick(rand, [1, 'p']);
  return out;
}

function sdkExport(node: any): unknown {
  return node.isEmpty() ? null : node.val(true);
}

describe('hash: the known vectors', () => {
  it.each([
    ['hello', 'z6sRbrNLwbHX5fdjpvsTtWgXUFc='],
    [42, 'bQ5XV5L9riGZgerGMb/8Z87RxeI='],
    [null, ''],
    [{}, ''],
  ])('%j hashes to %j', (json, expected) => {
    expect(nodeHash(nodeFromJSON(json))).toBe(expected);
    expect(sdk['nodeFromJSON'](json).hash()).toBe(expected);
  });
});

describe('hash: equals the SDK on generated trees', () => {
  it('matches Node.hash() for 400 random trees with priorities, integer-like and non-ASCII keys', () => {
    const rand = seededRandom(7);
    for (let i = 0; i < 400; i++) {
      const json = randomValue(rand, 0);
      expect([json, nodeHash(nodeFromJSON(json))]).toEqual([json, sdk['nodeFromJSON'](json).hash()]);
    }
  });

  it('matches on strings with lone surrogates (the SDK UTF-8 encoder quirk)', () => {
    for (const s of ['\uD83D\uDE00', 'x\uDE00y', '\uDC00', 'a\uD800b']) {
      expect(nodeHash(nodeFromJSON(s))).toBe(sdk['nodeFromJSON'](s).hash());
    }
  });
});

describe('doubleToIEEE754String: the port equals the SDK, quirks included', () => {
  const edge = [
    0,
    -0,
    1,
    -1,
    0.1,
    1 / 3,
    2 ** 53,
    2 ** 53 - 1,
    3.9999999999999996,
    4,
    1e-300,
    5e-324,
    2.2250738585072014e-308,
    2.225073858507201e-308,
    1.7976931348623157e308,
    -1e21,
    123456789.123,
    2 ** 31,
    -(2 ** 31),
  ];
  it.each(edge)('%p', (v) => {
    expect(doubleToIEEE754String(v)).toBe(sdk['doubleToIEEE754String'](v));
  });

  it('matches on 20,000 random doubles over every magnitude', () => {
    const rand = seededRandom(11);
    const view = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 20000; i++) {
      view.setUint32(0, Math.floor(rand() * 2 ** 32));
      view.setUint32(4, Math.floor(rand() * 2 ** 32));
      const v = view.getFloat64(0);
      if (!Number.isFinite(v)) continue;
      const ours = doubleToIEEE754String(v);
      if (ours !== sdk['doubleToIEEE754String'](v)) throw new Error(`mismatch for ${v}`);
    }
  });
});

describe('nameCompare: equals the SDK', () => {
  it('agrees on the sign for every pair of the key pool', () => {
    const pool = [...KEYS, '[MIN_NAME]', '[MAX_NAME]'];
    for (const a of pool) {
      for (const b of pool) {
        expect([a, b, Math.sign(nameCompare(a, b))]).toEqual([a, b, Math.sign(sdk['nameCompare'](a, b))]);
      }
    }
  });
});

type Build = (params: any) => any;

function randomQuery(rand: () => number): Build {
  const kind = pick(rand, ['priority', 'value', 'key', 'child', 'deep']);
  const index = {
    priority: sdk['PRIORITY_INDEX'],
    value: sdk['VALUE_INDEX'],
    key: sdk['KEY_INDEX'],
    child: new sdk['PathIndex'](new sdk['Path']('score')),
    deep: new sdk['PathIndex'](new sdk['Path']('a/b')),
  }[kind];
  const bound = (): unknown => {
    if (kind === 'key') return pick(rand, KEYS);
    if (kind === 'priority') return pick(rand, [null, -1, 0, 1, 2, 'a', 'b', '']);
    return randomScalar(rand);
  };
  const name = (): string | undefined => (rand() < 0.5 || kind === 'key' ? undefined : pick(rand, KEYS));
  const steps: Build[] = [(p) => sdk['queryParamsOrderBy'](p, index)];
  const start = Math.floor(rand() * 3);
  const sv = bound();
  const sn = name();
  if (start === 1) steps.push((p) => sdk['queryParamsStartAt'](p, sv, sn));
  if (start === 2) steps.push((p) => sdk['queryParamsStartAfter'](p, sv, sn));
  const end = Math.floor(rand() * 3);
  const ev = bound();
  const en = name();
  if (end === 1) steps.push((p) => sdk['queryParamsEndAt'](p, ev, en));
  if (end === 2) steps.push((p) => sdk['queryParamsEndBefore'](p, ev, en));
  const limit = 1 + Math.floor(rand() * 4);
  const limitKind = Math.floor(rand() * 3);
  if (limitKind === 1) steps.push((p) => sdk['queryParamsLimitToFirst'](p, limit));
  if (limitKind === 2) steps.push((p) => sdk['queryParamsLimitToLast'](p, limit));
  return (params) => steps.reduce((acc, step) => step(acc), params);
}

/**
 * The client's LimitedFilter has a fast path (more than 2 × limit children) that, on the priority
 * index when no child has a priority (the SDK then keeps no priority index), walks children in KEY
 * order starting at the end bound's *name*: limitToLast with a non-null end value returns the wrong
 * window. The server must answer correctly; the client re-filters what we push (few children, the
 * other branch) and shows our result. Such cases are left out of the oracle comparison and pinned in
 * query.test.ts.
 */
function hitsClientReverseQuirk(json: unknown, wire: Record<string, unknown>): boolean {
  if (wire['i'] !== undefined || wire['vf'] !== 'r' || wire['ep'] === undefined || wire['ep'] === null) return false;
  if (typeof json !== 'object' || json === null || '.value' in json) return false;
  const children = Object.entries(json as Record<string, unknown>).filter(([k, v]) => !k.startsWith('.') && v !== null);
  const anyPriority = children.some(([, v]) => typeof v === 'object' && v !== null && '.priority' in v);
  return !anyPriority && children.length > 2 * (wire['l'] as number);
}

describe('query filtering: the wire query gives what the SDK filter computes', () => {
  it('matches on 3,000 random (data, query) pairs over every index and bound form', () => {
    const rand = seededRandom(3);
    let nonEmpty = 0;
    let narrowed = 0;
    for (let i = 0; i < 3000; i++) {
      const json = rand() < 0.05 ? randomValue(rand, 0) : randomCollection(rand);
      const params = randomQuery(rand)(new sdk['QueryParams']());
      const wire = sdk['queryParamsGetQueryObject'](params);
      if (hitsClientReverseQuirk(json, wire)) continue;
      const filter = sdk['queryParamsGetNodeFilter'](params);
      const expected = sdkExport(
        filter.updateFullNode(sdk['ChildrenNode'].EMPTY_NODE, sdk['nodeFromJSON'](json), null),
      );
      const actual = nodeToJSON(applyQuery(nodeFromJSON(json), wire), true);
      if (!isDeepStrictEqual(actual, expected)) {
        throw new Error(`case ${i}: ${JSON.stringify({ json, wire, expected, actual })}`);
      }
      if (actual !== null) nonEmpty++;
      const all = nodeToJSON(nodeFromJSON(json), true);
      if (
        actual !== null &&
        typeof all === 'object' &&
        Object.keys(actual as object).length < Object.keys(all as object).length
      )
        narrowed++;
    }
    // The generator must exercise real filtering, not mostly empty or untouched results.
    expect(nonEmpty).toBeGreaterThan(1500);
    expect(narrowed).toBeGreaterThan(1000);
  });
});

describe('server values: resolve like the SDK local estimate', () => {
  it.each([
    ['increment a number', 5, { '.sv': { increment: 2 } }],
    ['increment a missing value', null, { '.sv': { increment: 2 } }],
    ['increment a string', 'x', { '.sv': { increment: 2.5 } }],
    ['increment a boolean', true, { '.sv': { increment: -1 } }],
    ['increment an object', { a: 1 }, { '.sv': { increment: 3 } }],
    ['timestamp', 1, { '.sv': 'timestamp' }],
    [
      'nested',
      { n: 1, m: { k: 2 } },
      { n: { '.sv': { increment: 1 } }, m: { k: { '.sv': { increment: 1 } }, t: { '.sv': 'timestamp' } } },
    ],
    ['priority increment', { '.value': 1, '.priority': 4 }, { '.value': 1, '.priority': { '.sv': { increment: 1 } } }],
    ['priority timestamp', { a: 1 }, { a: 1, '.priority': { '.sv': 'timestamp' } }],
  ])('%s', (_name, existing, written) => {
    const now = 1_700_000_000_000;
    const root = nodeFromJSON({ x: existing });
    const ours = nodeToJSON(nodeGetAt(planSet(root, ['x'], written, now).newRoot, ['x']), true);
    const theirs = sdk['resolveDeferredValueSnapshot'](sdk['nodeFromJSON'](written), sdk['nodeFromJSON'](existing), {
      timestamp: now,
    });
    expect(ours).toEqual(sdkExport(theirs));
  });
});
