/**
 * The database profiler (`GET /.settings/profile.json`, the stream `firebase database:profile`
 * reads; docs/wire-protocol.md §17), driven by the real `firebase` and `firebase-admin` SDKs, REST
 * and a long-poll client: every operation is one event, in the form firebase-tools' profileReport
 * reads, with our `admin` and `error` fields. The endpoint is ours: the official emulator has none.
 */
import {
  get,
  goOffline,
  onDisconnect,
  onValue,
  orderByChild,
  query,
  ref,
  runTransaction,
  set,
  update,
  limitToFirst,
} from 'firebase/database';
import type { ProfileEvent } from '@device-limit/rtdb-emulator';
import { startProfile, summarizeProfile } from '../../bench/profile-client';
import type { ProfileRecording } from '../../bench/profile-client';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { LongPollClient } from '../helpers/long-poll-client';
import { mockIdToken } from '../helpers/raw-client';
import { adminDatabase, deleteAllApps, eventually, putRules, rest, webDatabase } from '../helpers/sdk';

const recordings: ProfileRecording[] = [];
const pollers: LongPollClient[] = [];

afterAll(async () => {
  pollers.forEach((poller) => poller.stop(true));
  await Promise.all(recordings.map((recording) => recording.stop(0)));
  await deleteAllApps();
});

async function profile(namespace?: string): Promise<ProfileRecording> {
  const recording = await startProfile({
    host: emulatorAddress().hostAndPort,
    ...(namespace === undefined ? {} : { namespace }),
  });
  recordings.push(recording);
  return recording;
}

/** The events without their timings (checked to be there), for exact comparison. */
function untimed(events: readonly ProfileEvent[]): Array<Omit<ProfileEvent, 'timestamp' | 'millis'>> {
  return events.map(({ timestamp, millis, ...rest }) => {
    expect(Number.isInteger(timestamp)).toBe(true);
    expect(Math.abs(timestamp - Date.now())).toBeLessThan(60_000);
    expect(millis).toBeGreaterThanOrEqual(0);
    return rest;
  });
}

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** Waits until `recording` holds `count` events (the stream runs beside the SDK's own socket). */
async function eventCount(recording: ProfileRecording, count: number): Promise<readonly ProfileEvent[]> {
  return eventually(
    () => recording.events,
    (events) => events.length >= count,
  );
}

describe('the web SDK', () => {
  test('connect, write, update, get, listen, broadcast, unlisten and disconnect, one event each', async () => {
    const ns = freshNamespace('demo-profile-web');
    const recording = await profile(ns);
    const db = webDatabase(ns, { mockUserToken: { sub: 'alice' } });
    await set(ref(db, 'p/a'), { x: 1 });
    await update(ref(db, 'p'), { 'a/x': 2, b: 3 });
    expect((await get(ref(db, 'p'))).val()).toEqual({ a: { x: 2 }, b: 3 });
    const seen: unknown[] = [];
    const stop = onValue(ref(db, 'p/b'), (snapshot) => seen.push(snapshot.val()));
    await eventually(
      () => seen.length,
      (n) => n === 1,
    );
    await adminDatabase(ns).ref('p/b').set(4);
    await eventually(
      () => seen.at(-1),
      (v) => v === 4,
    );
    stop();
    await eventCount(recording, 9);
    goOffline(db);

    const events = untimed(await eventCount(recording, 10));
    expect(events).toEqual([
      { name: 'concurrent-connect' },
      { name: 'realtime-write', path: ['p', 'a'], bytes: bytes({ x: 1 }), allowed: true },
      { name: 'realtime-update', path: ['p'], bytes: bytes({ 'a/x': 2, b: 3 }), allowed: true },
      { name: 'realtime-read', path: ['p'], bytes: bytes({ a: { x: 2 }, b: 3 }), allowed: true },
      { name: 'listener-listen', path: ['p', 'b'], bytes: bytes(3), allowed: true },
      // firebase-admin connects (its credential comes later, so the connect has no `admin`) and writes;
      // the write comes first, then what it broadcast to the web client's listener.
      { name: 'concurrent-connect' },
      { name: 'realtime-write', path: ['p', 'b'], bytes: bytes(4), allowed: true, admin: true },
      { name: 'listener-broadcast', path: ['p', 'b'], bytes: bytes(4) },
      { name: 'listener-unlisten', path: ['p', 'b'] },
      { name: 'concurrent-disconnect' },
    ]);
  });

  test('a transaction is a compare-and-set put: a stale attempt, then the one that wins', async () => {
    const ns = freshNamespace('demo-profile-tx');
    await rest('PUT', 'counter', ns, { body: 5 });
    const recording = await profile(ns);
    const db = webDatabase(ns);
    const result = await runTransaction(ref(db, 'counter'), (value: number | null) => (value ?? 0) + 1);
    expect(result.snapshot.val()).toBe(6);
    const events = untimed(
      await eventually(
        () => recording.events,
        (all) => all.some((event) => event.name === 'listener-broadcast'),
      ),
    );
    // The SDK sends its listen and its first put (hash of null: nothing cached yet) together.
    expect(events.slice(0, 5)).toEqual([
      { name: 'concurrent-connect' },
      { name: 'listener-listen', path: ['counter'], bytes: bytes(5), allowed: true },
      { name: 'realtime-transaction', path: ['counter'], bytes: bytes(1), error: 'datastale' },
      { name: 'realtime-transaction', path: ['counter'], bytes: bytes(6), allowed: true },
      { name: 'listener-broadcast', path: ['counter'], bytes: bytes(6) },
    ]);
  });

  test('rules denials are reported with allowed: false; an unindexed query listen with its query', async () => {
    const ns = freshNamespace('demo-profile-rules');
    await putRules(ns, {
      rules: { scores: { '.read': true, '.write': true }, locked: { '.write': false } },
    });
    const recording = await profile(ns);
    const db = webDatabase(ns, { mockUserToken: { sub: 'bob' } });
    await expect(get(ref(db, 'secret'))).rejects.toThrow(/Permission denied/);
    await expect(set(ref(db, 'locked/x'), 1)).rejects.toThrow(/PERMISSION_DENIED/);
    const seen: unknown[] = [];
    const stop = onValue(query(ref(db, 'scores'), orderByChild('level'), limitToFirst(2)), (s) => seen.push(s.val()));
    await eventually(
      () => seen.length,
      (n) => n === 1,
    );
    stop();
    const events = untimed(await eventCount(recording, 4));
    expect(events.slice(0, 4)).toEqual([
      { name: 'concurrent-connect' },
      { name: 'realtime-read', path: ['secret'], allowed: false, error: 'permission_denied' },
      { name: 'realtime-write', path: ['locked', 'x'], bytes: bytes(1), allowed: false, error: 'permission_denied' },
      {
        name: 'listener-listen',
        path: ['scores'],
        bytes: bytes(null),
        allowed: true,
        unIndexed: true,
        querySet: [{ index: { path: ['level'] }, params: { i: 'level', l: 2, vf: 'l' } }],
      },
    ]);
  });

  test('onDisconnect writes run as the writes they are, after the disconnect, with their broadcasts', async () => {
    const ns = freshNamespace('demo-profile-od');
    const admin = adminDatabase(ns);
    const adminSeen: unknown[] = [];
    admin.ref('presence').on('value', (snapshot) => adminSeen.push(snapshot.val()));
    await eventually(
      () => adminSeen.length,
      (n) => n === 1,
    );
    const recording = await profile(ns);
    const db = webDatabase(ns, { mockUserToken: { sub: 'carol' } });
    await onDisconnect(ref(db, 'presence/carol')).set('offline');
    await onDisconnect(ref(db, 'presence')).update({ last: 'carol' });
    goOffline(db);
    const events = untimed(await eventCount(recording, 6));
    expect(events).toEqual([
      { name: 'concurrent-connect' },
      { name: 'concurrent-disconnect' },
      { name: 'realtime-write', path: ['presence', 'carol'], bytes: bytes('offline'), allowed: true },
      { name: 'listener-broadcast', path: ['presence', 'carol'], bytes: bytes('offline'), admin: true },
      { name: 'realtime-update', path: ['presence'], bytes: bytes({ last: 'carol' }), allowed: true },
      { name: 'listener-broadcast', path: ['presence', 'last'], bytes: bytes('carol'), admin: true },
    ]);
    admin.ref('presence').off();
  });
});

describe('firebase-admin, REST and long polling', () => {
  test('admin SDK operations carry admin: true, also when narrowed by databaseAuthVariableOverride', async () => {
    const ns = freshNamespace('demo-profile-admin');
    const recording = await profile(ns);
    await adminDatabase(ns).ref('a').set({ v: 1 });
    await adminDatabase(ns, { uid: 'svc' }).ref('b').update({ w: 2 });
    expect((await adminDatabase(ns).ref('a').get()).val()).toEqual({ v: 1 });
    const events = untimed(await eventCount(recording, 6)).filter((e) => e.name !== 'concurrent-connect');
    expect(events).toEqual([
      { name: 'realtime-write', path: ['a'], bytes: bytes({ v: 1 }), allowed: true, admin: true },
      { name: 'realtime-update', path: ['b'], bytes: bytes({ w: 2 }), allowed: true, admin: true },
      { name: 'realtime-read', path: ['a'], bytes: bytes({ v: 1 }), allowed: true, admin: true },
    ]);
  });

  test('REST reads and writes', async () => {
    const ns = freshNamespace('demo-profile-rest');
    await putRules(ns, { rules: { '.read': true, open: { '.write': true } } });
    const recording = await profile(ns);
    const alice = mockIdToken({ sub: 'alice', user_id: 'alice', iat: 0 });
    await rest('PUT', 'open/a', ns, { body: { n: 1 }, auth: alice });
    await rest('PATCH', 'open', ns, { body: { b: 2 } });
    const posted = (await rest('POST', 'open/list', ns, { body: 'x', auth: alice })).json as { name: string };
    await rest('GET', 'open', ns, { auth: null, params: { orderBy: '"$key"', limitToFirst: '1' } });
    expect((await rest('PUT', 'closed', ns, { body: 1, auth: alice })).status).toBe(401);
    await rest('DELETE', 'open/b', ns);
    const etag = await rest('PUT', 'open/a', ns, { body: 2, headers: { 'if-match': 'not-the-etag' } });
    expect(etag.status).toBe(412);

    expect(untimed(await eventCount(recording, 7))).toEqual([
      { name: 'rest-write', path: ['open', 'a'], bytes: bytes({ n: 1 }), allowed: true },
      { name: 'rest-update', path: ['open'], bytes: bytes({ b: 2 }), allowed: true, admin: true },
      { name: 'rest-write', path: ['open', 'list', posted.name], bytes: bytes('x'), allowed: true },
      {
        name: 'rest-read',
        path: ['open'],
        bytes: bytes({ a: { n: 1 } }),
        querySet: [{ index: { key: true }, params: { i: '.key', l: 1, vf: 'l' } }],
        allowed: true,
      },
      { name: 'rest-write', path: ['closed'], bytes: 1, allowed: false, error: 'permission_denied' },
      { name: 'rest-write', path: ['open', 'b'], bytes: 0, allowed: true, admin: true },
      { name: 'rest-write', path: ['open', 'a'], bytes: bytes(2), error: 'datastale', admin: true },
    ]);
  });

  test('a long-poll client is profiled like a WebSocket one', async () => {
    const ns = freshNamespace('demo-profile-lp');
    const recording = await profile(ns);
    const poller = await LongPollClient.start(ns);
    pollers.push(poller);
    expect((await poller.request('p', { p: '/lp', d: 'hi' })).s).toBe('ok');
    expect((await poller.request('g', { p: '/lp', q: {} })).s).toBe('ok');
    expect(untimed(await eventCount(recording, 3))).toEqual([
      { name: 'concurrent-connect' },
      { name: 'realtime-write', path: ['lp'], bytes: bytes('hi'), allowed: true },
      { name: 'realtime-read', path: ['lp'], bytes: bytes('hi'), allowed: true },
    ]);
  });
});

describe('the stream', () => {
  test('only the owner credential may profile', async () => {
    const base = `http://${emulatorAddress().hostAndPort}/.settings/profile.json`;
    const headers = { Accept: 'text/event-stream' };
    expect((await fetch(base, { headers })).status).toBe(401);
    const user = mockIdToken({ sub: 'alice', iat: 0 });
    expect((await fetch(base, { headers: { ...headers, Authorization: `Bearer ${user}` } })).status).toBe(401);
    expect((await fetch(base, { method: 'PUT', headers: { Authorization: 'Bearer owner' } })).status).toBe(405);
  });

  test('several streams at once, each for its namespace; without ns, every namespace', async () => {
    const nsA = freshNamespace('demo-profile-a');
    const nsB = freshNamespace('demo-profile-b');
    const [a1, a2, b, all] = await Promise.all([profile(nsA), profile(nsA), profile(nsB), profile()]);
    await rest('PUT', 'x', nsA, { body: 1 });
    await rest('PUT', 'y', nsB, { body: 2 });
    const expectedA = [{ name: 'rest-write', path: ['x'], bytes: 1, allowed: true, admin: true }];
    expect(untimed(await eventCount(a1, 1))).toEqual(expectedA);
    expect(untimed(await eventCount(a2, 1))).toEqual(expectedA);
    expect(untimed(await eventCount(b, 1))).toEqual([
      { name: 'rest-write', path: ['y'], bytes: 1, allowed: true, admin: true },
    ]);
    const everywhere = await eventually(
      () => all.events.filter((event) => event.name === 'rest-write'),
      (events) => events.some((e) => e.path?.[0] === 'x') && events.some((e) => e.path?.[0] === 'y'),
    );
    expect(everywhere.length).toBeGreaterThanOrEqual(2);
    expect((await a1.stop()).length).toBe(1);
  });

  test('summarizeProfile counts operations by type and admin/client, with bytes', async () => {
    const ns = freshNamespace('demo-profile-summary');
    const recording = await profile(ns);
    const db = webDatabase(ns, { mockUserToken: { sub: 'dave' } });
    await set(ref(db, 'a'), 'abc');
    await adminDatabase(ns).ref('b').set(12);
    await rest('GET', 'a', ns);
    await eventCount(recording, 5);
    const summary = summarizeProfile(await recording.stop());
    expect(summary.byOperation['realtime-write']).toEqual({
      count: 2,
      bytes: bytes('abc') + bytes(12),
      admin: { count: 1, bytes: bytes(12) },
      client: { count: 1, bytes: bytes('abc') },
      denied: 0,
      failed: 0,
    });
    expect(summary.byOperation['rest-read']).toMatchObject({ count: 1, bytes: bytes('abc'), admin: { count: 1 } });
    expect(summary.byOperation['concurrent-connect']?.count).toBe(2);
    expect(summary.total.count).toBe(5);
  });
});
