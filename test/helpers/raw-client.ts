/**
 * A hand-driven protocol client over the `ws` package, for what the SDKs cannot be made to send:
 * exact wire checks (handshake, pong, frame counts, `c` payloads) and malformed input.
 * Incoming frames are reassembled exactly as `WebSocketConnection.handleIncomingFrame` does.
 */
import WebSocket from 'ws';
import { emulatorAddress } from './emulator';

export type Json = Record<string, unknown>;

export class RawClient {
  readonly messages: Json[] = [];
  readonly frames: string[] = [];
  private requestNumber = 0;
  private pendingFrames: string[] | null = null;
  private expectedFrames = 0;
  private waiters: Array<() => void> = [];
  closed = false;
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(data.toString()));
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => {});
  }

  /** Opens `/.ws?v=5&ns=<ns>` (plus `query`) and waits for the handshake. */
  static async connect(ns: string | null, query = '', headers: Record<string, string> = {}): Promise<RawClient> {
    const { hostAndPort } = emulatorAddress();
    const params = ['v=5', query, ns === null ? '' : `ns=${ns}`].filter(Boolean).join('&');
    const ws = new WebSocket(`ws://${hostAndPort}/.ws?${params}`, { headers });
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  get handshake(): Json | undefined {
    const first = this.messages[0] as { t?: string; d?: { t?: string; d?: Json } } | undefined;
    return first?.t === 'c' && first.d?.t === 'h' ? first.d.d : undefined;
  }

  async waitForHandshake(): Promise<Json> {
    await this.waitFor(() => this.handshake !== undefined);
    return this.handshake as Json;
  }

  sendFrame(frame: string): void {
    this.ws.send(frame);
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Sends a data request and resolves with its response body `{s, d}`. */
  async request(action: string, body: Json): Promise<{ s: string; d: unknown }> {
    const r = ++this.requestNumber;
    this.send({ t: 'd', d: { r, a: action, b: body } });
    const response = await this.waitForMessage((m) => (m['d'] as Json | undefined)?.['r'] === r);
    return (response['d'] as Json)['b'] as { s: string; d: unknown };
  }

  /** Data pushes received so far with action `a`. */
  pushes(action: string): Json[] {
    return this.messages
      .filter((m) => m['t'] === 'd' && (m['d'] as Json)['a'] === action)
      .map((m) => (m['d'] as Json)['b'] as Json);
  }

  async waitForMessage(predicate: (message: Json) => boolean, timeoutMs = 3000): Promise<Json> {
    let found: Json | undefined;
    await this.waitFor(() => (found = this.messages.find(predicate)) !== undefined, timeoutMs);
    return found as Json;
  }

  async waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`raw client: condition not met within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForClose(timeoutMs = 3000): Promise<number | undefined> {
    await this.waitFor(() => this.closed, timeoutMs);
    return this.closeCode;
  }

  close(): void {
    this.ws.terminate();
  }

  private onFrame(frame: string): void {
    this.frames.push(frame);
    if (this.pendingFrames === null && frame.length <= 6 && !Number.isNaN(Number(frame))) {
      this.expectedFrames = Number(frame);
      this.pendingFrames = [];
      return;
    }
    if (this.pendingFrames !== null) {
      this.pendingFrames.push(frame);
      if (this.pendingFrames.length < this.expectedFrames) return;
      frame = this.pendingFrames.join('');
      this.pendingFrames = null;
    }
    this.messages.push(JSON.parse(frame) as Json);
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** An unsigned JWT like connectDatabaseEmulator's mockUserToken (`alg: none`, empty signature). */
export function mockIdToken(claims: Json): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', type: 'JWT' })}.${encode({ iat: 0, exp: 3600, ...claims })}.`;
}
