/**
 * Just enough of WebSocket framing (RFC 6455 docs/protocol.md §5.2) for a TCP proxy to see where one message ends and
 * the next begins, read the Realtime Database messages that cross it, and slip its own in between.
 *
 * The stream of one direction is an HTTP head (the upgrade request, or the 101 response), then
 * frames. The Realtime Database clients send a message longer than 16384 characters as a frame that
 * holds only the number of parts, then the parts (`WebSocketConnection.ts`, `MAX_FRAME_SIZE`); a
 * message injected inside such a group would be read as one of its parts, so the splitter also
 * reports when a group is open.
 */
import { randomBytes } from 'node:crypto';

/** One unit of a direction's stream: the HTTP head, or a whole frame with its payload unmasked. */
export interface WsUnit {
  readonly bytes: Buffer;
  /** The text of a text frame (unmasked), null for the head and for other frames. */
  readonly text: string | null;
}

export class WsSplitter {
  private buffer = Buffer.alloc(0);
  private headDone = false;
  /**
   * Set from the HTTP head: WebSocket frames follow (an upgrade request, a 101 answer), or not (the
   * SDK's long-polling fallback, plain HTTP), in which case bytes pass as they come.
   */
  private framed = true;
  private partsLeft = 0;
  private midMessage = false;

  /** Whether a message injected now would land between two whole Realtime Database messages. */
  get atBoundary(): boolean {
    return this.framed && this.headDone && this.partsLeft === 0 && !this.midMessage && this.buffer.length === 0;
  }

  /** Feeds bytes; returns the units they complete, in order (incomplete bytes wait for more). */
  push(chunk: Buffer): WsUnit[] {
    if (this.headDone && !this.framed) return [{ bytes: chunk, text: null }];
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const units: WsUnit[] = [];
    for (;;) {
      if (this.headDone && !this.framed) {
        if (this.buffer.length > 0) units.push({ bytes: this.buffer, text: null });
        this.buffer = Buffer.alloc(0);
        return units;
      }
      const unit = this.headDone ? this.nextFrame() : this.nextHead();
      if (!unit) return units;
      units.push(unit);
    }
  }

  private nextHead(): WsUnit | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const bytes = this.buffer.subarray(0, end + 4);
    this.buffer = this.buffer.subarray(end + 4);
    this.headDone = true;
    const head = bytes.toString('latin1');
    this.framed = /^upgrade:\s*websocket/im.test(head) || /^HTTP\/1\.1 101/.test(head);
    return { bytes, text: null };
  }

  private nextFrame(): WsUnit | null {
    const b = this.buffer;
    if (b.length < 2) return null;
    const fin = (b[0] as number) & 0x80;
    const opcode = (b[0] as number) & 0x0f;
    const masked = ((b[1] as number) & 0x80) !== 0;
    let length = (b[1] as number) & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const maskOffset = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) return null;
    const bytes = b.subarray(0, offset + length);
    this.buffer = b.subarray(offset + length);
    this.midMessage = !fin;
    let text: string | null = null;
    if (opcode === 0x1 || opcode === 0x0) {
      const payload = Buffer.from(b.subarray(offset, offset + length));
      if (masked) {
        for (let i = 0; i < payload.length; i++)
          payload[i] = (payload[i] as number) ^ (b[maskOffset + (i % 4)] as number);
      }
      text = payload.toString('utf8');
      if (this.partsLeft > 0) this.partsLeft -= 1;
      else if (/^\d{1,6}$/.test(text)) this.partsLeft = Number(text);
    }
    return { bytes, text };
  }
}

/** A text frame carrying `text`; client-to-server frames must be masked (RFC 6455 docs/protocol.md §5.3). */
export function textFrame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([0x81, (masked ? 0x80 : 0) | length])
      : Buffer.from([0x81, (masked ? 0x80 : 0) | 126, length >> 8, length & 0xff]);
  if (length > 0xffff) throw new Error('an injected message must be shorter than 64 KiB');
  if (!masked) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([head, key, payload]);
}

/** The Realtime Database message in a frame's text (`{"t":"d","d":{…}}`), or null. */
export function databaseMessage(text: string | null): { t?: unknown; d?: Record<string, unknown> } | null {
  if (text === null || !text.startsWith('{')) return null;
  try {
    return JSON.parse(text) as { t?: unknown; d?: Record<string, unknown> };
  } catch {
    return null;
  }
}
