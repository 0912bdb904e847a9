/**
 * One WebSocket, as the protocol frames it (docs/wire-protocol.md §2): inbound frames reassembled into messages,
 * outbound messages split into frames, keepalives ignored, liveness watched with WebSocket pings (faye-websocket in
 * Node and every browser answer them without involving the SDK), and a client that stops reading is cut off instead of
 * buffering without bound.
 */
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { FrameReassembler, splitMessage } from '../protocol/framing';
import { isProtocolError } from '../protocol/errors';
import { parseInboundMessage } from '../protocol/messages';
import type { Envelope, InboundMessage } from '../protocol/messages';
import { errorText } from '../log';
import type { ServerLog } from '../log';

/** Close codes (RFC 6455, section 7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  policyViolation: 1008,
  tooBig: 1009,
} as const;

/**
 * If the client has not read this much of what we sent, it is not keeping up (or it is gone): close it
 * rather than hold the data. DIFFERENCE FROM PRODUCTION: an emulator limit.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024; /* 64 MiB */

export class WebSocketChannel {
  onMessage: (message: InboundMessage) => void = () => {};
  private readonly closeHandlers: Array<() => void> = [];
  private readonly reassembler = new FrameReassembler();
  private alive = true;
  private closed = false;
  /** set when we decided to close: nothing more is read from this peer */
  private rejected = false;
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket | undefined,
    private readonly log: ServerLog,
    readonly description: string,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('error', (error) => this.log.debug(`${description}: socket error ${error.message}`));
    ws.on('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  send(envelope: Envelope): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn(`${this.description}: client is not reading (${this.ws.bufferedAmount} bytes queued); closing it`);
      this.ws.terminate();
      return;
    }
    this.cork();
    for (const frame of splitMessage(JSON.stringify(envelope))) this.ws.send(frame);
  }

  /** Called by the server's heartbeat: a socket that answered nothing since the last call is dead. */
  checkAlive(): void {
    if (this.closed) return;
    if (!this.alive) {
      this.log.info(`${this.description}: no answer to keepalive; closing`);
      this.ws.terminate();
      return;
    }
    this.alive = false;
    try {
      this.ws.ping();
    } catch {
      this.ws.terminate();
    }
  }

  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.closed) return;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
    // A peer that never completes the closing handshake is cut after a grace period.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  terminate(): void {
    this.ws.terminate();
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (this.closed || this.rejected) return;
    const text = rawDataToString(data, isBinary);
    let message: InboundMessage | null = null;
    try {
      const complete = this.reassembler.push(text);
      if (complete === null) return;
      message = parseInboundMessage(complete);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      // A malformed stream: only this connection is affected.
      this.rejected = true;
      this.log.info(`${this.description}: ${error.message}; closing the connection`);
      this.close(error.code === 'bad_frame' ? CloseCode.tooBig : CloseCode.protocolError, error.code);
      return;
    }
    try {
      this.onMessage(message);
    } catch (error) {
      this.log.error(`${this.description}: ${errorText(error)}`);
    }
  }

  /**
   * Many small pushes (a write fanned out to many listens) leave in one TCP segment: the socket is
   * corked for the rest of the tick.
   */
  private cork(): void {
    if (this.corked || !this.socket) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket?.uncork();
    });
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers.splice(0)) {
      try {
        handler();
      } catch (error) {
        this.log.error(`${this.description}: ${errorText(error)}`);
      }
    }
  }
}

function rawDataToString(data: RawData, _isBinary: boolean): string {
  // The SDK sends text frames; a binary frame is read as UTF-8 text all the same.
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
