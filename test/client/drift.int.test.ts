/**
 * A drifted `count` (docs/protocol.md §5.4: more than the entries, from an admin's hand edit or a
 * bug) blocks every claim, and no client write can fix it. Given `functions`, the session calls the
 * `repairPresence` callable once with `{}` and claims again; without, it reports `limit-reached` and
 * warns. As in remote.int.test.ts, a local endpoint speaks the callable protocol through the real
 * `firebase/functions` SDK and performs the documented effect (count = the number of entries).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectFunctionsEmulator, getFunctions } from 'firebase/functions';
import { freshNamespace } from '../helpers/emulator';
import {
  connectDevice,
  disposeAll,
  entries,
  isStatus,
  loadRules,
  owner,
  readPresence,
  sleep,
  startDevice,
  uniqueUid,
  waitForState,
  writeGhost,
} from './support';

const ns = freshNamespace('demo-client-drift');

let server: Server;
let port: number;
/** The uid the fake callable acts for. */
let actingUid = '';
const calls: Array<{ name: string; data: unknown; uid: string }> = [];

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
      const { data } = (await body(request)) as { data: unknown };
      // A real callable takes the uid from the verified ID token.
      const uid = actingUid;
      calls.push({ name, data, uid });
      const presence = await readPresence(ns, uid);
      const count = Object.keys(presence.devices ?? {}).length;
      await owner('PATCH', `presence/${uid}`, ns, { count });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ result: { uid, changed: count !== presence.count, count, evicted: [] } }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await disposeAll();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** One entry (a ghost nobody will release), and `count` says 2: the account looks full to the rules. */
async function drifted(uid: string): Promise<string> {
  const holder = await writeGhost(ns, uid, 'Only device');
  await owner('PATCH', `presence/${uid}`, ns, { count: 2 });
  return holder;
}

describe('a drifted count (docs/protocol.md §5.4)', () => {
  it('is repaired through repairPresence({}) once, and the claim goes through', async () => {
    const uid = (actingUid = uniqueUid());
    const holder = await drifted(uid);
    const functions = getFunctions((await connectDevice(ns, uid)).app);
    connectFunctionsEmulator(functions, '127.0.0.1', port);
    const repairing = await startDevice(ns, uid, { functions });
    await waitForState(repairing.session, isStatus('active'));

    expect(calls.filter((c) => c.uid === uid)).toEqual([{ name: 'repairPresence', data: {}, uid }]);
    const presence = await readPresence(ns, uid);
    expect(presence.count).toBe(2);
    expect(entries(presence)).toEqual([holder, repairing.session.deviceId].sort());
  });

  it('is reported as limit-reached with a warning when the app gave no Functions', async () => {
    const uid = (actingUid = uniqueUid());
    await drifted(uid);
    const warnings: string[] = [];
    const device = await startDevice(ns, uid, { logger: { warn: (message: string) => warnings.push(message) } });
    const outcome = await device.session.whenClaimed();
    expect(outcome.status).toBe('limit-reached');
    await sleep(200);
    expect(calls.filter((c) => c.uid === uid)).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('repairPresence')]);
    expect((await readPresence(ns, uid)).count).toBe(2);
  });
});
