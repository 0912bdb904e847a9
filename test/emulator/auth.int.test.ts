/**
 * Auth as the emulator must derive it (docs/wire-protocol.md §9, docs/wire-protocol.md §11): mock ID tokens (unsigned,
 * expired) become `auth` with uid/provider/token claims; `owner` is the admin credential; firebase-admin's
 * `databaseAuthVariableOverride` narrows it; no token means `auth == null`. Rules are installed per
 * namespace over REST, as rules-unit-testing does.
 */
import { get, onDisconnect, onValue, ref, set } from 'firebase/database';
import { setLogLevel } from 'firebase/app';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { deleteAllApps, eventually, putRules, rest, adminDatabase, webDatabase } from '../helpers/sdk';
import { mockIdToken } from '../helpers/raw-client';
import { TcpProxy } from '../helpers/tcp-proxy';

const ns = freshNamespace('demo-auth');

// Denials are expected here; the SDK would log each one as a warning.
setLogLevel('error');

const RULES = {
  rules: {
    users: {
      $uid: {
        '.read': 'auth != null && auth.uid === $uid',
        '.write': 'auth != null && auth.uid === $uid',
      },
    },
    staff: { '.read': "auth != null && auth.token.role === 'admin'" },
    providers: {
      '.read': "auth != null && auth.provider === 'custom' && auth.token.firebase.sign_in_provider === 'custom'",
    },
    public: { '.read': true, '.write': 'auth == null' },
  },
};

let proxy: TcpProxy;

beforeAll(async () => {
  await putRules(ns, RULES);
  await rest('PUT', '', ns, {
    body: { users: { alice: { n: 1 }, bob: { n: 2 } }, staff: { list: true }, providers: { ok: true } },
  });
  const { host, port } = emulatorAddress();
  proxy = await TcpProxy.start(host, port);
});

afterAll(async () => {
  await deleteAllApps();
  await proxy.close();
});

const alice = () => webDatabase(ns, { mockUserToken: { sub: 'alice' } });

describe('mock ID tokens (connectDatabaseEmulator mockUserToken)', () => {
  test('auth.uid comes from sub: own data allowed, others denied with the production errors', async () => {
    const db = alice();
    expect((await get(ref(db, 'users/alice'))).val()).toEqual({ n: 1 });
    await set(ref(db, 'users/alice/n'), 10);
    await expect(set(ref(db, 'users/bob/n'), 0)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(get(ref(db, 'users/bob'))).rejects.toThrow(/Permission denied/);
    const cancelled = await new Promise<Error>((resolve) => {
      onValue(ref(db, 'users/bob'), () => {}, resolve);
    });
    expect(String(cancelled)).toMatch(/permission_denied/);
  });

  test('custom claims appear under auth.token and auth.provider is the sign-in provider', async () => {
    const staff = webDatabase(ns, { mockUserToken: { sub: 'carol', role: 'admin' } });
    expect((await get(ref(staff, 'staff'))).val()).toEqual({ list: true });
    await expect(get(ref(alice(), 'staff'))).rejects.toThrow(/Permission denied/);
    expect((await get(ref(alice(), 'providers'))).val()).toEqual({ ok: true });
  });

  test('no token means auth == null', async () => {
    const anonymous = webDatabase(ns);
    await expect(get(ref(anonymous, 'users/alice'))).rejects.toThrow(/Permission denied/);
    await set(ref(anonymous, 'public/anon'), 'written while unauthenticated');
    await expect(set(ref(alice(), 'public/alice'), 'x')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  test("mockUserToken 'owner' is the admin credential and bypasses rules", async () => {
    const owner = webDatabase(ns, { mockUserToken: 'owner' });
    await set(ref(owner, 'anywhere/at/all'), true);
    expect((await get(ref(owner, 'users/bob'))).val()).toEqual({ n: 2 });
  });
});

describe('firebase-admin', () => {
  test('the default credential is owner: rules do not apply', async () => {
    const db = adminDatabase(ns);
    await db.ref('admin/written').set(true);
    expect((await db.ref('users').once('value')).val()).toMatchObject({ alice: { n: 10 }, bob: { n: 2 } });
  });

  test('databaseAuthVariableOverride narrows the admin to that auth object', async () => {
    const asAlice = adminDatabase(ns, { uid: 'alice' });
    await asAlice.ref('users/alice/viaAdmin').set(true);
    await expect(asAlice.ref('users/bob/viaAdmin').set(true)).rejects.toThrow(/PERMISSION_DENIED/);
  });

  test('databaseAuthVariableOverride null acts as an unauthenticated client', async () => {
    const unauthenticated = adminDatabase(ns, null);
    await unauthenticated.ref('public/fromAdminNull').set(true);
    await expect(unauthenticated.ref('users/alice/x').set(true)).rejects.toThrow(/PERMISSION_DENIED/);
  });
});

describe('REST credentials', () => {
  test('auth= and Authorization: Bearer carry ID tokens; denial is 401 {"error": "Permission denied"}', async () => {
    const token = mockIdToken({ sub: 'alice', user_id: 'alice', firebase: { sign_in_provider: 'custom' } });
    expect((await rest('GET', 'users/alice/n', ns, { auth: null, params: { auth: token } })).json).toBe(10);
    expect((await rest('GET', 'users/alice/n', ns, { auth: token })).json).toBe(10);
    const denied = await rest('GET', 'users/bob', ns, { auth: token });
    expect(denied.status).toBe(401);
    expect(denied.json).toEqual({ error: 'Permission denied' });
    expect((await rest('GET', 'users/alice', ns, { auth: null })).status).toBe(401);
  });
});

describe('rules changes and onDisconnect', () => {
  test('a listen is revoked when new rules deny it', async () => {
    const revokedNs = freshNamespace('demo-auth-revoke');
    await putRules(revokedNs, { rules: { '.read': true, '.write': true } });
    const db = webDatabase(revokedNs, { mockUserToken: { sub: 'dave' } });
    const errors: Error[] = [];
    onValue(
      ref(db, 'watched'),
      () => {},
      (error) => errors.push(error),
    );
    await set(ref(db, 'watched'), 1);
    await putRules(revokedNs, { rules: { '.read': false, '.write': true } });
    await eventually(
      () => errors.length,
      (n) => n === 1,
    );
    expect(String(errors[0])).toMatch(/permission_denied/);
  });

  test('registration is checked against the rules; execution uses the connection auth', async () => {
    const db = webDatabase(ns, { mockUserToken: { sub: 'alice' }, port: proxy.port });
    await set(ref(db, 'users/alice/status'), 'online');
    await expect(onDisconnect(ref(db, 'users/bob/status')).set('offline')).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    await onDisconnect(ref(db, 'users/alice/status')).set('offline');
    proxy.cut();
    await eventually(
      async () => (await rest('GET', 'users/alice/status', ns)).json,
      (v) => v === 'offline',
    );
  });

  test('an operation the rules deny by the time the socket drops is skipped', async () => {
    const changing = freshNamespace('demo-auth-later');
    await putRules(changing, { rules: { '.read': true, '.write': 'auth != null' } });
    const db = webDatabase(changing, { mockUserToken: { sub: 'erin' }, port: proxy.port });
    await set(ref(db, 'presence/erin'), 'online');
    await onDisconnect(ref(db, 'presence/erin')).set('offline');
    await onDisconnect(ref(db, 'marker')).remove();
    await putRules(changing, { rules: { '.read': true, presence: { '.write': false }, marker: { '.write': true } } });
    await set(ref(db, 'marker'), 'set');
    proxy.cut();
    await eventually(
      async () => (await rest('GET', 'marker', changing)).json,
      (v) => v === null,
    );
    expect((await rest('GET', 'presence/erin', changing)).json).toBe('online');
  });
});
