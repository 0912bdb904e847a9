/**
 * The envelopes of docs/wire-protocol.md §2–4: parsing what the client sends, building what the server sends. Wire keys
 * are annotated where they are used, as the SDK does (`msg[/*status*\/ 's']`).
 */
import type { QueryParams } from '../database/access';
import {
  ControlCommand,
  Layer,
  MESSAGE_DATA,
  MESSAGE_TYPE,
  PROTOCOL_VERSION,
  ServerAction,
  STATUS_OK,
} from './constants';
import { ProtocolError } from './errors';

/** Any JSON object. */
export type JsonObject = Record<string, unknown>;

/** A message on the wire: `{"t": "c"|"d", "d": payload}`. */
export interface Envelope {
  readonly t: string;
  readonly d: unknown;
}

/** A parsed inbound message: a control command or a data-layer request. */
export type InboundMessage =
  | { readonly layer: 'control'; readonly command: string; readonly data: unknown }
  | { readonly layer: 'data'; readonly request: DataRequest };

/**
 * docs/wire-protocol.md §4.1 client request `{"r": n, "a": action, "b": body}`; `r` is absent only from hand-made
 * clients.
 */
export interface DataRequest {
  readonly requestNumber: number | undefined;
  readonly action: string;
  readonly body: JsonObject;
  /** UTF-8 size of the whole message, for the write size limit (0 when unknown) */
  readonly bytes: number;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one reassembled message text. Throws ProtocolError for anything an SDK would never send. */
export function parseInboundMessage(text: string): InboundMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProtocolError('malformed_message', 'Message is not valid JSON');
  }
  return parseInboundEnvelope(json, Buffer.byteLength(text));
}

export function parseInboundEnvelope(json: unknown, bytes = 0): InboundMessage {
  // docs/wire-protocol.md §2.1: both keys are mandatory (the client's requireKey throws without them).
  if (!isJsonObject(json) || !(MESSAGE_TYPE in json) || !(MESSAGE_DATA in json)) {
    throw new ProtocolError('malformed_message', 'Message must be an object with "t" and "d"');
  }
  const layer = json[/*type*/ 't'];
  const data = json[/*data*/ 'd'];
  if (layer === Layer.control) {
    if (!isJsonObject(data) || typeof data[/*command*/ 't'] !== 'string') {
      throw new ProtocolError('malformed_message', 'Control message must carry {"t": command}');
    }
    return { layer: 'control', command: data['t'] as string, data: data[/*data*/ 'd'] };
  }
  if (layer === Layer.data) {
    if (!isJsonObject(data) || typeof data[/*action*/ 'a'] !== 'string') {
      throw new ProtocolError('malformed_message', 'Data message must carry {"a": action}');
    }
    const r = data[/*request number*/ 'r'];
    const body = data[/*body*/ 'b'];
    return {
      layer: 'data',
      request: {
        requestNumber: typeof r === 'number' && Number.isFinite(r) ? r : undefined,
        action: data['a'] as string,
        body: isJsonObject(body) ? body : {},
        bytes,
      },
    };
  }
  throw new ProtocolError('malformed_message', `Unknown protocol layer: ${String(layer)}`);
}

// ---- server → client control messages (docs/wire-protocol.md §3) ----

export interface Handshake {
  /** server time in epoch ms: the client derives `.info/serverTimeOffset` from it */
  readonly ts: number;
  /** the host the client should use for reconnects: the request's Host header (docs/wire-protocol.md §3.1) */
  readonly h: string;
  /** the session id; sent back as `ls` on reconnect and as `s` by a long-poll upgrade */
  readonly s: string;
}

export function controlMessage(command: string, data: unknown): Envelope {
  // docs/wire-protocol.md §3: `d` must be present even as null, or Connection.onControl_ drops the message.
  return { /*type*/ t: Layer.control, /*data*/ d: { /*command*/ t: command, /*data*/ d: data ?? null } };
}

export function handshakeMessage(handshake: Handshake): Envelope {
  return controlMessage(ControlCommand.handshake, {
    /*timestamp*/ ts: handshake.ts,
    /*version*/ v: PROTOCOL_VERSION,
    /*host*/ h: handshake.h,
    /*session id*/ s: handshake.s,
  });
}

export const PONG_MESSAGE: Envelope = Object.freeze(controlMessage(ControlCommand.pong, null));

// ---- server → client data messages (docs/wire-protocol.md §4) ----

function dataMessage(payload: JsonObject): Envelope {
  return { /*type*/ t: Layer.data, /*data*/ d: payload };
}

/** docs/wire-protocol.md §4.1 the reply to request `r`. */
export function responseMessage(requestNumber: number, status: string, data: unknown): Envelope {
  return dataMessage({ /*request number*/ r: requestNumber, /*body*/ b: { /*status*/ s: status, /*data*/ d: data } });
}

export function okResponse(requestNumber: number, data: unknown = ''): Envelope {
  return responseMessage(requestNumber, STATUS_OK, data);
}

/**
 * docs/wire-protocol.md §4.3 `d` push: overwrite the client's server cache at `path` (for tagged queries, only that
 * query).
 */
export function dataUpdatePush(path: string, value: unknown, tag?: number): Envelope {
  const body: JsonObject = { /*path*/ p: path, /*data*/ d: value };
  if (tag !== undefined) body[/*tag*/ 't'] = tag;
  return dataMessage({ /*action*/ a: ServerAction.dataUpdate, /*body*/ b: body });
}

/**
 * docs/wire-protocol.md §4.3 `c` push: the listen is revoked. For a query listen `q` must be an ARRAY holding the
 * client's query object: the client rebuilds the query id with `q.map(ObjectToUniqueKey).join('$')`.
 */
export function listenRevokedPush(path: string, query?: QueryParams): Envelope {
  const body: JsonObject = { /*path*/ p: path };
  if (query !== undefined) body[/*query*/ 'q'] = [query];
  return dataMessage({ /*action*/ a: ServerAction.listenRevoked, /*body*/ b: body });
}

/**
 * The key the client uses for one query (`ObjectToUniqueKey`: keys sorted, JSON values), so a listen
 * and its unlisten match however the object's keys were ordered on the wire.
 */
export function queryKey(query: unknown): string {
  if (typeof query !== 'object' || query === null) return JSON.stringify(query) ?? 'undefined';
  if (Array.isArray(query)) return `[${query.map(queryKey).join(',')}]`;
  const record = query as JsonObject;
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${queryKey(record[k])}`).join(',')}}`;
}
