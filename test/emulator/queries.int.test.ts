/**
 * Every query form, evaluated by the server (`get()` returns the server's answer unfiltered, docs/wire-protocol.md §5.4
 * item 4) and kept live by tagged listens (docs/wire-protocol.md §5.1, docs/wire-protocol.md §5.4 item 3). Ordering
 * rules: docs/wire-protocol.md §5.5.
 */
import {
  endAt,
  endBefore,
  equalTo,
  get,
  limitToFirst,
  limitToLast,
  onValue,
  orderByChild,
  orderByKey,
  orderByPriority,
  orderByValue,
  query,
  ref,
  remove,
  set,
  startAfter,
  startAt,
} from 'firebase/database';
import type { Database, DataSnapshot, QueryConstraint } from 'firebase/database';
import { freshNamespace } from '../helpers/emulator';
import { deleteAllApps, eventually, webDatabase } from '../helpers/sdk';

const ns = freshNamespace('demo-queries');
let writer: Database;

function keysOf(snapshot: DataSnapshot): string[] {
  const keys: string[] = [];
  snapshot.forEach((child) => {
    keys.push(child.key as string);
  });
  return keys;
}

/** A fresh app per get: no active listener may answer it from the client cache. */
async function serverKeys(path: string, ...constraints: QueryConstraint[]): Promise<string[]> {
  return keysOf(await get(query(ref(webDatabase(ns), path), ...constraints)));
}

beforeAll(async () => {
  writer = webDatabase(ns);
  await set(ref(writer, 'people'), {
    a: { age: 30 },
    b: { age: 25 },
    c: { age: 30 },
    d: { age: 40 },
    e: { name: 'no age' },
    f: { age: 'x' },
  });
  await set(ref(writer, 'keys'), { '1': 1, '2': 2, '10': 10, a: 'a', b: 'b', '-5': -5 });
  await set(ref(writer, 'values'), { f: false, t: true, one: 1, two: 2, s: 'str', o: { x: 1 } });
  await set(ref(writer, 'prios'), {
    p1: { '.value': 1, '.priority': 1 },
    p2: { '.value': 2, '.priority': 'b' },
    p3: 3,
    p4: { '.value': 4, '.priority': 'a' },
    p5: { '.value': 5, '.priority': 0 },
  });
  await set(ref(writer, 'nested'), { x: { meta: { rank: 2 } }, y: { meta: { rank: 1 } }, z: { other: 1 } });
});

afterAll(deleteAllApps);

describe('orderByChild (null < false < true < numbers < strings < objects; ties by key)', () => {
  const age = orderByChild('age');
  test.each<[string, QueryConstraint[], string[]]>([
    ['no filter', [], ['e', 'b', 'a', 'c', 'd', 'f']],
    ['startAt(30)', [startAt(30)], ['a', 'c', 'd', 'f']],
    ['startAt(30, "c")', [startAt(30, 'c')], ['c', 'd', 'f']],
    ['endAt(30)', [endAt(30)], ['e', 'b', 'a', 'c']],
    ['endAt(30, "a")', [endAt(30, 'a')], ['e', 'b', 'a']],
    ['equalTo(30)', [equalTo(30)], ['a', 'c']],
    ['equalTo(30, "c")', [equalTo(30, 'c')], ['c']],
    ['equalTo(null)', [equalTo(null)], ['e']],
    ['startAfter(30)', [startAfter(30)], ['d', 'f']],
    ['startAfter(30, "a")', [startAfter(30, 'a')], ['c', 'd', 'f']],
    ['endBefore(30)', [endBefore(30)], ['e', 'b']],
    ['endBefore(30, "c")', [endBefore(30, 'c')], ['e', 'b', 'a']],
    ['limitToFirst(2)', [limitToFirst(2)], ['e', 'b']],
    ['limitToLast(2)', [limitToLast(2)], ['d', 'f']],
    ['startAt(25) + limitToFirst(2)', [startAt(25), limitToFirst(2)], ['b', 'a']],
    ['endAt(40) + limitToLast(3)', [endAt(40), limitToLast(3)], ['a', 'c', 'd']],
    ['startAt(26) + endAt(39)', [startAt(26), endAt(39)], ['a', 'c']],
    ['startAt("a") (strings only)', [startAt('a')], ['f']],
  ])('%s', async (_name, constraints, expected) => {
    expect(await serverKeys('people', age, ...constraints)).toEqual(expected);
  });

  test('a nested child path (orderByChild("meta/rank"))', async () => {
    expect(await serverKeys('nested', orderByChild('meta/rank'))).toEqual(['z', 'y', 'x']);
    expect(await serverKeys('nested', orderByChild('meta/rank'), startAt(1))).toEqual(['y', 'x']);
  });
});

describe('orderByKey (integer-like keys first, numerically)', () => {
  test.each<[string, QueryConstraint[], string[]]>([
    ['no filter', [], ['-5', '1', '2', '10', 'a', 'b']],
    ['startAt("2")', [startAt('2')], ['2', '10', 'a', 'b']],
    ['startAfter("2")', [startAfter('2')], ['10', 'a', 'b']],
    ['endAt("10")', [endAt('10')], ['-5', '1', '2', '10']],
    ['endBefore("a")', [endBefore('a')], ['-5', '1', '2', '10']],
    ['equalTo("a")', [equalTo('a')], ['a']],
    ['limitToLast(2)', [limitToLast(2)], ['a', 'b']],
    ['startAt("1") + limitToFirst(2)', [startAt('1'), limitToFirst(2)], ['1', '2']],
  ])('%s', async (_name, constraints, expected) => {
    expect(await serverKeys('keys', orderByKey(), ...constraints)).toEqual(expected);
  });
});

describe('orderByValue', () => {
  test.each<[string, QueryConstraint[], string[]]>([
    ['no filter', [], ['f', 't', 'one', 'two', 's', 'o']],
    ['startAt(true)', [startAt(true)], ['t', 'one', 'two', 's', 'o']],
    ['startAt(1) + endAt("z")', [startAt(1), endAt('z')], ['one', 'two', 's']],
    ['endBefore(2) + limitToFirst(2)', [endBefore(2), limitToFirst(2)], ['f', 't']],
    ['equalTo(false)', [equalTo(false)], ['f']],
    ['limitToLast(1)', [limitToLast(1)], ['o']],
  ])('%s', async (_name, constraints, expected) => {
    expect(await serverKeys('values', orderByValue(), ...constraints)).toEqual(expected);
  });
});

describe('orderByPriority (none < numbers < strings)', () => {
  test.each<[string, QueryConstraint[], string[]]>([
    ['no filter', [], ['p3', 'p5', 'p1', 'p4', 'p2']],
    ['startAt(null) + endAt("a")', [startAt(null), endAt('a')], ['p3', 'p5', 'p1', 'p4']],
    ['startAt(1)', [startAt(1)], ['p1', 'p4', 'p2']],
    ['limitToLast(1)', [limitToLast(1)], ['p2']],
    ['limitToFirst(2)', [limitToFirst(2)], ['p3', 'p5']],
  ])('%s', async (_name, constraints, expected) => {
    expect(await serverKeys('prios', orderByPriority(), ...constraints)).toEqual(expected);
  });

  test('a limit without orderBy uses the priority order', async () => {
    expect(await serverKeys('prios', limitToFirst(1))).toEqual(['p3']);
  });
});

describe('tagged query listens stay correct as data changes', () => {
  test('limitToLast(2) refills its window when a member leaves and follows new members', async () => {
    const reader = webDatabase(ns);
    await set(ref(writer, 'live'), { a: 1, b: 2, c: 3 });
    const windows: string[][] = [];
    const stop = onValue(query(ref(reader, 'live'), orderByValue(), limitToLast(2)), (s) => windows.push(keysOf(s)));
    await eventually(
      () => windows.length,
      (n) => n === 1,
    );
    await remove(ref(writer, 'live/c'));
    await eventually(
      () => windows.at(-1),
      (w) => JSON.stringify(w) === '["a","b"]',
    );
    await set(ref(writer, 'live/e'), 10);
    await eventually(
      () => windows.at(-1),
      (w) => JSON.stringify(w) === '["b","e"]',
    );
    await set(ref(writer, 'live/z'), 0); // sorts first: outside the window
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
    expect(windows[0]).toEqual(['b', 'c']);
    expect(windows.at(-1)).toEqual(['b', 'e']);
    expect(windows.some((w) => w.includes('z'))).toBe(false);
  });

  test('two queries and a default listen on one path are each fed their own view', async () => {
    const reader = webDatabase(ns);
    await set(ref(writer, 'multi'), { a: 1, b: 2, c: 3, d: 4 });
    const first: string[][] = [];
    const range: string[][] = [];
    const all: string[][] = [];
    const stops = [
      onValue(query(ref(reader, 'multi'), orderByValue(), limitToFirst(1)), (s) => first.push(keysOf(s))),
      onValue(query(ref(reader, 'multi'), orderByValue(), startAt(2), endAt(3)), (s) => range.push(keysOf(s))),
      onValue(ref(reader, 'multi'), (s) => all.push(keysOf(s))),
    ];
    await eventually(
      () => all.length,
      (n) => n >= 1,
    );
    await set(ref(writer, 'multi/a'), 2.5);
    await eventually(
      () => all.at(-1)?.length,
      (n) => n === 4,
    );
    await eventually(
      () => range.at(-1),
      (r) => JSON.stringify(r) === '["b","a","c"]',
    );
    await eventually(
      () => first.at(-1),
      (f) => JSON.stringify(f) === '["b"]',
    );
    stops.forEach((stop) => stop());
  });

  test('an orderByKey equalTo get returns only that child', async () => {
    const snapshot = await get(query(ref(webDatabase(ns), 'keys'), orderByKey(), equalTo('10')));
    expect(snapshot.val()).toEqual({ '10': 10 });
  });
});
