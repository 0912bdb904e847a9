/**
 * A TCP proxy between a client and the database emulator that injects the network and lifecycle
 * faults a Realtime Database client meets in the field, through the real socket (the SDK is never
 * touched):
 * - `cut()` drops every connection with a TCP reset on both sides (a network failure);
 * - `freeze()` stalls both directions, holding every byte with the sockets open (an app suspended by
 *   its OS, a path that silently stopped delivering), and `thaw()` delivers what it held, in order;
 * - `halfOpen()` resets the client's side only and keeps the server's side open and silent: the
 *   half-open connection the server notices minutes later (a network change, a dead NAT entry), which
 *   `endStale()` then ends;
 * - `delay(ms)` adds latency each way;
 * - `cutAfterClientMessage(match)` delivers one client message, then drops the connection before the
 *   next one (e.g. between a claim and its onDisconnect registration);
 * - `expireAuth()` makes the server treat the connection as signed out, as production does when the
 *   connection's ID token expires without being refreshed (a hidden tab whose token refresh timer did
 *   not run), and tells the client so (see the method).
 * The proxy reads the WebSocket frames that cross it (ws-frames.ts), so it forwards whole messages
 * and injects its own only between them. Its timers run on `performance.now()`, which the tests'
 * virtual clock (test/client/virtual-time.ts) leaves alone.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { databaseMessage, textFrame, WsSplitter, type WsUnit } from './ws-frames';

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** Request numbers of the messages the proxy sends for the server: far above any SDK's counter. */
let injectedRequest = 900_000_000;

/** A whole unit on its way: due at `due` (performance.now()), `boundary` if a message may follow it. */
interface Outgoing {
  readonly bytes: Buffer;
  readonly boundary: boolean;
  readonly due: number;
}

interface Pipe {
  readonly from: Socket;
  readonly to: Socket;
  readonly splitter: WsSplitter;
  /** Units waiting for `thaw()`, or for their delay. */
  readonly outbox: Outgoing[];
  /** Messages of our own, written once the delivered stream is between two messages. */
  readonly injections: Buffer[];
  deliveredAtBoundary: boolean;
  /** The timer of a unit not yet due (latency), cleared when the connection goes. */
  timer: NodeJS.Timeout | null;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly up: Pipe;
  readonly down: Pipe;
  /** The client's side is gone; the server's side is kept open and silent until `endStale()`. */
  stale: boolean;
  /** Request numbers whose replies the client must not see (the server's answers to injections). */
  readonly swallowed: Set<number>;
}

type ClientMessageMatch = (message: { a?: unknown; b?: Record<string, unknown> }) => boolean;

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private readonly stalePairs = new Set<Pair>();
  private accepting = true;
  private frozen = false;
  private latencyMs = 0;
  private cutAfter: ClientMessageMatch | null = null;
  private holdFrom: ClientMessageMatch | null = null;
  /** The device dies with the cut: it does not come back. */
  private refuseAfterCut = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: () => ProxyTarget,
  ) {}

  /** Listens on a free port of 127.0.0.1; `target` is looked up per connection (an emulator may restart). */
  static async start(target: ProxyTarget | (() => ProxyTarget)): Promise<TcpProxy>;
  static async start(host: string, port: number): Promise<TcpProxy>;
  static async start(target: string | ProxyTarget | (() => ProxyTarget), targetPort?: number): Promise<TcpProxy> {
    const resolve =
      typeof target === 'function'
        ? target
        : typeof target === 'string'
          ? () => ({ host: target, port: targetPort as number })
          : () => target;
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port, resolve);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** Connections open through the proxy (half-open ones excluded). */
  get connectionCount(): number {
    return this.pairs.size;
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** Half-open connections the server still believes in. */
  get staleCount(): number {
    return this.stalePairs.size;
  }

  cut(): void {
    for (const pair of [...this.pairs]) this.drop(pair);
  }

  /** Refuses new connections (reset at once): the device stays away until `allow()`. */
  refuse(): void {
    this.accepting = false;
  }

  allow(): void {
    this.accepting = true;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) for (const pipe of [pair.up, pair.down]) this.pump(pipe);
  }

  /** One-way latency added to every message from now on. */
  delay(ms: number): void {
    this.latencyMs = ms;
  }

  halfOpen(): void {
    for (const pair of [...this.pairs]) {
      pair.stale = true;
      this.pairs.delete(pair);
      this.stalePairs.add(pair);
      pair.client.resetAndDestroy();
    }
  }

  /** The server finally notices the half-open connections: they end (FIN), and it runs their onDisconnect. */
  endStale(): void {
    for (const pair of [...this.stalePairs]) {
      this.stalePairs.delete(pair);
      pair.upstream.end();
    }
  }

  /**
   * Delivers the next client message that `match`es, then drops that connection (the server sees a
   * clean end right after it, the client a reset) before anything else crosses it.
   */
  cutAfterClientMessage(match: ClientMessageMatch, options: { readonly thenRefuse?: boolean } = {}): void {
    this.cutAfter = match;
    this.refuseAfterCut = options.thenRefuse === true;
  }

  /**
   * Stalls the link (as `freeze()`) from the next client message that `match`es, that message
   * included: it and what follows stay in flight, e.g. a claim the SDK sent just before its network
   * stopped delivering.
   */
  holdFromClientMessage(match: ClientMessageMatch): void {
    this.holdFrom = match;
  }

  /**
   * The connection's ID token expired and was not refreshed. The server then evaluates the rules for
   * this connection as unauthenticated, and tells the client with an auth-revoked message
   * (`ac`, status `expired_token`), after which the SDK closes the socket and reconnects with a fresh
   * token (`PersistentConnection.onAuthRevoked_`). Our emulator does not expire tokens (the official
   * one does not either), so the proxy plays the server's part: it sends the emulator an `unauth`
   * request for the connection (its reply is kept from the client) and the client the `ac`. A frozen
   * client receives the `ac` only when it thaws; the server side changes at once.
   */
  expireAuth(): void {
    for (const pair of this.pairs) {
      const r = injectedRequest++;
      pair.swallowed.add(r);
      this.inject(pair.up, JSON.stringify({ t: 'd', d: { r, a: 'unauth', b: {} } }), true);
      // Queued behind what the server already sent (and held while frozen). Messages longer than
      // 16384 characters (split in parts) never cross these tests, so this lands between two messages.
      this.enqueue(
        pair.down,
        textFrame(
          JSON.stringify({ t: 'd', d: { a: 'ac', b: { s: 'expired_token', d: 'Auth token is expired.' } } }),
          false,
        ),
      );
    }
  }

  async close(): Promise<void> {
    this.refuse();
    this.cut();
    for (const pair of [...this.stalePairs]) pair.upstream.resetAndDestroy();
    this.stalePairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (!this.accepting) {
      client.resetAndDestroy();
      return;
    }
    const { host, port } = this.target();
    const upstream = connect(port, host);
    upstream.on('error', () => undefined);
    const pipe = (from: Socket, to: Socket): Pipe => ({
      from,
      to,
      splitter: new WsSplitter(),
      outbox: [],
      injections: [],
      deliveredAtBoundary: false,
      timer: null,
    });
    const pair: Pair = {
      client,
      upstream,
      up: pipe(client, upstream),
      down: pipe(upstream, client),
      stale: false,
      swallowed: new Set(),
    };
    this.pairs.add(pair);
    client.on('data', (chunk: Buffer) => this.receive(pair, pair.up, chunk));
    upstream.on('data', (chunk: Buffer) => this.receive(pair, pair.down, chunk));
    client.on('close', () => {
      if (!pair.stale) this.drop(pair);
    });
    upstream.on('close', () => {
      this.stalePairs.delete(pair);
      this.drop(pair);
    });
  }

  private receive(pair: Pair, pipe: Pipe, chunk: Buffer): void {
    if (pair.stale) return; // a half-open connection: nothing crosses it any more
    for (const unit of pipe.splitter.push(chunk)) {
      if (!this.pairs.has(pair)) return;
      if (pipe === pair.down && this.isSwallowed(pair, unit)) continue;
      if (pipe === pair.up && this.holdFrom && this.matches(unit, this.holdFrom)) {
        this.holdFrom = null;
        this.frozen = true;
      }
      this.enqueue(pipe, unit.bytes, pipe.splitter.atBoundary);
      if (pipe === pair.up && this.cutAfter && this.matches(unit, this.cutAfter)) {
        this.cutAfter = null;
        if (this.refuseAfterCut) this.accepting = false;
        // Written now, whatever the latency; a FIN after it lets the server read it, then see the end.
        for (const queued of pipe.outbox.splice(0)) pipe.to.write(queued.bytes);
        this.pairs.delete(pair);
        pair.upstream.end();
        pair.client.resetAndDestroy();
        return;
      }
    }
  }

  private isSwallowed(pair: Pair, unit: WsUnit): boolean {
    const r = databaseMessage(unit.text)?.d?.['r'];
    return typeof r === 'number' && pair.swallowed.delete(r);
  }

  private matches(unit: WsUnit, match: ClientMessageMatch): boolean {
    const message = databaseMessage(unit.text);
    const body = message?.t === 'd' ? message.d : undefined;
    return body !== undefined && match({ a: body['a'], b: body['b'] as Record<string, unknown> | undefined });
  }

  /** Queues bytes for `pipe.to`; `boundary` records whether a message may follow them. */
  private enqueue(pipe: Pipe, bytes: Buffer, boundary = true): void {
    pipe.outbox.push({ bytes: Buffer.from(bytes), boundary, due: performance.now() + this.latencyMs });
    this.pump(pipe);
  }

  /** Writes one of our own messages once the stream is between two messages, ahead of held units. */
  private inject(pipe: Pipe, text: string, masked: boolean): void {
    // Not subject to freeze or delay: this is the server's own doing, not traffic on the path.
    const frame = textFrame(text, masked);
    if (pipe.deliveredAtBoundary && !pipe.to.destroyed) pipe.to.write(frame);
    else pipe.injections.push(frame);
  }

  /** Writes the units that are due, in order; a unit not yet due arms one timer for itself. */
  private pump(pipe: Pipe): void {
    while (pipe.timer === null && !this.frozen) {
      const next = pipe.outbox[0];
      if (!next) return;
      const wait = next.due - performance.now();
      if (wait > 0) {
        pipe.timer = setTimeout(() => {
          pipe.timer = null;
          this.pump(pipe);
        }, wait);
        return;
      }
      pipe.outbox.shift();
      if (!pipe.to.destroyed) pipe.to.write(next.bytes);
      pipe.deliveredAtBoundary = next.boundary;
      if (next.boundary) for (const frame of pipe.injections.splice(0)) if (!pipe.to.destroyed) pipe.to.write(frame);
    }
  }

  private drop(pair: Pair): void {
    for (const pipe of [pair.up, pair.down]) {
      if (pipe.timer !== null) clearTimeout(pipe.timer);
      pipe.timer = null;
      pipe.outbox.length = 0;
    }
    this.pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream.resetAndDestroy();
  }
}
