/**
 * Namespaces are isolated databases (`?ns=`, docs/wire-protocol.md §1.1); large messages cross the socket in both
 * directions (> 16 KiB, so the frame splitting of docs/wire-protocol.md §2.2 is exercised by the real SDK); production
 * limits on keys, depth and data are enforced with production-style errors.
 */
import { get, onValue, ref, set, update } from 'firebase/database';
import { setLogLevel } from 'firebase/app';
import { freshNamespace } from '../helpers/emulator';
import { adminDatabase, deleteAllApps, eventually, putRules, rest, webDatabase } from '../helpers/sdk';

afterAll(deleteAllApps);

// Denials are expected here; the SDK would log each one as a warning.
setLogLevel('error');

describe('namespaces', () => {
  const one = freshNamespace('demo-ns-one');
  const two = freshNamespace('demo-ns-two');

  test('the same path holds different data in two namespaces, and listeners do not cross', async () => {
    const a = webDatabase(one);
    const b = webDatabase(two);
    const seenInTwo: unknown[] = [];
    const stop = onValue(ref(b, 'shared/path'), (s) => seenInTwo.push(s.val()));
    await eventually(
      () => seenInTwo.length,
      (n) => n === 1,
    );
    await set(ref(a, 'shared/path'), 'from one');
    await set(ref(b, 'shared/path'), 'from two');
    await eventually(
      () => seenInTwo.at(-1),
      (v) => v === 'from two',
    );
    stop();
    expect(seenInTwo).toEqual([null, 'from two']);
    expect((await rest('GET', 'shared/path', one)).json).toBe('from one');
    expect((await rest('GET', 'shared/path', two)).json).toBe('from two');
  });

  test('rules are per namespace', async () => {
    const closed = freshNamespace('demo-ns-closed');
    const open = freshNamespace('demo-ns-open');
    await putRules(closed, { rules: { '.read': false, '.write': false } });
    await putRules(open, { rules: { '.read': true, '.write': true } });
    await expect(set(ref(webDatabase(closed), 'x'), 1)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await set(ref(webDatabase(open), 'x'), 1);
    expect((await rest('GET', 'x', open, { auth: null })).json).toBe(1);
  });

  test('firebase-admin picks the namespace from the database URL subdomain', async () => {
    const ns = freshNamespace('demo-ns-admin');
    await adminDatabase(ns).ref('via/admin').set('admin');
    expect((await rest('GET', 'via/admin', ns)).json).toBe('admin');
    expect((await rest('GET', 'via/admin', one)).json).toBeNull();
  });
});

describe('large messages (> 16 KiB) in both directions', () => {
  const ns = freshNamespace('demo-large');

  test('a 200 KB string and a 3000-child object written by one SDK client arrive intact at another', async () => {
    const writer = webDatabase(ns);
    const reader = webDatabase(ns);
    const text = 'é😀x'.repeat(50_000);
    const children: Record<string, { i: number; s: string }> = {};
    for (let i = 0; i < 3000; i++) children[`k${i}`] = { i, s: `value-${i}` };
    const seen: unknown[] = [];
    const stop = onValue(ref(reader, 'large'), (s) => seen.push(s.val()));
    await set(ref(writer, 'large/text'), text);
    await update(ref(writer, 'large'), { children });
    await eventually(
      () => seen.at(-1),
      (v) => (v as { children?: object } | null)?.children !== undefined,
      10_000,
    );
    stop();
    const last = seen.at(-1) as { text: string; children: typeof children };
    expect(last.text).toBe(text);
    expect(Object.keys(last.children)).toHaveLength(3000);
    expect(last.children['k2999']).toEqual({ i: 2999, s: 'value-2999' });
    expect((await get(ref(webDatabase(ns), 'large/text'))).val()).toBe(text);
  });
});

describe('limits and validation', () => {
  const ns = freshNamespace('demo-limits');

  test('a key longer than 768 bytes is an invalid path', async () => {
    const reply = await rest('PUT', `k/${'a'.repeat(769)}`, ns, { body: 1 });
    expect(reply.status).toBe(400);
    expect((reply.json as { error: string }).error).toMatch(/^Invalid path: /);
  });

  test('data deeper than 32 levels is refused', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 33; i++) deep = { d: deep };
    const reply = await rest('PUT', 'deep', ns, { body: deep });
    expect(reply.status).toBe(400);
    expect((reply.json as { error: string }).error).toMatch(/^Invalid data; .*maximum depth/);
    expect((await rest('GET', 'deep', ns)).json).toBeNull();
  });

  test('keys with forbidden characters inside data are refused as invalid data', async () => {
    for (const key of ['a.b', 'a#b', 'a$b', 'a[b', 'a]b', 'a/b\u0001']) {
      const reply = await rest('PUT', 'keys', ns, { body: { [key]: 1 } });
      expect([reply.status, key]).toEqual([400, key]);
      // The production text (Firebase "Realtime Database limits": keys cannot contain . $ # [ ] / or control characters).
      expect((reply.json as { error: string }).error).toMatch(
        /Key value can't be empty or contain \$ # \[ \] \/ or \./,
      );
    }
  });

  test('a write over 16 MB from an SDK is refused as too big and writes nothing', async () => {
    // "Size of a single write request to the database: 16 MB from the SDKs" (Realtime Database limits).
    // Two 9 MiB strings: each leaf stays under the client's own 10 MiB string limit.
    const nine = 'x'.repeat(9 * 1024 * 1024);
    const db = webDatabase(ns);
    await expect(set(ref(db, 'big'), { a: nine, b: nine })).rejects.toThrow(/^WRITE_TOO_BIG: /);
    expect((await rest('GET', 'big', ns, { params: { shallow: 'true' } })).json).toBeNull();
  });

  test('a multi-location update is atomic: one invalid location writes nothing', async () => {
    await rest('PUT', 'atomic', ns, { body: { a: 1, b: 1 } });
    const reply = await rest('PATCH', 'atomic', ns, { body: { a: 2, 'b/c.d': 2 } });
    expect(reply.status).toBe(400);
    expect((await rest('GET', 'atomic', ns)).json).toEqual({ a: 1, b: 1 });
  });
});
