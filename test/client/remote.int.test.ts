/**
 * The remote actions of the client module (`forceLogin`, `signOutDevice`) through the real
 * `firebase/functions` httpsCallable. The callables themselves are another package (functions/); here
 * a local endpoint speaks the callable protocol (POST `/{project}/{region}/{name}` with `{data}`,
 * answering `{result}` or `{error: {status, message}}`) and performs the database writes that
 * docs/protocol.md §5.1/docs/protocol.md §5.2 specify, so the test checks what the client sends and how its sessions
 * react, against the real database emulator.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectFunctionsEmulator, getFunctions } from 'firebase/functions';
import { freshNamespace } from '../helpers/emulator';
import { forceLogin, isDeviceLimitError, signOutDevice } from '../../client-sdk/src';
import {
  disposeAll,
  entries,
  forceLoginAsServer,
  isStatus,
  loadRules,
  readPresence,
  removeAsServer,
  startDevice,
  uniqueUid,
  waitForState,
  type Device,
} from './support';

const ns = freshNamespace('demo-client-remote');
const AUTH_TIME = 1_700_000_000;

interface Call {
  readonly name: string;
  readonly data: Record<string, unknown>;
}

let server: Server;
let port: number;
const calls: Call[] = [];
/** The uid the fake callables act for (a real callable takes it from the verified ID token). */
let actingUid = '';

async function body(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

beforeAll(async () => {
  await loadRules(ns);
  server = createServer((request, response) => {
    void (async () => {
      const name = request.url?.split('/').pop() ?? '';
      const { data } = (await body(request)) as { data: Record<string, unknown> };
      calls.push({ name, data });
      const reply = (status: number, json: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(json));
      };
      if (name === 'forceLogin') {
        await forceLoginAsServer(ns, actingUid, {
          deviceId: String(data.deviceId),
          platform: String(data.platform),
          label: String(data.label),
          authTime: AUTH_TIME,
        });
        reply(200, { result: null });
      } else if (name === 'signOutDevice') {
        const presence = await readPresence(ns, actingUid);
        if (!presence.devices?.[String(data.deviceId)]) {
          reply(404, { error: { status: 'NOT_FOUND', message: 'No such device.' } });
          return;
        }
        await removeAsServer(ns, actingUid, String(data.deviceId), 'signed-out');
        reply(200, { result: null });
      } else {
        reply(404, { error: { status: 'NOT_FOUND', message: `No function ${name}.` } });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await disposeAll();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function functionsOf(device: Device) {
  const functions = getFunctions(device.app);
  connectFunctionsEmulator(functions, '127.0.0.1', port);
  return functions;
}

describe('remote actions through the callables', () => {
  it('forceLogin(functions, session) evicts the others and leaves the caller active', async () => {
    const uid = (actingUid = uniqueUid());
    const a = await startDevice(ns, uid);
    const b = await startDevice(ns, uid);
    await Promise.all([a.session.whenClaimed(), b.session.whenClaimed()]);
    const c = await startDevice(ns, uid, { platform: 'android', label: 'Pixel' });
    expect((await c.session.whenClaimed()).status).toBe('limit-reached');

    const evicted = Promise.all([a, b].map((d) => waitForState(d.session, isStatus('evicted'), 2000)));
    await forceLogin(functionsOf(c), c.session);
    expect(calls.at(-1)).toEqual({
      name: 'forceLogin',
      data: { deviceId: c.session.deviceId, platform: 'android', label: 'Pixel' },
    });
    expect((await evicted).map((s) => s.reason)).toEqual(['force-login', 'force-login']);
    await waitForState(c.session, isStatus('active'));
    expect(entries(await readPresence(ns, uid))).toEqual([c.session.deviceId]);
  });

  it('signOutDevice(functions, deviceId) evicts that device as signed-out-remotely', async () => {
    const uid = (actingUid = uniqueUid());
    const a = await startDevice(ns, uid);
    const b = await startDevice(ns, uid);
    await Promise.all([a.session.whenClaimed(), b.session.whenClaimed()]);

    const evicted = waitForState(b.session, isStatus('evicted'), 2000);
    await signOutDevice(functionsOf(a), b.session.deviceId!);
    expect(calls.at(-1)).toEqual({ name: 'signOutDevice', data: { deviceId: b.session.deviceId } });
    expect((await evicted).reason).toBe('signed-out-remotely');
    expect(a.session.state.status).toBe('active');
  });

  it('turns a callable error into device-limit/function-failed with the functions code', async () => {
    const uid = (actingUid = uniqueUid());
    const a = await startDevice(ns, uid);
    await a.session.whenClaimed();
    const failure = await signOutDevice(functionsOf(a), 'noSuchDevice').catch((error: unknown) => error);
    expect(isDeviceLimitError(failure, 'device-limit/function-failed')).toBe(true);
    expect(isDeviceLimitError(failure) && failure.functionsCode).toBe('functions/not-found');
  });

  it('refuses a malformed deviceId before calling anything', async () => {
    const uid = (actingUid = uniqueUid());
    const a = await startDevice(ns, uid);
    const before = calls.length;
    await expect(signOutDevice(functionsOf(a), 'bad/id')).rejects.toEqual(
      expect.objectContaining({ code: 'device-limit/invalid-argument' }),
    );
    expect(calls.length).toBe(before);
  });
});
