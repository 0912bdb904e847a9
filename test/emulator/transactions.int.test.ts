/**
 * Transactions (hash compare, `datastale`, client retry; docs/wire-protocol.md §8) contended by several
 * app instances, and server values (`timestamp`, `increment`; docs/wire-protocol.md §7) with their edge cases.
 */
import {
  get,
  increment,
  onValue,
  ref,
  runTransaction,
  serverTimestamp,
  set,
  setWithPriority,
  update,
} from 'firebase/database';
import type { Database } from 'firebase/database';
import { freshNamespace } from '../helpers/emulator';
import { deleteAllApps, eventually, rest, webDatabase } from '../helpers/sdk';

const ns = freshNamespace('demo-tx');

afterAll(deleteAllApps);

function clients(count: number): Database[] {
  return Array.from({ length: count }, () => webDatabase(ns));
}

describe('transactions', () => {
  test('five app instances incrementing one counter concurrently lose no update', async () => {
    const dbs = clients(5);
    const perClient = 8;
    const results = await Promise.all(
      dbs.flatMap((db) =>
        Array.from({ length: perClient }, () =>
          runTransaction(ref(db, 'tx/counter'), (value: number | null) => (value ?? 0) + 1),
        ),
      ),
    );
    expect(results.every((r) => r.committed)).toBe(true);
    expect((await get(ref(webDatabase(ns), 'tx/counter'))).val()).toBe(dbs.length * perClient);
  });

  test('contended transactions on an object with priorities and tricky numbers still converge', async () => {
    const [a, b, c] = clients(3) as [Database, Database, Database];
    await set(ref(a, 'tx/obj'), {
      '.priority': 'p',
      n: 0.1,
      big: 1e21,
      neg: -0.5,
      s: 'é✓😀',
      list: { '1': true, '01': false, '10': 'x' },
    });
    await Promise.all(
      [a, b, c].flatMap((db) =>
        Array.from({ length: 4 }, () =>
          runTransaction(ref(db, 'tx/obj'), (value: Record<string, unknown> | null) => {
            if (value === null) return { n: 1 };
            return { ...value, n: (value['n'] as number) + 1 };
          }),
        ),
      ),
    );
    const final = await get(ref(webDatabase(ns), 'tx/obj'));
    expect(final.child('n').val()).toBeCloseTo(12.1);
    expect(final.child('s').val()).toBe('é✓😀');
  });

  test('a transaction started before any data arrived retries after datastale and sees the real value', async () => {
    await set(ref(webDatabase(ns), 'tx/existing'), 41);
    const fresh = webDatabase(ns);
    const seen: Array<number | null> = [];
    const result = await runTransaction(ref(fresh, 'tx/existing'), (value: number | null) => {
      seen.push(value);
      return (value ?? 0) + 1;
    });
    expect(result.committed).toBe(true);
    expect(result.snapshot.val()).toBe(42);
    expect(seen.at(-1)).toBe(41);
  });

  test('an aborted transaction writes nothing', async () => {
    const db = webDatabase(ns);
    await set(ref(db, 'tx/abort'), 'keep');
    const result = await runTransaction(ref(db, 'tx/abort'), () => undefined);
    expect(result.committed).toBe(false);
    expect((await rest('GET', 'tx/abort', ns)).json).toBe('keep');
  });

  test('a transaction resolving a server value commits the resolved value', async () => {
    const db = webDatabase(ns);
    const before = Date.now();
    const result = await runTransaction(ref(db, 'tx/stamp'), () => ({ at: serverTimestamp() }));
    expect(result.committed).toBe(true);
    const stored = (await rest('GET', 'tx/stamp/at', ns)).json as number;
    expect(stored).toBeGreaterThanOrEqual(before - 1000);
    expect(stored).toBeLessThanOrEqual(Date.now() + 1000);
  });
});

describe('server values', () => {
  test('timestamp resolves to server time, as a value and as a priority', async () => {
    const db = webDatabase(ns);
    const before = Date.now();
    await set(ref(db, 'sv/time'), { at: serverTimestamp() });
    // The typings only allow string | number | null, but the SDK sends a server value as a priority
    // (docs/wire-protocol.md §7).
    await setWithPriority(ref(db, 'sv/prio'), 'x', serverTimestamp() as unknown as number);
    const after = Date.now();
    const at = (await rest('GET', 'sv/time/at', ns)).json as number;
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(after + 1000);
    const exported = (await rest('GET', 'sv/prio', ns, { params: { format: 'export' } })).json as Record<
      string,
      number
    >;
    expect(exported['.priority']).toBeGreaterThanOrEqual(before - 1000);
  });

  test.each<[string, unknown, number]>([
    ['a missing value', null, 5],
    ['a number', 10, 15],
    ['a float', 1.5, 6.5],
    ['a string', 'ten', 5],
    ['a boolean', true, 5],
    ['an object', { a: 1 }, 5],
  ])('increment(5) on %s', async (_name, initial, expected) => {
    const db = webDatabase(ns);
    const path = `sv/inc-${String(_name).replace(/\W/g, '')}`;
    await set(ref(db, path), initial);
    await set(ref(db, path), increment(5));
    expect((await rest('GET', path, ns)).json).toBe(expected);
  });

  test('concurrent increments from several clients all count, also inside multi-path updates', async () => {
    const dbs = clients(4);
    await Promise.all(
      dbs.flatMap((db) =>
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0
            ? set(ref(db, 'sv/concurrent/counter'), increment(1))
            : update(ref(db, 'sv/concurrent'), { counter: increment(1), other: increment(2) }),
        ),
      ),
    );
    expect((await rest('GET', 'sv/concurrent', ns)).json).toEqual({ counter: 40, other: 40 });
  });

  test('a listener sees the resolved value, never the placeholder', async () => {
    const writer = webDatabase(ns);
    const reader = webDatabase(ns);
    const values: unknown[] = [];
    const stop = onValue(ref(reader, 'sv/watched'), (s) => values.push(s.val()));
    await eventually(
      () => values.length,
      (n) => n === 1,
    );
    await set(ref(writer, 'sv/watched'), { n: increment(3), t: serverTimestamp() });
    const last = (await eventually(
      () => values.at(-1),
      (v) => v !== null,
    )) as { n: number; t: number };
    stop();
    expect(last.n).toBe(3);
    expect(typeof last.t).toBe('number');
  });
});
