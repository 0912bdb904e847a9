/**
 * A long-polling client that behaves as the browser SDK's BrowserPollConnection
 * (docs/wire-protocol.md §14): it runs each response script with the parent-window callbacks `pLPCommand<cb>`/`pRTLPCB<cb>`,
 * orders packets like PacketReceiver, keeps one poll outstanding (two while sending), and sends
 * messages as base64 web-safe segments of at most 1840 characters. Node has no iframes, so the
 * scripts run in a `vm` context whose `parent` holds the callbacks.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { runInNewContext } from 'node:vm';
import { emulatorAddress } from './emulator';

type Json = Record<string, unknown>;
const MAX_SEGMENT = 1840;

export class LongPollClient {
  readonly envelopes: Json[] = [];
  readonly commands: unknown[][] = [];
  id = '';
  password = '';
  private readonly callbackId = String(1 + Math.floor(Math.random() * 1000));
  private readonly packets = new Map<number, unknown[]>();
  private nextPacket = 0;
  private serial = Math.floor(Math.random() * 1e8);
  private segmentNumber = 0;
  private outstanding = 0;
  private requestNumber = 0;
  private alive = true;
  private disconnectFrame: IncomingMessage | null = null;
  private disconnectRequest: ReturnType<typeof httpRequest> | null = null;
  private readonly inFlight = new Set<ReturnType<typeof httpRequest>>();

  private constructor(readonly ns: string) {}

  static async start(ns: string): Promise<LongPollClient> {
    const client = new LongPollClient(ns);
    await client.load(`start=t&ser=${client.serial}&cb=${client.callbackId}&v=5&ns=${ns}`);
    if (!client.id) throw new Error('long poll: no start command');
    client.openDisconnectFrame();
    client.pollLoop();
    return client;
  }

  get handshake(): Json | undefined {
    const first = this.envelopes[0] as { t?: string; d?: { t?: string; d?: Json } } | undefined;
    return first?.t === 'c' && first.d?.t === 'h' ? first.d.d : undefined;
  }

  /** Sends one message in segments on a new poll, as `enqueueSegment` + `newRequest_` do. */
  send(message: unknown): Promise<void> {
    const data = Buffer.from(JSON.stringify(message))
      .toString('base64')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=/g, '.');
    const segments: string[] = [];
    for (let i = 0; i < data.length; i += MAX_SEGMENT) segments.push(data.slice(i, i + MAX_SEGMENT));
    const sends = segments.map((segment, i) => {
      const number = this.segmentNumber++;
      return this.poll(`&seg0=${number}&ts0=${segments.length}&d0=${segment}`, i);
    });
    return Promise.all(sends).then(() => undefined);
  }

  async request(action: string, body: Json): Promise<{ s: string; d: unknown }> {
    const r = ++this.requestNumber;
    await this.send({ t: 'd', d: { r, a: action, b: body } });
    const response = await this.waitFor((e) => (e['d'] as Json | undefined)?.['r'] === r);
    return (response['d'] as Json)['b'] as { s: string; d: unknown };
  }

  async waitFor(predicate: (envelope: Json) => boolean, timeoutMs = 5000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.envelopes.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('long poll: expected message did not arrive');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops polling; `abortDisconnectFrame` also drops the dframe request, as a closing page does. */
  stop(abortDisconnectFrame = false): void {
    this.alive = false;
    for (const request of this.inFlight) request.destroy();
    if (abortDisconnectFrame) this.disconnectRequest?.destroy();
  }

  private pollLoop(): void {
    if (!this.alive || this.outstanding > 0) return;
    void this.poll('', 0);
  }

  private async poll(data: string, _index: number): Promise<void> {
    this.outstanding += 1;
    try {
      await this.load(`id=${this.id}&pw=${this.password}&ser=${++this.serial}&ns=${this.ns}${data}`);
    } finally {
      this.outstanding -= 1;
      if (this.alive) setImmediate(() => this.pollLoop());
    }
  }

  private load(query: string): Promise<void> {
    const { host, port } = emulatorAddress();
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host, port, path: `/.lp?${query}` }, (response) => {
        let script = '';
        response.on('data', (chunk: Buffer) => (script += chunk.toString()));
        response.on('end', () => {
          if (response.statusCode !== 200) return reject(new Error(`long poll ${response.statusCode}: ${script}`));
          this.run(script);
          resolve();
        });
      });
      this.inFlight.add(request);
      request.on('close', () => this.inFlight.delete(request));
      request.on('error', (error) => (this.alive ? reject(error) : resolve()));
      request.end();
    });
  }

  private run(script: string): void {
    const parent = {
      [`pLPCommand${this.callbackId}`]: (...args: unknown[]) => {
        this.commands.push(args);
        if (args[0] === 'start') [this.id, this.password] = [args[1] as string, args[2] as string];
        if (args[0] === 'close') this.alive = false;
      },
      [`pRTLPCB${this.callbackId}`]: (packet: number, envelopes: unknown[]) => {
        this.packets.set(packet, envelopes);
        while (this.packets.has(this.nextPacket)) {
          this.envelopes.push(...((this.packets.get(this.nextPacket) ?? []) as Json[]));
          this.packets.delete(this.nextPacket++);
        }
      },
    };
    runInNewContext(script, { parent });
  }

  private openDisconnectFrame(): void {
    const { host, port } = emulatorAddress();
    this.disconnectRequest = httpRequest(
      { host, port, path: `/.lp?dframe=t&id=${this.id}&pw=${this.password}&ns=${this.ns}` },
      (response) => {
        this.disconnectFrame = response;
        response.resume();
      },
    );
    this.disconnectRequest.on('error', () => {});
    this.disconnectRequest.end();
  }

  get disconnectFrameOpen(): boolean {
    return this.disconnectFrame !== null && !this.disconnectFrame.complete;
  }
}
