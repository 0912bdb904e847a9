/**
 * A lightweight load generator that speaks the SDK's wire protocol (docs/wire-protocol.md §2–4) over
 * the `ws` package: the same frames an SDK `set()` produces, without the SDK's client-side cost
 * (its sync tree, event raising and per-message socket writes). On a 2-core machine 100 real SDK
 * clients in one process saturate their own core long before the server's, so this is what measures
 * the server's capacity; the SDK phases measure what an app sees.
 */
import WebSocket from 'ws';
import { type TimedRun, timedLoops } from './loops';

export class WireClient {
  private requestNumber = 0;
  private readonly pending = new Map<number, (status: string) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.length <= 6 && /^\d+$/.test(text)) return; // frame counts: our replies are small
      const message = JSON.parse(text) as { t: string; d: { r?: number; b?: { s?: string } } };
      if (message.t !== 'd' || message.d.r === undefined) return;
      const resolve = this.pending.get(message.d.r);
      this.pending.delete(message.d.r);
      resolve?.(message.d.b?.s ?? '');
    });
  }

  static async connect(hostAndPort: string, ns: string): Promise<WireClient> {
    const ws = new WebSocket(`ws://${hostAndPort}/.ws?v=5&ns=${ns}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve()); // the handshake
      ws.once('error', reject);
    });
    return new WireClient(ws);
  }

  /** Sends one request and resolves with its status when the reply arrives. */
  request(action: string, body: Record<string, unknown>): Promise<string> {
    const r = ++this.requestNumber;
    return new Promise((resolve) => {
      this.pending.set(r, resolve);
      this.ws.send(JSON.stringify({ t: 'd', d: { r, a: action, b: body } }));
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** `lanes` closed loops of `p` (set) requests over `clients` connections for `ms`. */
export function wireSetLoad(
  clients: readonly WireClient[],
  lanes: number,
  ms: number,
  path: (lane: number) => string,
): Promise<TimedRun> {
  return timedLoops(lanes, ms, async (lane, n) => {
    const client = clients[lane % clients.length] as WireClient;
    const status = await client.request('p', { p: path(lane), d: n });
    if (status !== 'ok') throw new Error(`wire set failed: ${status}`);
  });
}
