/**
 * The data REST API: `GET/PUT/PATCH/POST/DELETE /<path>.json?ns=` (https://firebase.google.com/docs/reference/rest/database).
 * Router only: decode the request, call the NamespaceDatabase, encode the reply in production form.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OWNER } from '../database/access';
import type { Caller } from '../database/access';
import { checkWriteSize, EMPTY_NODE, isEmptyNode, nodeGetAt, nodeHash, parsePath } from '../database';
import type { NamespaceDatabase } from '../database';
import { DatabaseError } from '../errors';
import { isJsonObject } from '../protocol/messages';
import { restCaller, restCredential } from './auth-token';
import { HttpError, MAX_REST_BODY_BYTES, readBody, sendJson, sendNoContent, sendText } from './http';
import { plainValue, restQueryParams, shallowValue } from './rest-query';
import type { PushIdGenerator } from './push-id';
import type { DatabaseProvider } from './settings';

/** Production's ETag for a location with no data (usable as `if-match` for "create if absent"). */
export const NULL_ETAG = 'null_etag';
const INVALID_JSON_MESSAGE = "Invalid data; couldn't parse JSON object, array, or value.";
/** The emulator's own bound for `writeSizeLimit=unlimited`: about the largest string V8 makes. */
const UNLIMITED_BODY_BYTES = 512 * 1024 * 1024; /* 512 MiB */
const JSONP_CALLBACK_RE = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

export interface RestContext {
  readonly databases: DatabaseProvider;
  readonly pushIds: PushIdGenerator;
}

interface RestRequest {
  readonly method: string;
  readonly database: NamespaceDatabase;
  readonly path: string[];
  readonly caller: Caller;
  readonly params: URLSearchParams;
  readonly pretty: boolean;
  readonly silent: boolean;
  readonly exportFormat: boolean;
  readonly disableTriggers: boolean;
  readonly wantsEtag: boolean;
  readonly ifMatch: string | undefined;
}

/** `databasePath` is the decoded pathname without `.json`. */
export async function handleDataRequest(
  context: RestContext,
  namespace: string,
  databasePath: string,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const params = url.searchParams;
  const override = header(request, 'x-http-method-override') ?? params.get('x-http-method-override');
  const method = (override ?? request.method ?? 'GET').toUpperCase();
  const print = params.get('print');
  if (print !== null && print !== 'pretty' && print !== 'silent') {
    throw new DatabaseError('bad_request', 'print must be either "pretty" or "silent"');
  }
  const rest: RestRequest = {
    method,
    database: context.databases.database(namespace),
    path: parsePath(databasePath),
    caller: restCaller(restCredential(params.get('auth'), request.headers.authorization)),
    params,
    pretty: print === 'pretty',
    silent: print === 'silent',
    exportFormat: params.get('format') === 'export',
    disableTriggers: params.get('disableTriggers') === 'true',
    wantsEtag: header(request, 'x-firebase-etag') === 'true',
    ifMatch: unquote(header(request, 'if-match')),
  };
  const read = (): Promise<string> => readWriteBody(request, params);
  switch (method) {
    case 'GET':
      return get(rest, response);
    case 'PUT':
      return put(rest, await read(), response);
    case 'PATCH':
      return patch(rest, await read(), response);
    case 'POST':
      return post(context, rest, await read(), response);
    case 'DELETE':
      return remove(rest, response);
    default:
      throw new HttpError(405, `Method ${method} not allowed.`);
  }
}

/**
 * The body of a write, within production's 256 MB REST limit, or `writeSizeLimit=unlimited` (sent by
 * firebase-tools' import) up to what one V8 string holds.
 */
async function readWriteBody(request: IncomingMessage, params: URLSearchParams): Promise<string> {
  const unlimited = params.get('writeSizeLimit') === 'unlimited';
  const body = await readBody(request, unlimited ? UNLIMITED_BODY_BYTES : MAX_REST_BODY_BYTES + 1);
  checkWriteSize(Buffer.byteLength(body), 'rest', unlimited ? Infinity : undefined);
  return body;
}

function get(rest: RestRequest, response: ServerResponse): void {
  const query = restQueryParams(rest.params);
  let value = rest.database.get(rest.caller, rest.path, query);
  if (rest.params.get('shallow') === 'true') value = shallowValue(value);
  else if (!rest.exportFormat) value = plainValue(value);
  const headers: Record<string, string> = rest.wantsEtag ? { ETag: etagAt(rest.database, rest.path) } : {};
  if (rest.silent) return sendNoContent(response, headers);
  const callback = rest.params.get('callback');
  if (callback !== null) {
    // JSONP, as the production REST API offers for GET.
    if (!JSONP_CALLBACK_RE.test(callback)) throw new DatabaseError('bad_request', 'Invalid callback name');
    return sendText(
      response,
      200,
      `${callback}(${JSON.stringify(value ?? null)});`,
      'application/javascript; charset=utf-8',
      headers,
    );
  }
  sendJson(response, 200, value, { pretty: rest.pretty, headers });
}

function put(rest: RestRequest, body: string, response: ServerResponse): void {
  const value = parseBody(body);
  if (!checkEtag(rest, response)) return;
  rest.database.set(rest.caller, rest.path, value, { disableTriggers: rest.disableTriggers });
  // The reply is the data as written (server values resolved).
  replyWritten(rest, response, () => readBack(rest, rest.path));
}

function patch(rest: RestRequest, body: string, response: ServerResponse): void {
  const children = parseBody(body);
  if (!isJsonObject(children)) throw new DatabaseError('invalid_data', INVALID_JSON_MESSAGE);
  if (!checkEtag(rest, response)) return;
  rest.database.update(rest.caller, rest.path, children, { disableTriggers: rest.disableTriggers });
  replyWritten(rest, response, () => {
    const written: Record<string, unknown> = {};
    for (const key of Object.keys(children)) written[key] = readBack(rest, [...rest.path, ...parsePath(key)]);
    return written;
  });
}

function post(context: RestContext, rest: RestRequest, body: string, response: ServerResponse): void {
  const value = parseBody(body);
  if (!checkEtag(rest, response)) return;
  const name = context.pushIds.next();
  rest.database.set(rest.caller, [...rest.path, name], value, { disableTriggers: rest.disableTriggers });
  replyWritten(rest, response, () => ({ name }));
}

function remove(rest: RestRequest, response: ServerResponse): void {
  if (!checkEtag(rest, response)) return;
  rest.database.set(rest.caller, rest.path, null, { disableTriggers: rest.disableTriggers });
  replyWritten(rest, response, () => null);
}

function replyWritten(rest: RestRequest, response: ServerResponse, value: () => unknown): void {
  const headers: Record<string, string> = rest.wantsEtag ? { ETag: etagAt(rest.database, rest.path) } : {};
  if (rest.silent) return sendNoContent(response, headers);
  sendJson(response, 200, value(), { pretty: rest.pretty, headers });
}

/** The value just written, read as the owner: the writer may write where it may not read. */
function readBack(rest: RestRequest, path: readonly string[]): unknown {
  const value = rest.database.get(OWNER, path);
  return rest.exportFormat ? value : plainValue(value);
}

/**
 * Conditional write (`if-match`, https://firebase.google.com/docs/database/rest/save-data#section-conditional-requests):
 * on a mismatch, 412 with the current ETag and the current value. Checked and written in one turn of
 * the event loop, so no other write can come between.
 */
function checkEtag(rest: RestRequest, response: ServerResponse): boolean {
  if (rest.ifMatch === undefined) return true;
  const current = etagAt(rest.database, rest.path);
  if (current === rest.ifMatch) return true;
  const value = rest.database.get(rest.caller, rest.path);
  sendJson(response, 412, rest.exportFormat ? value : plainValue(value), { headers: { ETag: current } });
  return false;
}

export function etagAt(database: NamespaceDatabase, path: readonly string[]): string {
  const node = path.length === 0 ? database.root : nodeGetAt(database.root, path);
  return node === EMPTY_NODE || isEmptyNode(node) ? NULL_ETAG : nodeHash(node);
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new DatabaseError('invalid_data', INVALID_JSON_MESSAGE);
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unquote(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}
