/**
 * The gate's view with the real Admin SDK against the database emulator (no Auth needed: a table of
 * decoded tokens stands in for verifyIdToken). What the unit tests cannot show: a detached listener
 * really stops listening at the server, a user read again after expiry gets the current value (not an
 * SDK cache), and an eviction written while the gate's connection was down is seen when it comes back,
 * with requests failing as unavailable once the outage outlasts `maxDisconnectedMs`.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import type { DecodedIdToken } from 'firebase-admin/auth';
import { getDatabase, type Database } from 'firebase-admin/database';
import { startProfile } from '../../bench/profile-client';
import { DeviceGate, DeviceGateUnavailableError, type DeviceGateOptions } from '../../functions/src/gate';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';

const AUTH_TIME = Math.floor(Date.now() / 1000) - 60;

/** A proxy that can drop every connection and refuse new ones, then accept again. */
class Outage {
  private readonly sockets = new Set<Socket>();
  private accepting = true;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(host: string, port: number): Promise<Outage> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const outage = new Outage(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => {
      if (!outage.accepting) return void client.resetAndDestroy();
      const upstream = connect(port, host);
      for (const socket of [client, upstream]) {
        outage.sockets.add(socket);
        socket.on('close', () => outage.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    return outage;
  }

  down(): void {
    this.accepting = false;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  up(): void {
    this.accepting = true;
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const ns = freshNamespace('demo-gate-view');
const apps: App[] = [];
let writer: Database;
let outage: Outage;
const gates: DeviceGate[] = [];

function adminApp(name: string): App {
  const app = initializeApp(
    {
      projectId: ns,
      databaseURL: `http://${emulatorAddress().hostAndPort}/?ns=${ns}`,
      credential: { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) },
    },
    `${name}-${ns}`,
  );
  apps.push(app);
  return app;
}

const verifier = {
  verifyIdToken: async (token: string) =>
    ({ uid: token, sub: token, auth_time: AUTH_TIME }) as unknown as DecodedIdToken,
};

/** A gate on its own admin connection; through the outage proxy when asked. */
function gate(name: string, options: DeviceGateOptions = {}, throughOutage = false): DeviceGate {
  const database = getDatabase(adminApp(name));
  if (throughOutage) database.useEmulator('127.0.0.1', outage.port);
  const created = new DeviceGate({ database, auth: verifier, ...options });
  gates.push(created);
  return created;
}

const device = (i: number) => `device-${String(i).padStart(4, '0')}`;

async function seat(uid: string, deviceId: string): Promise<void> {
  const now = Date.now();
  const entry = { claimedAt: now, lastSeen: now, generation: 0, platform: 'web', label: 'test' };
  await writer.ref(`presence/${uid}`).set({ count: 1, devices: { [deviceId]: entry } });
}

async function evict(uid: string, deviceId: string): Promise<void> {
  await writer.ref(`presence/${uid}`).update({
    count: 0,
    op: deviceId,
    [`devices/${deviceId}`]: null,
    [`evicted/${deviceId}`]: { reason: 'signed-out', at: Date.now(), generation: 0 },
  });
}

async function verdict(g: DeviceGate, uid: string, deviceId: string): Promise<string> {
  const result = await g.check(`Bearer ${uid}`, deviceId);
  return result.allowed ? 'allowed' : result.refusal.code;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  const { host, port } = emulatorAddress();
  outage = await Outage.start(host, port);
  writer = getDatabase(adminApp('writer'));
});

afterAll(async () => {
  for (const g of gates) g.close();
  await Promise.all(apps.map((app) => deleteApp(app)));
  await outage.close();
});

test('an idle user is dropped and its listener removed at the server; the next request reads the current value', async () => {
  const g = gate('idle', { idleMs: 300 });
  await seat('idle-user', device(1));
  const profile = await startProfile({ host: emulatorAddress().hostAndPort, namespace: ns });
  expect(await verdict(g, 'idle-user', device(1))).toBe('allowed');
  await sleep(600);
  expect(g.stats).toMatchObject({ users: 0, attaches: 1, detaches: 1, expiredIdle: 1 });
  // Evicted while nobody listens: no push can reach the gate, so only a fresh read can see it.
  await evict('idle-user', device(1));
  expect(await verdict(g, 'idle-user', device(1))).toBe('device-limit/evicted');
  expect(g.stats).toMatchObject({ users: 1, attaches: 2 });
  const events = (await profile.stop(100)).filter(
    (e) => e.admin === true && e.path?.join('/') === 'presence/idle-user',
  );
  // The gate's listens and unlistens (the writer's update and the pushes are left out).
  expect(
    events.map((e) => e.name).filter((name) => name === 'listener-listen' || name === 'listener-unlisten'),
  ).toEqual(['listener-listen', 'listener-unlisten', 'listener-listen']);
});

test('beyond maxUsers the least recently used user is dropped, and read fresh when it comes back', async () => {
  const g = gate('lru', { maxUsers: 2 });
  for (const uid of ['lru-a', 'lru-b', 'lru-c']) await seat(uid, device(2));
  for (const uid of ['lru-a', 'lru-b', 'lru-c']) expect(await verdict(g, uid, device(2))).toBe('allowed');
  expect(g.stats).toMatchObject({ users: 2, evictedLru: 1, detaches: 1 });
  await evict('lru-a', device(2));
  expect(await verdict(g, 'lru-a', device(2))).toBe('device-limit/evicted');
});

test('an eviction written while the connection is down is seen when it is back; a long outage fails requests as unavailable', async () => {
  const g = gate('outage', { maxDisconnectedMs: 500 }, true);
  await seat('outage-user', device(3));
  expect(await verdict(g, 'outage-user', device(3))).toBe('allowed');

  outage.down();
  await evict('outage-user', device(3));
  await sleep(800);
  await expect(g.check('Bearer outage-user', device(3))).rejects.toBeInstanceOf(DeviceGateUnavailableError);

  outage.up();
  // The Admin SDK reconnects with a backoff of a second or more, re-sends its listens, and the server
  // answers with what changed.
  const deadline = Date.now() + 20_000;
  let seen = 'unavailable';
  while (Date.now() < deadline) {
    seen = await verdict(g, 'outage-user', device(3)).catch((error: unknown) =>
      error instanceof DeviceGateUnavailableError ? 'unavailable' : Promise.reject(error),
    );
    if (seen !== 'unavailable') break;
    await sleep(100);
  }
  expect(seen).toBe('device-limit/evicted');
  expect(g.stats.attaches).toBe(1); // the same listener, brought up to date by the SDK
}, 30_000);
