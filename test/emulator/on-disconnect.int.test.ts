/**
 * onDisconnect (docs/wire-protocol.md §10): queued per connection, run when the socket goes — here cut
 * abruptly by a TCP proxy between the SDK and the emulator, or closed cleanly — with server values
 * resolved at disconnect time; cancel and re-registration behave as the client's own bookkeeping.
 */
import { goOffline, onDisconnect, ref, serverTimestamp, set } from 'firebase/database';
import type { Database } from 'firebase/database';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { deleteAllApps, eventually, rest, sleep, webDatabase } from '../helpers/sdk';
import { TcpProxy } from '../helpers/tcp-proxy';

const ns = freshNamespace('demo-ondisconnect');
let proxy: TcpProxy;

beforeAll(async () => {
  const { host, port } = emulatorAddress();
  proxy = await TcpProxy.start(host, port);
});

afterAll(async () => {
  await deleteAllApps();
  await proxy.close();
});

/** A client whose socket goes through the proxy, connected and ready. */
async function proxiedClient(): Promise<Database> {
  const db = webDatabase(ns, { port: proxy.port });
  await set(ref(db, `warmup/${Math.random().toString(36).slice(2)}`), true);
  return db;
}

const read = async (path: string): Promise<unknown> => (await rest('GET', path, ns)).json;

describe('onDisconnect after an abrupt socket loss', () => {
  test('set, update and remove run when the connection is cut', async () => {
    const db = await proxiedClient();
    await set(ref(db, 'presence/alice'), { online: true, device: 'phone' });
    await set(ref(db, 'sessions/alice'), { s1: true });
    await set(ref(db, 'status/alice'), 'online');
    await onDisconnect(ref(db, 'status/alice')).set('offline');
    await onDisconnect(ref(db, 'presence/alice')).update({ online: false });
    await onDisconnect(ref(db, 'sessions/alice')).remove();
    expect(await read('status/alice')).toBe('online');

    proxy.cut();
    await eventually(
      () => read('status/alice'),
      (v) => v === 'offline',
    );
    expect(await read('presence/alice')).toEqual({ online: false, device: 'phone' });
    expect(await read('sessions/alice')).toBeNull();
  });

  test('server values resolve when the disconnect happens, not when registered', async () => {
    const db = await proxiedClient();
    await onDisconnect(ref(db, 'lastSeen/bob')).set(serverTimestamp());
    await sleep(300);
    const cutAt = Date.now();
    proxy.cut();
    const lastSeen = (await eventually(
      () => read('lastSeen/bob'),
      (v) => typeof v === 'number',
    )) as number;
    expect(lastSeen).toBeGreaterThanOrEqual(cutAt - 50);
  });

  test('a cancelled operation does not run; cancel covers descendants', async () => {
    const db = await proxiedClient();
    await set(ref(db, 'cancel'), { a: 'kept', b: { c: 'kept' } });
    await onDisconnect(ref(db, 'cancel/a')).remove();
    await onDisconnect(ref(db, 'cancel/b/c')).set('changed');
    await onDisconnect(ref(db, 'cancel/a')).cancel();
    await onDisconnect(ref(db, 'cancel/b')).cancel();
    await onDisconnect(ref(db, 'cancel/marker')).set('ran');
    proxy.cut();
    await eventually(
      () => read('cancel/marker'),
      (v) => v === 'ran',
    );
    expect(await read('cancel')).toEqual({ a: 'kept', b: { c: 'kept' }, marker: 'ran' });
  });

  test('a later registration at the same path replaces the earlier one', async () => {
    const db = await proxiedClient();
    await onDisconnect(ref(db, 'replace/x')).set('first');
    await onDisconnect(ref(db, 'replace/x')).set('second');
    proxy.cut();
    await eventually(
      () => read('replace/x'),
      (v) => v === 'second',
    );
  });

  test('operations are one-shot: after a reconnect they do not run again', async () => {
    const db = await proxiedClient();
    await onDisconnect(ref(db, 'oneshot/count')).set(1);
    proxy.cut();
    await eventually(
      () => read('oneshot/count'),
      (v) => v === 1,
    );
    await set(ref(db, 'oneshot/count'), 2); // after the SDK reconnected through the proxy
    proxy.cut();
    await sleep(300);
    expect(await read('oneshot/count')).toBe(2);
  });

  test('other clients, connected directly, are unaffected by the cut and see the result live', async () => {
    const victim = await proxiedClient();
    const observer = webDatabase(ns);
    await set(ref(observer, 'observer/ok'), true);
    await onDisconnect(ref(victim, 'observer/victim')).set('gone');
    proxy.cut();
    await eventually(
      () => read('observer/victim'),
      (v) => v === 'gone',
    );
    await set(ref(observer, 'observer/ok'), 'still connected');
    expect(await read('observer/ok')).toBe('still connected');
  });
});

describe('onDisconnect on a clean close', () => {
  test('goOffline runs the queued operations', async () => {
    const db = webDatabase(ns);
    await set(ref(db, 'clean/status'), 'online');
    await onDisconnect(ref(db, 'clean/status')).set('offline');
    goOffline(db);
    await eventually(
      () => read('clean/status'),
      (v) => v === 'offline',
    );
  });
});
