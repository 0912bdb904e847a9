/**
 * The REST API (https://firebase.google.com/docs/reference/rest/database) and the tooling endpoints
 * firebase-tools and rules-unit-testing use (docs/wire-protocol.md §12, docs/wire-protocol.md §13).
 */
import { request as httpRequest } from 'node:http';
import { onValue, ref } from 'firebase/database';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { deleteAllApps, eventually, rest, webDatabase } from '../helpers/sdk';

const ns = freshNamespace('demo-rest');
const base = (): string => `http://${emulatorAddress().hostAndPort}`;

afterAll(deleteAllApps);

describe('data verbs', () => {
  test('PUT, GET, PATCH, POST and DELETE round-trip and answer as production', async () => {
    expect((await rest('PUT', 'verbs/a', ns, { body: { x: 1, y: { z: 'z' } } })).json).toEqual({ x: 1, y: { z: 'z' } });
    expect((await rest('GET', 'verbs/a', ns)).json).toEqual({ x: 1, y: { z: 'z' } });
    expect((await rest('PATCH', 'verbs/a', ns, { body: { x: 2, 'y/w': 'w' } })).json).toEqual({ x: 2, 'y/w': 'w' });
    expect((await rest('GET', 'verbs/a', ns)).json).toEqual({ x: 2, y: { z: 'z', w: 'w' } });
    const posted = await rest('POST', 'verbs/list', ns, { body: 'first' });
    const name = (posted.json as { name: string }).name;
    expect(name).toMatch(/^[-0-9A-Za-z_]{20}$/);
    const second = (await rest('POST', 'verbs/list', ns, { body: 'second' })).json as { name: string };
    expect(second.name > name).toBe(true);
    expect((await rest('GET', `verbs/list/${name}`, ns)).json).toBe('first');
    const deleted = await rest('DELETE', 'verbs/a', ns);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toBeNull();
    expect((await rest('GET', 'verbs/a', ns)).json).toBeNull();
  });

  test('a REST write reaches SDK listeners', async () => {
    const db = webDatabase(ns);
    const values: unknown[] = [];
    const stop = onValue(ref(db, 'verbs/live'), (s) => values.push(s.val()));
    await eventually(
      () => values.length,
      (n) => n === 1,
    );
    await rest('PUT', 'verbs/live', ns, { body: 7 });
    await eventually(
      () => values.at(-1),
      (v) => v === 7,
    );
    stop();
  });

  test('x-http-method-override turns a POST into another verb', async () => {
    await rest('POST', 'override', ns, { body: { a: 1 }, headers: { 'X-HTTP-Method-Override': 'PUT' } });
    expect((await rest('GET', 'override', ns)).json).toEqual({ a: 1 });
    await rest('POST', 'override', ns, { headers: { 'X-HTTP-Method-Override': 'DELETE' } });
    expect((await rest('GET', 'override', ns)).json).toBeNull();
  });

  test('server values are resolved and the reply carries the resolved data', async () => {
    const reply = await rest('PUT', 'sv', ns, { body: { t: { '.sv': 'timestamp' }, n: { '.sv': { increment: 2 } } } });
    const body = reply.json as { t: number; n: number };
    expect(body.n).toBe(2);
    expect(Math.abs(body.t - Date.now())).toBeLessThan(5000);
  });
});

describe('read options', () => {
  beforeAll(async () => {
    await rest('PUT', 'opts', ns, {
      body: { a: { '.value': 1, '.priority': 5 }, b: { deep: { er: true } }, c: 3, d: 'four' },
    });
  });

  test('print=pretty indents, print=silent answers 204 without a body', async () => {
    const pretty = await rest('GET', 'opts/b', ns, { params: { print: 'pretty' } });
    expect(pretty.text).toBe('{\n  "deep": {\n    "er": true\n  }\n}');
    const silent = await rest('PUT', 'silent', ns, { body: 1, params: { print: 'silent' } });
    expect(silent.status).toBe(204);
    expect(silent.text).toBe('');
  });

  test('shallow=true truncates children to true and keeps primitives', async () => {
    expect((await rest('GET', 'opts', ns, { params: { shallow: 'true' } })).json).toEqual({
      a: true,
      b: true,
      c: true,
      d: true,
    });
    expect((await rest('GET', 'opts/c', ns, { params: { shallow: 'true' } })).json).toBe(3);
    // firebase-tools' export probe
    expect(
      (await rest('GET', '', freshNamespace('demo-empty'), { params: { shallow: 'true', limitToFirst: '1' } })).json,
    ).toBeNull();
  });

  test('format=export keeps priorities; plain reads drop them', async () => {
    expect(
      ((await rest('GET', 'opts', ns, { params: { format: 'export' } })).json as Record<string, unknown>)['a'],
    ).toEqual({
      '.value': 1,
      '.priority': 5,
    });
    expect(((await rest('GET', 'opts', ns)).json as Record<string, unknown>)['a']).toBe(1);
  });

  test.each<[Record<string, string>, unknown]>([
    [
      { orderBy: '"$key"', startAt: '"b"' },
      { b: { deep: { er: true } }, c: 3, d: 'four' },
    ],
    [
      { orderBy: '"$key"', limitToFirst: '2' },
      { a: 1, b: { deep: { er: true } } },
    ],
    [{ orderBy: '"$value"', equalTo: '3' }, { c: 3 }],
    [
      { orderBy: '"$value"', startAfter: '3' },
      { d: 'four', b: { deep: { er: true } } },
    ],
    [{ orderBy: '"$priority"', limitToLast: '1' }, { a: 1 }],
    [{ orderBy: '"deep/er"', equalTo: 'true' }, { b: { deep: { er: true } } }],
    [{ orderBy: '"$key"', endBefore: '"b"' }, { a: 1 }],
  ])('query %j', async (params, expected) => {
    expect((await rest('GET', 'opts', ns, { params })).json).toEqual(expected);
  });

  test.each<[string, Record<string, string>]>([
    ['a filter without orderBy', { startAt: '1' }],
    ['orderBy that is not JSON', { orderBy: '$key' }],
    ['both limits', { orderBy: '"$key"', limitToFirst: '1', limitToLast: '1' }],
    ['a negative limit', { orderBy: '"$key"', limitToFirst: '-1' }],
    ['an object as a bound', { orderBy: '"$value"', startAt: '{"a":1}' }],
  ])('400 for %s', async (_name, params) => {
    const reply = await rest('GET', 'opts', ns, { params });
    expect(reply.status).toBe(400);
    expect(typeof (reply.json as { error: unknown }).error).toBe('string');
  });
});

describe('ETags and conditional writes', () => {
  test('X-Firebase-ETag returns an ETag; if-match writes only on a match, else 412 with the current value', async () => {
    const empty = await rest('GET', 'etag/x', ns, { headers: { 'X-Firebase-ETag': 'true' } });
    expect(empty.headers.get('etag')).toBe('null_etag');
    const created = await rest('PUT', 'etag/x', ns, {
      body: 'v1',
      headers: { 'if-match': 'null_etag', 'X-Firebase-ETag': 'true' },
    });
    expect(created.status).toBe(200);
    const etag = created.headers.get('etag') as string;
    expect(etag).not.toBe('null_etag');
    const conflict = await rest('PUT', 'etag/x', ns, { body: 'v2', headers: { 'if-match': 'null_etag' } });
    expect(conflict.status).toBe(412);
    expect(conflict.headers.get('etag')).toBe(etag);
    expect(conflict.json).toBe('v1');
    const updated = await rest('PUT', 'etag/x', ns, { body: 'v2', headers: { 'if-match': etag } });
    expect(updated.status).toBe(200);
    expect((await rest('GET', 'etag/x', ns)).json).toBe('v2');
    const staleDelete = await rest('DELETE', 'etag/x', ns, { headers: { 'if-match': etag } });
    expect(staleDelete.status).toBe(412);
  });
});

describe('errors in production form', () => {
  test.each<[string, string, string, Parameters<typeof rest>[3], number]>([
    ['an invalid key', 'PUT', 'bad/a$b', { body: 1 }, 400],
    ['invalid JSON', 'PUT', 'bad/json', { rawBody: '{"a":' }, 400],
    ['a PATCH that is not an object', 'PATCH', 'bad/patch', { body: 5 }, 400],
    ['an invalid child key in the data', 'PUT', 'bad/data', { body: { 'a.b': 1 } }, 400],
    ['an unreadable token', 'GET', 'bad', { auth: 'not-a-token' }, 401],
    ['an unknown method', 'PROPFIND', 'bad', {}, 405],
  ])('%s', async (_name, method, path, options, status) => {
    const reply = await rest(method, path, ns, options);
    expect(reply.status).toBe(status);
    expect(typeof (reply.json as { error: unknown }).error).toBe('string');
  });

  test('404 for a path without .json and for unknown tooling endpoints', async () => {
    expect((await fetch(`${base()}/no-json-suffix?ns=${ns}`)).status).toBe(404);
    expect((await fetch(`${base()}/.settings/unknown.json?ns=${ns}`)).status).toBe(404);
    expect((await fetch(`${base()}/.inspect/nothing?ns=${ns}`)).status).toBe(404);
  });

  test('a write above the 256 MB REST limit is refused with 413 before its body is read', async () => {
    const { host, port } = emulatorAddress();
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest({
        host,
        port,
        method: 'PUT',
        path: `/big.json?ns=${ns}`,
        headers: { 'Content-Length': String(300 * 1024 * 1024) },
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body });
          request.destroy();
        });
      });
      request.on('error', reject);
      request.write(Buffer.alloc(1024));
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toEqual({ error: expect.stringContaining('exceeds the maximum size') });
    expect((await rest('GET', 'verbs', ns)).status).toBe(200);
  });
});

describe('tooling endpoints', () => {
  test('rules: PUT as owner, GET returns the source text with comments, bad rules are a 400 with {error}', async () => {
    const rulesNs = freshNamespace('demo-rest-rules');
    const source = '{\n  // a comment\n  "rules": { ".read": true, ".write": true }\n}';
    const put = await fetch(`${base()}/.settings/rules.json?ns=${rulesNs}`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer owner', 'Content-Type': 'text/plain;charset=UTF-8' },
      body: source,
    });
    expect(put.status).toBe(200);
    const got = await fetch(`${base()}/.settings/rules.json?ns=${rulesNs}`, {
      headers: { Authorization: 'Bearer owner' },
    });
    expect(await got.text()).toBe(source);
    const bad = await fetch(`${base()}/.settings/rules.json?ns=${rulesNs}`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer owner' },
      body: '{"rules": {".read": "auth.uid ==="}}',
    });
    expect(bad.status).toBe(400);
    expect(typeof ((await bad.json()) as { error: unknown }).error).toBe('string');
    const anonymous = await fetch(`${base()}/.settings/rules.json?ns=${rulesNs}`, { method: 'PUT', body: source });
    expect(anonymous.status).toBe(401);
  });

  test('functionTriggers registration answers {"status":"ok"}', async () => {
    const reply = await fetch(`${base()}/.settings/functionTriggers.json?ns=${ns}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer owner', 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'projects/demo/locations/us-central1/triggers/onWrite',
        path: '/sessions/{uid}',
        event: 'google.firebase.database.ref.v1.written',
        topic: 'projects/demo/topics/onWrite',
        namespacePattern: '*',
      }),
    });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toEqual({ status: 'ok' });
  });

  test('/.inspect/databases.json lists the namespaces in use', async () => {
    await rest('PUT', 'inspect', ns, { body: true });
    const list = (await (await fetch(`${base()}/.inspect/databases.json?ns=demo-any`)).json()) as Array<{
      name: string;
    }>;
    expect(list.map((d) => d.name)).toContain(ns);
  });

  test('disableTriggers=true writes like any PUT (firebase-tools --import)', async () => {
    const reply = await rest('PUT', '', freshNamespace('demo-import'), {
      body: { imported: { '.priority': 1, v: true } },
      params: { disableTriggers: 'true', writeSizeLimit: 'unlimited' },
    });
    expect(reply.status).toBe(200);
  });
});
