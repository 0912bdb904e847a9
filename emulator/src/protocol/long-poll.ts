/**
 * docs/wire-protocol.md §14 long-polling encodings (`BrowserPollConnection.ts`, `polling/PacketReceiver.ts`): the
 * request parameters, the client's base64 web-safe segments, and the script the server answers with.
 */
import { MAX_INBOUND_MESSAGE_CHARS } from './constants';
import { ProtocolError } from './errors';

export const LongPollParam = {
  start: 'start',
  serial: 'ser',
  callbackId: 'cb',
  id: 'id',
  password: 'pw',
  segmentNumber: 'seg',
  segmentsInPacket: 'ts',
  data: 'd',
  disconnectFrame: 'dframe',
} as const;

/** `FIREBASE_LONGPOLL_COMMAND_CB_NAME` / `FIREBASE_LONGPOLL_DATA_CB_NAME` + the `cb` id. */
export const COMMAND_CALLBACK = 'pLPCommand';
export const DATA_CALLBACK = 'pRTLPCB';
/** The client re-issues a held poll after 25 s (`KEEPALIVE_REQUEST_INTERVAL`); we answer before. */
export const LONG_POLL_HOLD_MS = 20_000;

/** One `seg<i>`/`ts<i>`/`d<i>` triple of a poll request. */
export interface LongPollSegment {
  readonly segmentNumber: number;
  readonly totalSegments: number;
  readonly data: string;
}

/** Reads the `seg<i>`, `ts<i>`, `d<i>` triples of one poll, i = 0, 1, … until one is missing. */
export function readSegments(params: URLSearchParams): LongPollSegment[] {
  const segments: LongPollSegment[] = [];
  for (let i = 0; ; i++) {
    const seg = params.get(`${LongPollParam.segmentNumber}${i}`);
    const ts = params.get(`${LongPollParam.segmentsInPacket}${i}`);
    const data = params.get(`${LongPollParam.data}${i}`);
    if (seg === null || ts === null || data === null) return segments;
    const segmentNumber = Number(seg);
    const totalSegments = Number(ts);
    if (
      !Number.isSafeInteger(segmentNumber) ||
      segmentNumber < 0 ||
      !Number.isSafeInteger(totalSegments) ||
      totalSegments < 1
    ) {
      throw new ProtocolError('bad_long_poll', `Invalid segment header seg${i}=${seg}&ts${i}=${ts}`);
    }
    segments.push({ segmentNumber, totalSegments, data });
  }
}

/**
 * Reassembles client messages from segments. Segment numbers run over the whole session; a message
 * is `ts` consecutive segments. Polls can arrive out of order (two may be outstanding), so segments
 * wait here until the next message is complete.
 */
export class SegmentAssembler {
  private readonly pending = new Map<number, LongPollSegment>();
  private next = 0;
  private pendingChars = 0;

  /** Adds segments and returns the messages (JSON text) that became complete, in order. */
  add(segments: readonly LongPollSegment[]): string[] {
    for (const segment of segments) {
      if (segment.segmentNumber < this.next || this.pending.has(segment.segmentNumber)) continue; // a retried poll
      this.pendingChars += segment.data.length;
      if (this.pendingChars > MAX_INBOUND_MESSAGE_CHARS)
        throw new ProtocolError('bad_long_poll', 'Too much pending data');
      this.pending.set(segment.segmentNumber, segment);
    }
    const messages: string[] = [];
    for (;;) {
      const first = this.pending.get(this.next);
      if (!first) return messages;
      const parts: string[] = [];
      for (let n = this.next; n < this.next + first.totalSegments; n++) {
        const part = this.pending.get(n);
        if (!part) return messages;
        parts.push(part.data);
      }
      for (let n = this.next; n < this.next + first.totalSegments; n++) this.pending.delete(n);
      this.next += first.totalSegments;
      const joined = parts.join('');
      this.pendingChars -= joined.length;
      messages.push(decodeWebSafeBase64(joined));
    }
  }
}

/** `base64Encode` of @firebase/util with the web-safe alphabet: `-` `_` and `.` for padding. */
export function decodeWebSafeBase64(text: string): string {
  if (!/^[A-Za-z0-9\-_.]*$/.test(text)) throw new ProtocolError('bad_long_poll', 'Segment data is not web-safe base64');
  const standard = text.replace(/-/g, '+').replace(/_/g, '/').replace(/\./g, '=');
  return Buffer.from(standard, 'base64').toString('utf8');
}

/**
 * The JavaScript a long-poll response carries. The client loads it as a `<script>` inside a hidden iframe whose parent
 * window defines `pLPCommand<cb>` and `pRTLPCB<cb>`; the script forwards to them. DIFFERENCE FROM PRODUCTION
 * (possible): what the production server returns
 * byte for byte is not documented (docs/wire-protocol.md §14.1: unverified); this does what the client requires of it.
 */
export function longPollScript(callbackId: string, calls: readonly string[]): string {
  const id = /^\d+$/.test(callbackId) ? callbackId : '';
  const header =
    `function ${COMMAND_CALLBACK}(c,a1,a2,a3,a4){parent.${COMMAND_CALLBACK}${id}(c,a1,a2,a3,a4);}\n` +
    `function ${DATA_CALLBACK}(pN,data){parent.${DATA_CALLBACK}${id}(pN,data);}\n`;
  return header + calls.join('\n') + (calls.length > 0 ? '\n' : '');
}

/** `pLPCommand('start', id, pw)`, `pLPCommand('close', lastPacket)`. */
export function commandCall(command: string, ...args: ReadonlyArray<string | number>): string {
  return `${COMMAND_CALLBACK}(${[command, ...args].map(scriptLiteral).join(',')});`;
}

/** `pRTLPCB(packetNumber, [envelope, …])`: handled strictly in packet order by PacketReceiver. */
export function dataCall(packetNumber: number, envelopes: readonly unknown[]): string {
  return `${DATA_CALLBACK}(${packetNumber},${scriptLiteral(envelopes)});`;
}

/** JSON made safe inside a script: `</script>`, U+2028 and U+2029 cannot break out of it. */
export function scriptLiteral(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
