/**
 * The realtime endpoint: WebSocket upgrades at `/.ws` (docs/wire-protocol.md §1.2) and long polling at `/.lp`
 * (docs/wire-protocol.md §14), both feeding RealtimeSessions. Owns the heartbeat that finds dead sockets.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Clock } from '../clock';
import { ControlCommand, UrlParam, WEBSOCKET_PATH } from '../protocol/constants';
import { controlMessage, handshakeMessage, PONG_MESSAGE } from '../protocol/messages';
import type { InboundMessage } from '../protocol/messages';
import type { Profiler } from '../profiler/profiler';
import { LongPollServer } from './long-poll';
import type { ServerLog } from '../log';
import { RealtimeSession } from './session';
import type { DatabaseProvider } from '../rules';
import { CloseCode, WebSocketChannel } from './websocket';
import { namespaceFromParams } from './namespace';

/** A dead socket is found within two intervals (it must answer one WebSocket ping per interval). */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** WebSocket frames from the SDK are at most 16384 UTF-16 units; a raw client's frame is capped here. */
const MAX_WS_FRAME_BYTES = 64 * 1024 * 1024; /* 64 MiB */

export interface RealtimeServerOptions {
  readonly databases: DatabaseProvider;
  readonly clock: Clock;
  readonly log: ServerLog;
  readonly profiler: Profiler;
  readonly heartbeatMs?: number;
}

export class RealtimeServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_WS_FRAME_BYTES,
  });
  private readonly channels = new Set<WebSocketChannel>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly longPoll: LongPollServer;
  private connectionCount = 0;

  constructor(private readonly options: RealtimeServerOptions) {
    this.longPoll = new LongPollServer({ ...options, newSessionId });
    this.heartbeat = setInterval(() => {
      for (const channel of this.channels) channel.checkAlive();
      this.longPoll.sweep();
    }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** `upgrade` event of the HTTP server. Anything but `/.ws` is refused without touching others. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = safeUrl(request.url);
    if (!url || url.pathname !== WEBSOCKET_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.on('error', () => {}); // a reset during the handshake must not become an unhandled error
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onWebSocket(ws, request, url));
  }

  handleLongPoll(request: IncomingMessage, response: ServerResponse, url: URL): void {
    this.longPoll.handle(request, response, url);
  }

  get sessionCount(): number {
    return this.channels.size + this.longPoll.sessionCount;
  }

  /** Closes every connection (their onDisconnect queues run) and stops the heartbeat. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const channel of this.channels) channel.close(CloseCode.goingAway, 'server shutting down');
    for (const channel of this.channels) channel.terminate();
    this.longPoll.close();
    this.wss.close();
  }

  private onWebSocket(ws: WebSocket, request: IncomingMessage, url: URL): void {
    const id = ++this.connectionCount;
    const channel = new WebSocketChannel(ws, request.socket as Socket, this.options.log, `ws#${id}`);
    this.channels.add(channel);
    channel.onClose(() => this.channels.delete(channel));

    // docs/wire-protocol.md §14.2: the secondary transport of a long-poll upgrade names the session it joins.
    const transportSession = url.searchParams.get(UrlParam.transportSession);
    if (transportSession) {
      if (!this.longPoll.attachUpgrade(transportSession, channel)) {
        // Unknown session: `r` on the secondary makes the client abandon the upgrade.
        channel.send(controlMessage(ControlCommand.reset, request.headers.host ?? ''));
        channel.close(CloseCode.policyViolation, 'unknown session');
      }
      return;
    }

    const namespace = namespaceFromParams(url.searchParams);
    if (namespace === null) {
      channel.send(controlMessage(ControlCommand.error, 'Invalid namespace'));
      channel.close(CloseCode.policyViolation, 'invalid namespace');
      return;
    }
    const session = new RealtimeSession({
      database: this.options.databases.database(namespace),
      sessionId: newSessionId(),
      log: this.options.log,
      output: (envelope) => channel.send(envelope),
      profiler: this.options.profiler,
    });
    this.options.log.debug(`ws#${id} connected to ${namespace} as session ${session.sessionId}`);
    // docs/wire-protocol.md §3.1: the handshake is the first message; `h` is where the client should reconnect.
    channel.send(
      handshakeMessage({ ts: this.options.clock.now(), h: request.headers.host ?? '', s: session.sessionId }),
    );
    channel.onMessage = (message) => dispatchInbound(message, session, channel);
    channel.onClose(() => {
      this.options.log.debug(`ws#${id} closed; running onDisconnect for session ${session.sessionId}`);
      session.close();
    });
  }
}

/** Control commands on a primary WebSocket; data requests go to the session. */
function dispatchInbound(message: InboundMessage, session: RealtimeSession, channel: WebSocketChannel): void {
  if (message.layer === 'data') {
    session.handleRequest(message.request);
    return;
  }
  if (message.command === ControlCommand.ping) channel.send(PONG_MESSAGE);
  // Anything else the client sends on the control layer (`a`, `n`) only matters during an upgrade.
}

export function newSessionId(): string {
  return randomBytes(12).toString('base64url');
}

function safeUrl(raw: string | undefined): URL | null {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}
