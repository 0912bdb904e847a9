/**
 * Delivery mechanics against a stand-in for firebase-tools' Functions emulator hub: the two routes
 * delivery uses (`GET /backends`, `POST /functions/projects/:project/triggers/:key`), answering as
 * `functionsEmulator.js` does (404 with the valid keys, 204 while reloading, the answer only after the
 * function ran). The real Functions emulator running the real functions is test/stack/.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NamespaceRegistry, OWNER } from '../database';
import type { DatabaseCloudEvent } from './cloud-event';
import { CliUsageError, parseCliArgs } from '../cli-args';
import { attachTriggerDelivery, FunctionsHostError, parseFunctionsHost, type TriggerDelivery } from './index';

interface Received {
  readonly key: string;
  readonly event: DatabaseCloudEvent;
}

/** A hub with one database trigger `us-central1-onPresence` on `/presence/{uid}` at `generation`. */
class FakeFunctionsHub {
  readonly received: Received[] = [];
  generation = 0;
  answerDelayMs = 0;
  disabledAnswers = 0;
  running = 0;
  maxRunning = 0;
  backendsRequests = 0;
  private server: Server | undefined;

  async start(): Promise<number> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '';
    if (request.method === 'GET' && url === '/backends') {
      this.backendsRequests += 1;
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({ backends: [{ functionTriggers: [definition('us-central1-onPresence', '/presence/{uid}')] }] }),
      );
      return;
    }
    const match = /^\/functions\/projects\/([^/]+)\/triggers\/(.+)$/.exec(url);
    if (request.method !== 'POST' || match === null) {
      response.statusCode = 404;
      response.end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const key = decodeURIComponent(match[2] as string);
    const valid = [`us-central1-onPresence-${this.generation}`, 'us-central1-callable'];
    if (!valid.includes(key)) {
      response.statusCode = 404;
      response.end(`Function ${key} does not exist, valid functions are: ${valid.join(', ')}`);
      return;
    }
    if (this.disabledAnswers > 0) {
      this.disabledAnswers -= 1;
      response.statusCode = 204;
      response.end();
      return;
    }
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((resolve) => setTimeout(resolve, this.answerDelayMs));
    this.received.push({ key, event: JSON.parse(Buffer.concat(chunks).toString()) as DatabaseCloudEvent });
    this.running -= 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ status: 'acknowledged' }));
  }
}

function definition(id: string, ref: string, instance = '*'): unknown {
  return {
    id,
    region: 'us-central1',
    platform: 'gcfv2',
    timeoutSeconds: 5,
    labels: {
      EVENTARC_CLOUD_EVENT_SOURCE: `run-emulated.googleapis.com/projects/demo-hub/locations/us-central1/services/x`,
    },
    eventTrigger: {
      eventType: 'google.firebase.database.ref.v1.written',
      eventFilters: {},
      eventFilterPathPatterns: { ref, instance },
    },
  };
}

describe('TriggerDelivery', () => {
  let hub: FakeFunctionsHub;
  let port: number;
  let registry: NamespaceRegistry;
  let delivery: TriggerDelivery | undefined;
  const warnings: string[] = [];

  beforeEach(async () => {
    hub = new FakeFunctionsHub();
    port = await hub.start();
    registry = new NamespaceRegistry({ clock: { now: () => Date.now() } });
    warnings.length = 0;
  });

  afterEach(async () => {
    await delivery?.stop(1_000);
    delivery = undefined;
    await hub.stop();
  });

  const attach = (extra: Partial<Parameters<typeof attachTriggerDelivery>[1]> = {}): TriggerDelivery =>
    (delivery = attachTriggerDelivery(registry, {
      functions: { host: '127.0.0.1', port },
      databaseHost: '127.0.0.1:9000',
      log: { info: () => undefined, warn: (line) => warnings.push(line) },
      ...extra,
    }));

  it('posts each change in commit order, one at a time per trigger, without delaying the writes', async () => {
    hub.answerDelayMs = 100;
    const delivery = attach();
    const database = registry.get('ns-a');
    const started = Date.now();
    for (let i = 1; i <= 5; i++) database.set(OWNER, ['presence', 'u1', 'count'], i);
    // Waiting for the function would take 5 × 100 ms; the writes take a few ms even on a busy machine.
    expect(Date.now() - started).toBeLessThan(250);
    expect(hub.received).toEqual([]);
    await delivery.idle();
    expect(hub.received.map((r) => r.event.data.delta)).toEqual([
      { count: 1 },
      { count: 2 },
      { count: 3 },
      { count: 4 },
      { count: 5 },
    ]);
    expect(hub.received.map((r) => r.key)).toEqual(Array(5).fill('us-central1-onPresence-0'));
    expect(hub.maxRunning).toBe(1);
    expect(hub.received[0]?.event).toMatchObject({ instance: 'ns-a', ref: '/presence/u1', data: { data: null } });
    expect(delivery.delivered).toBe(5);
  });

  it('reaches namespaces created before and after it attached, and never fires for disableTriggers writes', async () => {
    const early = registry.get('early');
    const delivery = attach();
    early.set(OWNER, ['presence', 'u1'], { a: 1 });
    registry.get('late').set(OWNER, ['presence', 'u2'], { b: 1 });
    registry.get('late').set(OWNER, ['presence', 'u3'], { c: 1 }, { disableTriggers: true });
    await delivery.idle();
    expect(hub.received.map((r) => `${r.event.instance}${r.event.ref}`).sort()).toEqual([
      'early/presence/u1',
      'late/presence/u2',
    ]);
  });

  it('learns a new trigger generation from the 404 answer (a hot reload) and keeps using it', async () => {
    hub.generation = 3;
    const delivery = attach();
    const database = registry.get('ns');
    database.set(OWNER, ['presence', 'u1'], 1);
    database.set(OWNER, ['presence', 'u1'], 2);
    await delivery.idle();
    expect(hub.received.map((r) => r.key)).toEqual(['us-central1-onPresence-3', 'us-central1-onPresence-3']);
    expect(warnings).toEqual([]);
  });

  it('waits while the Functions emulator reloads (204) and then delivers', async () => {
    hub.disabledAnswers = 2;
    const delivery = attach();
    registry.get('ns').set(OWNER, ['presence', 'u1'], 1);
    await delivery.idle();
    expect(hub.received).toHaveLength(1);
  });

  it('uses registered triggers (POST /.settings/functionTriggers.json) with their key and namespace pattern', async () => {
    const delivery = attach({
      registrations: () => [
        {
          name: 'projects/demo-x/locations/us-central1/triggers/us-central1-callable',
          path: '/limits/{uid}',
          event: 'google.firebase.database.ref.v1.written',
          namespacePattern: 'only-this',
        },
      ],
    });
    registry.get('only-this').set(OWNER, ['limits', 'u1'], 3);
    registry.get('other').set(OWNER, ['limits', 'u1'], 3);
    await delivery.idle();
    expect(hub.received.map((r) => `${r.key} ${r.event.instance}${r.event.ref}`)).toEqual([
      'us-central1-callable only-this/limits/u1',
    ]);
  });

  it('asks /backends at most once per refresh period under a burst of writes', async () => {
    const delivery = attach({ refreshMs: 60_000 });
    const database = registry.get('ns');
    for (let i = 0; i < 20; i++) database.set(OWNER, ['other', String(i)], i);
    await delivery.idle();
    expect(hub.backendsRequests).toBe(1);
    expect(hub.received).toEqual([]);
  });

  it('says once that the Functions emulator does not answer, and the writes still commit', async () => {
    await hub.stop();
    const delivery = attach({ refreshMs: 0 });
    const database = registry.get('ns');
    database.set(OWNER, ['presence', 'u1'], 1);
    database.set(OWNER, ['presence', 'u1'], 2);
    await delivery.idle();
    expect(database.get(OWNER, ['presence', 'u1'])).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/does not answer/);
  });
});

describe('parseFunctionsHost', () => {
  it.each([
    ['127.0.0.1:5001', { host: '127.0.0.1', port: 5001 }],
    ['localhost:15001', { host: 'localhost', port: 15001 }],
    ['[::1]:5001', { host: '::1', port: 5001 }],
  ])('%s', (text, expected) => expect(parseFunctionsHost(text)).toEqual(expected));

  it.each(['5001', 'host:', 'host:99999', 'http://127.0.0.1:5001'])('refuses %s', (text) => {
    expect(() => parseFunctionsHost(text)).toThrow(FunctionsHostError);
  });
});

describe('rtdb-emulator --functions', () => {
  it('takes host:port and refuses anything else', () => {
    expect(parseCliArgs(['--functions', '127.0.0.1:5001']).functions).toEqual({ host: '127.0.0.1', port: 5001 });
    expect(parseCliArgs([]).functions).toBeUndefined();
    expect(() => parseCliArgs(['--functions', '5001'])).toThrow(CliUsageError);
  });
});
