/**
 * The data REST API: `GET/PUT/PATCH/POST/DELETE /<path>.json?ns=` (https://firebase.google.com/docs/reference/rest/database).
 * Router only: decode the request, call the NamespaceDatabase, encode the reply in production form.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OWNER } from '../database/access';
import type { Caller, QueryParams } from '../database/access';
import { checkWriteSize, EMPTY_NODE, isEmptyNode, nodeGetAt, nodeHash, parsePath } from '../database';
import type { NamespaceDatabase } from '../database';
import { DatabaseError } from '../errors';
import { isJsonObject } from '../protocol/messages';
import { OWNER_CREDENTIAL } from '../protocol/constants';
import { jsonBytes, profileQuery } from '../profiler/events';
import type { ProfileEventInit, ProfileOperation } from '../profiler/events';
import type { OperationOutcome, Profiler } from '../profiler/profiler';
import { restCaller, restCredential } from '../protocol/credentials';
import { HttpError, MAX_REST_BODY_BYTES, readBody, sendJson, sendNoContent, sendText } from './http';
import { plainValue, restQueryParams, shallowValue } from './rest-query';
import type { PushIdGenerator } from '../database';
import type { DatabaseProvider } from '../rules';
import { errorStatus } from './status';

/** Production's ETag for a location with no data (usable as `if-match` for "create if absent"). */
export const NULL_ETAG = 'null_etag';
const INVALID_JSON_MESSAGE = "Invalid data; couldn't parse JSON object, array, or value.";
/** DIFFERENCE FROM PRODUCTION: the emulator's own bound for `writeSizeLimit=unlimited`, about the largest string V8 makes. */
const UNLIMITED_BODY_BYTES = 512 * 1024 * 1024; /* 512 MiB */
const JSONP_CALLBACK_RE = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

export interface RestContext {
  readonly databases: DatabaseProvider;
  readonly pushIds: PushIdGenerator;
  readonly profiler: Profiler;
}

interface RestRequest {
  readonly method: string;
  readonly database: NamespaceDatabase;
  readonly path: string[];
  readonly caller: Caller;
  /** the request came with the admin credential `owner` (for the profiler) */
  readonly admin: boolean;
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
  const credential = restCredential(params.get('auth'), request.headers.authorization);
  const rest: RestRequest = {
    method,
    database: context.databases.database(namespace),
    path: parsePath(databasePath),
    caller: restCaller(credential),
    admin: credential === OWNER_CREDENTIAL,
    params,
    pretty: print === 'pretty',
    silent: print === 'silent',
    exportFormat: params.get('format') === 'export',
    disableTriggers: params.get('disableTriggers') === 'true',
    wantsEtag: header(request, 'x-firebase-etag') === 'true',
    ifMatch: unquote(header(request, 'if-match')),
  };
  const read = (): Promise<string> => readWriteBody(request, params);
  const profiler = context.profiler;
  switch (method) {
    case 'GET':
      profiler.measure(
        namespace,
        () => get(rest, response),
        (outcome) => readEvent(rest, outcome),
      );
      return;
    case 'PUT': {
      const body = await read();
      profiler.measure(
        namespace,
        () => put(rest, body, response),
        (outcome) => writeEvent(rest, 'rest-write', rest.path, body, outcome),
      );
      return;
    }
    case 'PATCH': {
      const body = await read();
      profiler.measure(
        namespace,
        () => patch(rest, body, response),
        (outcome) => writeEvent(rest, 'rest-update', rest.path, body, outcome),
      );
      return;
    }
    case 'POST': {
      const body = await read();
      const name = context.pushIds.next();
      profiler.measure(
        namespace,
        () => post(name, rest, body, response),
        (outcome) => writeEvent(rest, 'rest-write', [...rest.path, name], body, outcome),
      );
      return;
    }
    case 'DELETE':
      profiler.measure(
        namespace,
        () => remove(rest, response),
        (outcome) => writeEvent(rest, 'rest-write', rest.path, '', outcome),
      );
      return;
    default:
      throw new HttpError(405, `Method ${method} not allowed.`);
  }
}

/** What a REST read sent: the value, and the query that selected it (for the profiler). */
interface RestReadResult {
  readonly value: unknown;
  readonly query: QueryParams | undefined;
}

/** `false` when an `if-match` condition failed (412): nothing was written. */
type RestWriteResult = boolean;

function readEvent(rest: RestRequest, outcome: OperationOutcome<RestReadResult>): ProfileEventInit {
  const query = outcome.result?.query;
  return {
    name: 'rest-read',
    ...(rest.path.length > 0 ? { path: rest.path } : {}),
    ...(outcome.result ? { bytes: jsonBytes(outcome.result.value) } : {}),
    ...(query ? { querySet: [profileQuery(query)] } : {}),
    ...restOutcomeFields(outcome),
    ...(rest.admin ? { admin: true } : {}),
  };
}

/** `bytes` is the size of the request body as uploaded (a DELETE has none). */
function writeEvent(
  rest: RestRequest,
  name: ProfileOperation,
  path: readonly string[],
  body: string,
  outcome: OperationOutcome<RestWriteResult>,
): ProfileEventInit {
  return {
    name,
    ...(path.length > 0 ? { path: [...path] } : {}),
    bytes: Buffer.byteLength(body),
    ...(outcome.result === false ? { error: 'datastale' } : restOutcomeFields(outcome)),
    ...(rest.admin ? { admin: true } : {}),
  };
}

function restOutcomeFields(outcome: OperationOutcome<unknown>): { allowed?: boolean; error?: string } {
  if (!('error' in outcome)) return { allowed: true };
  const { status } = errorStatus(outcome.error);
  return status === 'permission_denied' ? { allowed: false, error: status } : { error: status };
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

function get(rest: RestRequest, response: ServerResponse): RestReadResult {
  const query = restQueryParams(rest.params);
  let value = rest.database.get(rest.caller, rest.path, query);
  const sent = (): RestReadResult => ({ value, query });
  if (rest.params.get('shallow') === 'true') value = shallowValue(value);
  else if (!rest.exportFormat) value = plainValue(value);
  const headers: Record<string, string> = rest.wantsEtag ? { ETag: etagAt(rest.database, rest.path) } : {};
  if (rest.silent) {
    sendNoContent(response, headers);
    return { value: null, query };
  }
  const callback = rest.params.get('callback');
  if (callback !== null) {
    // JSONP, as the production REST API offers for GET.
    if (!JSONP_CALLBACK_RE.test(callback)) throw new DatabaseError('bad_request', 'Invalid callback name');
    sendText(
      response,
      200,
      `${callback}(${JSON.stringify(value ?? null)});`,
      'application/javascript; charset=utf-8',
      headers,
    );
    return sent();
  }
  sendJson(response, 200, value, { pretty: rest.pretty, headers });
  return sent();
}

function put(rest: RestRequest, body: string, response: ServerResponse): RestWriteResult {
  const value = parseBody(body);
  if (!checkEtag(rest, response)) return false;
  rest.database.set(rest.caller, rest.path, value, { disableTriggers: rest.disableTriggers });
  // The reply is the data as written (server values resolved).
  replyWritten(rest, response, () => readBack(rest, rest.path));
  return true;
}

function patch(rest: RestRequest, body: string, response: ServerResponse): RestWriteResult {
  const children = parseBody(body);
  if (!isJsonObject(children)) throw new DatabaseError('invalid_data', INVALID_JSON_MESSAGE);
  if (!checkEtag(rest, response)) return false;
  rest.database.update(rest.caller, rest.path, children, { disableTriggers: rest.disableTriggers });
  replyWritten(rest, response, () => {
    const written: Record<string, unknown> = {};
    for (const key of Object.keys(children)) written[key] = readBack(rest, [...rest.path, ...parsePath(key)]);
    return written;
  });
  return true;
}

/** `name` is the new child's push id. */
function post(name: string, rest: RestRequest, body: string, response: ServerResponse): RestWriteResult {
  const value = parseBody(body);
  if (!checkEtag(rest, response)) return false;
  rest.database.set(rest.caller, [...rest.path, name], value, { disableTriggers: rest.disableTriggers });
  replyWritten(rest, response, () => ({ name }));
  return true;
}

function remove(rest: RestRequest, response: ServerResponse): RestWriteResult {
  if (!checkEtag(rest, response)) return false;
  rest.database.set(rest.caller, rest.path, null, { disableTriggers: rest.disableTriggers });
  replyWritten(rest, response, () => null);
  return true;
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
