/**
 * Long polling for browsers (docs/wire-protocol.md §14, `BrowserPollConnection.ts`), and the upgrade to WebSocket
 * (docs/wire-protocol.md §14.2).
 *
 * A browser starts here when its `previous_websocket_failure` flag is set or its storage is in memory.
 * - start: `GET /.lp?start=t&cb=<n>&ns=…` → `pLPCommand('start', id, pw)` and packet 0 (the handshake);
 * - polls: `GET /.lp?id&pw&ser&seg<i>&ts<i>&d<i>` carry the client's messages (base64 web-safe
 *   segments); one poll is held open until there is data for it; a new poll releases the held one;
 * - `dframe`: a request the page keeps open; when the page goes, the browser aborts it → disconnect;
 * - upgrade: the client opens `/.ws?s=<session>`; we send `a` there, answer its pings, and when the
 *   client sends `n` on the poll we answer `n` (then `close`) on the poll and switch output to the socket.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock';
import { ControlCommand } from '../protocol/constants';
import { isProtocolError, ProtocolError } from '../protocol/errors';
import {
  commandCall,
  dataCall,
  LONG_POLL_HOLD_MS,
  LongPollParam,
  longPollScript,
  readSegments,
  SegmentAssembler,
} from '../protocol/long-poll';
import { controlMessage, handshakeMessage, parseInboundMessage, PONG_MESSAGE } from '../protocol/messages';
import type { Envelope, InboundMessage } from '../protocol/messages';
import type { Profiler } from '../profiler/profiler';
import type { ServerLog } from '../log';
import { errorText } from '../log';
import { namespaceFromParams } from './namespace';
import { RealtimeSession } from './session';
import type { DatabaseProvider } from '../rules';
import type { WebSocketChannel } from './websocket';

/**
 * A session with no poll for this long is gone (the client re-polls at least every 25 s).
 * DIFFERENCE FROM PRODUCTION (possible): production's timeout is not public.
 */
const LONG_POLL_SESSION_TIMEOUT_MS = 60_000;

export interface LongPollServerOptions {
  readonly databases: DatabaseProvider;
  readonly clock: Clock;
  readonly log: ServerLog;
  readonly profiler: Profiler;
  readonly newSessionId: () => string;
}

class LongPollSession {
  readonly id = randomBytes(9).toString('base64url');
  readonly password = randomBytes(9).toString('base64url');
  readonly assembler = new SegmentAssembler();
  outbox: Envelope[] = [];
  nextPacket = 0;
  held: ServerResponse | null = null;
  holdTimer: NodeJS.Timeout | null = null;
  lastSeen: number;
  /** set once the client sent `n` here: output goes to the WebSocket, this transport is finished */
  upgraded = false;
  secondary: WebSocketChannel | null = null;
  disconnectFrame: ServerResponse | null = null;

  constructor(
    readonly session: RealtimeSession,
    readonly callbackId: string,
    now: number,
  ) {
    this.lastSeen = now;
  }
}

export class LongPollServer {
  private readonly byId = new Map<string, LongPollSession>();
  private readonly bySessionId = new Map<string, LongPollSession>();

  constructor(private readonly options: LongPollServerOptions) {}

  get sessionCount(): number {
    return this.byId.size;
  }

  handle(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const params = url.searchParams;
    try {
      if (params.get(LongPollParam.start) === 't') this.start(request, response, params);
      else if (params.get(LongPollParam.disconnectFrame) === 't') this.disconnectFrame(request, response, params);
      else this.poll(request, response, params);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      this.options.log.debug(`long poll: ${error.message}`);
      // The client treats a failed script load as a dead connection and reconnects.
      send(response, 400, 'text/plain; charset=utf-8', error.message);
    }
  }

  /** docs/wire-protocol.md §14.2: the WebSocket opened with `s=<session id>` of a long-poll session. */
  attachUpgrade(sessionId: string, channel: WebSocketChannel): boolean {
    const lp = this.bySessionId.get(sessionId);
    if (!lp || lp.session.isClosed || lp.upgraded || lp.secondary) return false;
    lp.secondary = channel;
    channel.onMessage = (message) => {
      if (message.layer === 'data') lp.session.handleRequest(message.request);
      else if (message.command === ControlCommand.ping) channel.send(PONG_MESSAGE);
      // The client's own `a` on the secondary needs no answer.
    };
    channel.onClose(() => {
      if (lp.upgraded) this.end(lp);
      else lp.secondary = null; // upgrade abandoned: the poll carries on
    });
    // The client does nothing on the secondary until it sees `a`, then pings it until healthy.
    channel.send(controlMessage(ControlCommand.switchAck, {}));
    return true;
  }

  /** Heartbeat: drop sessions whose polls stopped (the page went away without a clean close). */
  sweep(): void {
    const now = this.options.clock.now();
    for (const lp of this.byId.values()) {
      if (!lp.upgraded && now - lp.lastSeen > LONG_POLL_SESSION_TIMEOUT_MS) this.end(lp);
    }
  }

  close(): void {
    for (const lp of [...this.byId.values()]) this.end(lp);
  }

  private start(request: IncomingMessage, response: ServerResponse, params: URLSearchParams): void {
    const namespace = namespaceFromParams(params);
    if (namespace === null) throw new ProtocolError('bad_long_poll', 'Invalid namespace');
    const callbackId = params.get(LongPollParam.callbackId) ?? '';
    const session = new RealtimeSession({
      database: this.options.databases.database(namespace),
      sessionId: this.options.newSessionId(),
      log: this.options.log,
      output: () => {},
      profiler: this.options.profiler,
    });
    const lp = new LongPollSession(session, callbackId, this.options.clock.now());
    session.output = (envelope) => this.enqueue(lp, envelope);
    this.byId.set(lp.id, lp);
    this.bySessionId.set(session.sessionId, lp);
    this.options.log.debug(`lp ${lp.id} started on ${namespace} as session ${session.sessionId}`);
    lp.outbox.push(
      handshakeMessage({ ts: this.options.clock.now(), h: request.headers.host ?? '', s: session.sessionId }),
    );
    const calls = [commandCall(LongPollParam.start, lp.id, lp.password), this.takePacket(lp)].filter(isString);
    sendScript(response, longPollScript(callbackId, calls));
  }

  private poll(request: IncomingMessage, response: ServerResponse, params: URLSearchParams): void {
    const lp = this.authenticate(params);
    lp.lastSeen = this.options.clock.now();
    for (const text of lp.assembler.add(readSegments(params))) {
      this.receive(lp, parseInboundMessage(text));
    }
    // The client keeps one poll open; a newer one releases the held one (`newRequest_`).
    if (lp.held) this.release(lp);
    if (lp.upgraded || lp.session.isClosed || lp.outbox.length > 0) {
      this.respond(lp, response);
      return;
    }
    lp.held = response;
    lp.holdTimer = setTimeout(() => this.release(lp), LONG_POLL_HOLD_MS);
    lp.holdTimer.unref();
    request.on('close', () => {
      if (lp.held === response) {
        lp.held = null;
        if (lp.holdTimer) clearTimeout(lp.holdTimer);
      }
    });
  }

  private disconnectFrame(request: IncomingMessage, response: ServerResponse, params: URLSearchParams): void {
    const lp = this.authenticate(params);
    lp.disconnectFrame = response;
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    // The page removes this iframe when it closes the connection; the aborted request is our signal.
    request.on('close', () => {
      if (lp.disconnectFrame === response && !lp.upgraded) this.end(lp);
    });
  }

  private authenticate(params: URLSearchParams): LongPollSession {
    const lp = this.byId.get(params.get(LongPollParam.id) ?? '');
    if (!lp || params.get(LongPollParam.password) !== lp.password) {
      throw new ProtocolError('bad_long_poll', 'Unknown long-poll session');
    }
    return lp;
  }

  private receive(lp: LongPollSession, message: InboundMessage): void {
    try {
      if (message.layer === 'data') {
        lp.session.handleRequest(message.request);
      } else if (message.command === ControlCommand.ping) {
        this.enqueue(lp, PONG_MESSAGE);
      } else if (message.command === ControlCommand.endTransmission && lp.secondary) {
        // docs/wire-protocol.md §14.2: the client switched sending to the WebSocket. Answer `n` here, then send there.
        lp.outbox.push(controlMessage(ControlCommand.endTransmission, {}));
        lp.upgraded = true;
        const secondary = lp.secondary;
        lp.session.output = (envelope) => secondary.send(envelope);
      }
    } catch (error) {
      this.options.log.error(`lp ${lp.id}: ${errorText(error)}`);
    }
  }

  private enqueue(lp: LongPollSession, envelope: Envelope): void {
    lp.outbox.push(envelope);
    // Release the held poll on the next tick, so a write's pushes and its `ok` travel together.
    if (lp.held && lp.outbox.length === 1) setImmediate(() => this.release(lp));
  }

  private release(lp: LongPollSession): void {
    const held = lp.held;
    if (!held) return;
    lp.held = null;
    if (lp.holdTimer) clearTimeout(lp.holdTimer);
    this.respond(lp, held);
  }

  private respond(lp: LongPollSession, response: ServerResponse): void {
    const calls = [this.takePacket(lp)].filter(isString);
    // After the upgrade's `n` (or when the session ended) the poll transport is told to close once
    // it has processed every packet sent so far (`PacketReceiver.closeAfter`).
    if (lp.upgraded || lp.session.isClosed) {
      calls.push(commandCall('close', Math.max(0, lp.nextPacket - 1)));
      this.forget(lp);
    }
    sendScript(response, longPollScript(lp.callbackId, calls));
  }

  private takePacket(lp: LongPollSession): string | undefined {
    if (lp.outbox.length === 0) return undefined;
    const envelopes = lp.outbox;
    lp.outbox = [];
    return dataCall(lp.nextPacket++, envelopes);
  }

  /** The session is over: its onDisconnect runs (unless it lives on over the WebSocket). */
  private end(lp: LongPollSession): void {
    this.forget(lp);
    lp.session.close();
    if (lp.held) this.release(lp);
    lp.secondary?.close();
    lp.disconnectFrame?.end();
    lp.disconnectFrame = null;
  }

  private forget(lp: LongPollSession): void {
    this.byId.delete(lp.id);
    this.bySessionId.delete(lp.session.sessionId);
  }
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}

function sendScript(response: ServerResponse, script: string): void {
  send(response, 200, 'application/javascript; charset=utf-8', script);
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  if (response.headersSent || response.writableEnded) return;
  response.writeHead(status, {
    'Content-Type': contentType,
    'Cache-Control': 'no-cache, no-store',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(body);
}
