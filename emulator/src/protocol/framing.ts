/**
 * docs/wire-protocol.md §2.2 frame splitting in both directions, as `WebSocketConnection.send` / `handleIncomingFrame`
 * do it: a message longer than one segment is preceded by a frame holding only the segment count.
 */
import { KEEPALIVE_FRAME, MAX_FRAME_COUNT_LENGTH, MAX_FRAME_SIZE, MAX_INBOUND_MESSAGE_CHARS } from './constants';
import { ProtocolError } from './errors';

const FRAME_COUNT_RE = /^\d+$/;

/**
 * Reassembles inbound frames into whole messages. `push` returns the complete message text, or
 * `null` while a multi-frame message is still arriving or for a keepalive frame.
 */
export class FrameReassembler {
  private remaining = 0;
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly maxMessageChars = MAX_INBOUND_MESSAGE_CHARS) {}

  push(frame: string): string | null {
    if (this.remaining === 0) {
      // docs/wire-protocol.md §2.3: the client's keepalive. The SDK only sends it between messages.
      if (frame === KEEPALIVE_FRAME) return null;
      if (frame.length <= MAX_FRAME_COUNT_LENGTH && FRAME_COUNT_RE.test(frame)) {
        const count = Number(frame);
        if (count < 1) throw new ProtocolError('bad_frame', `Invalid frame count: ${frame}`);
        // A count of one (urish/firebase-server always sends a count) announces one ordinary frame.
        this.remaining = count;
        this.parts = [];
        this.length = 0;
        return null;
      }
      this.checkLength(frame.length);
      return frame;
    }
    this.length += frame.length;
    this.checkLength(this.length);
    this.parts.push(frame);
    this.remaining -= 1;
    if (this.remaining > 0) return null;
    const message = this.parts.join('');
    this.parts = [];
    this.length = 0;
    return message;
  }

  /** true while a multi-frame message is incomplete */
  get pending(): boolean {
    return this.remaining > 0;
  }

  private checkLength(length: number): void {
    if (length > this.maxMessageChars) {
      throw new ProtocolError('bad_frame', `Message exceeds ${this.maxMessageChars} characters`);
    }
  }
}

/**
 * Splits an outbound serialized message into the frames to send. A single-segment message is sent
 * alone (no count frame). A message is never the keepalive `"0"`: every message is a JSON object.
 */
export function splitMessage(text: string, segmentSize = MAX_FRAME_SIZE): string[] {
  if (text.length <= segmentSize) return [text];
  const frames: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + segmentSize, text.length);
    // Each frame is UTF-8 encoded on its own, so a surrogate pair cut in two would arrive as two
    // U+FFFD. The client's splitStringBySize does cut them; we move the cut one unit back instead.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    frames.push(text.slice(start, end));
    start = end;
  }
  frames.unshift(String(frames.length));
  return frames;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
