/**
 * `startEmulator` in-process: options the conformance suite cannot reach through
 * FIREBASE_DATABASE_EMULATOR_HOST (dead-socket detection with a short heartbeat, import/export,
 * default rules, explain-denials, coverage, start errors).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deleteApp, initializeApp } from 'firebase/app';
import { connectDatabaseEmulator, getDatabase, onValue, ref, set } from 'firebase/database';
import WebSocket from 'ws';
import { startEmulator } from './emulator';
import type { EmulatorHandle } from './emulator';

const handles: EmulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.stop()));
});

async function start(options: Parameters<typeof startEmulator>[0]): Promise<EmulatorHandle> {
  const handle = await startEmulator({ port: 0, log: false, ...options });
  handles.push(handle);
  return handle;
}

async function getJson(
  handle: EmulatorHandle,
  pathAndQuery: string,
  auth = 'owner',
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://${handle.host}:${handle.port}${pathAndQuery}`, {
    headers: { Authorization: `Bearer ${auth}` },
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a socket that stops answering is closed by the heartbeat and its onDisconnect runs', async () => {
  const handle = await start({ heartbeatMs: 150 });
  const ws = new WebSocket(`ws://${handle.host}:${handle.port}/.ws?v=5&ns=hb`);
  const replies: string[] = [];
  ws.on('message', (data) => replies.push(data.toString()));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ t: 'd', d: { r: 1, a: 'o', b: { p: '/presence/u1', d: 'offline' } } }));
  await eventually(async () => replies.some((r) => r.includes('"r":1')));
  // Stop reading: the client no longer answers WebSocket pings, as a frozen peer or dead network.
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  await eventually(async () => (await getJson(handle, '/presence/u1.json?ns=hb')).body === 'offline', 3000);
  ws.terminate();
});

test('SDK clients (faye-websocket) answer the heartbeat pings and are never cut', async () => {
  // Server and SDK share this process's event loop, so the period leaves room for a GC pause or a
  // busy CI core: a stall longer than one period would look like a dead peer.
  const handle = await start({ heartbeatMs: 400 });
  const app = initializeApp(
    { projectId: 'demo-hb', databaseURL: `http://${handle.host}:${handle.port}?ns=hb2` },
    'heartbeat-test',
  );
  try {
    const db = getDatabase(app);
    connectDatabaseEmulator(db, handle.host, handle.port);
    const states: boolean[] = [];
    onValue(ref(db, '.info/connected'), (s) => states.push(s.val() as boolean));
    await set(ref(db, 'x'), 1);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // 7 heartbeat periods
    await set(ref(db, 'x'), 2);
    expect(states).toEqual([false, true]);
  } finally {
    await deleteApp(app);
  }
});

test('import (multi-namespace and plain tree), then export on stop', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rtdb-emulator-'));
  const multi = path.join(dir, 'multi.json');
  const plain = path.join(dir, 'plain.json');
  const exported = path.join(dir, 'export.json');
  writeFileSync(
    multi,
    JSON.stringify({ '.namespaces': { one: { a: 1 }, two: { b: { '.value': 2, '.priority': 1 } } } }),
  );
  writeFileSync(plain, JSON.stringify({ c: 3 }));
  const first = await startEmulator({ port: 0, log: false, importFile: multi });
  expect((await getJson(first, '/a.json?ns=one')).body).toBe(1);
  expect((await getJson(first, '/.json?ns=two&format=export')).body).toEqual({ b: { '.value': 2, '.priority': 1 } });
  await first.stop();

  const second = await startEmulator({
    port: 0,
    log: false,
    importFile: plain,
    project: 'demo-proj',
    exportOnExit: exported,
  });
  expect((await getJson(second, '/c.json?ns=demo-proj-default-rtdb')).body).toBe(3);
  await fetch(`http://${second.host}:${second.port}/d.json?ns=other`, {
    method: 'PUT',
    body: '{"e":{".value":5,".priority":"p"}}',
  });
  await second.stop();
  expect(JSON.parse(readFileSync(exported, 'utf8'))).toEqual({
    '.namespaces': { 'demo-proj-default-rtdb': { c: 3 }, other: { d: { e: { '.value': 5, '.priority': 'p' } } } },
  });
});

test('default rules apply to every namespace; explain-denials logs why; coverage is served', async () => {
  const lines: string[] = [];
  const rules = '{ "rules": { "open": { ".read": true, ".write": true }, "closed": { ".read": "auth != null" } } }';
  const handle = await start({ rules, explainDenials: true, log: (line) => lines.push(line) });
  expect((await getJson(handle, '/open.json?ns=any', 'none.a.b')).status).toBe(401);
  expect((await getJson(handle, '/closed.json?ns=any1', '')).status).toBe(401);
  expect((await getJson(handle, '/open.json?ns=any2', '')).status).toBe(200);
  expect(lines.some((line) => line.startsWith('[denied] any1: read /closed as unauthenticated: '))).toBe(true);
  const rulesText = await fetch(`http://${handle.host}:${handle.port}/.settings/rules.json?ns=any1`, {
    headers: { Authorization: 'Bearer owner' },
  });
  expect(await rulesText.text()).toBe(rules);
  const coverage = await getJson(handle, '/.inspect/coverage?ns=any1');
  expect(coverage.status).toBe(200);
  expect(coverage.body).toHaveProperty('expressions');
  const html = await fetch(`http://${handle.host}:${handle.port}/.inspect/coverage.html?ns=any1`);
  expect(html.headers.get('content-type')).toMatch(/text\/html/);
});

test('an unindexed orderByChild query logs the warning the real server gives, an indexed one does not', async () => {
  const lines: string[] = [];
  const rules = JSON.stringify({
    rules: { '.read': true, scores: { '.indexOn': 'score' }, players: {} },
  });
  const handle = await start({ rules, log: (line) => lines.push(line) });
  const query = 'orderBy=%22score%22&limitToFirst=2';
  expect((await getJson(handle, `/scores.json?ns=idx&${query}`, '')).status).toBe(200);
  expect(lines.filter((line) => line.includes('.indexOn'))).toEqual([]);
  expect((await getJson(handle, `/players.json?ns=idx&${query}`, '')).status).toBe(200);
  expect(lines).toContainEqual(
    '[warn] idx: Using an unspecified index. Your data will be downloaded and filtered on the client. ' +
      'Consider adding ".indexOn": "score" at /players to your security rules for better performance.',
  );
});

test('start errors are typed and name the cause', async () => {
  await expect(
    startEmulator({ port: 0, log: false, rules: '{"rules": {".read": "auth.uid ==="}}' }),
  ).rejects.toMatchObject({
    code: 'emulator_start_failed',
    message: expect.stringMatching(/Invalid rules/),
  });
  await expect(startEmulator({ port: 0, log: false, rulesFile: '/no/such/rules.json' })).rejects.toThrow(
    /rulesFile \/no\/such\/rules.json/,
  );
  const handle = await start({});
  await expect(startEmulator({ port: handle.port, log: false })).rejects.toThrow(
    /Cannot listen on 127.0.0.1:\d+: EADDRINUSE/,
  );
});
