/**
 * One realtime connection's state and its data-layer requests (docs/wire-protocol.md §4): the caller it authenticated
 * as, its listens and its onDisconnect queue. Transport-agnostic: a WebSocket or a long-poll session (possibly upgraded
 * from one to the other, docs/wire-protocol.md §14.2) feeds it requests and gives it `output`.
 *
 * This is the router half: it decodes a request, calls the NamespaceDatabase, and encodes the reply. Ordering the SDK
 * depends on (docs/wire-protocol.md §5.4): the database pushes listen data and write fan-out synchronously through the
 * sinks, so every push is queued on the transport before the `ok` that follows it.
 */
import type { Caller, QueryParams } from '../database/access';
import { checkWriteSize, OnDisconnectQueue, parsePath, pathToString } from '../database';
import type { ListenHandle, NamespaceDatabase } from '../database';
import { DatabaseError } from '../errors';
import { ClientAction } from '../protocol/constants';
import {
  dataUpdatePush,
  isJsonObject,
  listenRevokedPush,
  okResponse,
  queryKey,
  responseMessage,
} from '../protocol/messages';
import type { DataRequest, Envelope, JsonObject } from '../protocol/messages';
import { OWNER_CREDENTIAL } from '../protocol/constants';
import { jsonBytes, profileQuery } from '../profiler/events';
import type { ProfileEventInit, ProfileOperation } from '../profiler/events';
import type { OperationOutcome, Profiler } from '../profiler/profiler';
import { UNAUTHENTICATED, callerFromCredential, credentialExpiry } from '../protocol/credentials';
import { errorText } from '../log';
import type { ServerLog } from '../log';
import { errorStatus } from './status';

/** Requests that carry data to write: production caps them at 16 MB from the SDKs (limits page). */
const WRITE_ACTIONS: ReadonlySet<string> = new Set([
  ClientAction.put,
  ClientAction.merge,
  ClientAction.onDisconnectPut,
  ClientAction.onDisconnectMerge,
]);

interface ActiveListen {
  readonly handle: ListenHandle;
}

export interface SessionOptions {
  readonly database: NamespaceDatabase;
  readonly sessionId: string;
  readonly log: ServerLog;
  /** where messages go; a long-poll upgrade swaps it to the WebSocket */
  readonly output: (envelope: Envelope) => void;
  /** where operations are reported while someone profiles the namespace */
  readonly profiler: Profiler;
}

export class RealtimeSession {
  readonly database: NamespaceDatabase;
  readonly sessionId: string;
  output: (envelope: Envelope) => void;
  private caller: Caller = UNAUTHENTICATED;
  /** authenticated with the admin credential `owner` (even when narrowed by an auth override) */
  private admin = false;
  /** the size of the data a listen request sent first, for its profile event */
  private listenBytes = 0;
  private readonly listens = new Map<string, ActiveListen>();
  private readonly onDisconnect = new OnDisconnectQueue();
  private readonly log: ServerLog;
  private readonly profiler: Profiler;
  private closed = false;

  constructor(options: SessionOptions) {
    this.database = options.database;
    this.sessionId = options.sessionId;
    this.log = options.log;
    this.output = options.output;
    this.profiler = options.profiler;
    this.profiler.record(this.database.name, { name: 'concurrent-connect' });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get listenCount(): number {
    return this.listens.size;
  }

  /** Handles one client request and replies on its `r` (every request that has one gets a reply). */
  handleRequest(request: DataRequest): void {
    if (this.closed) return;
    const r = request.requestNumber;
    try {
      const data = this.profiler.measure(
        this.database.name,
        () => {
          if (WRITE_ACTIONS.has(request.action)) checkWriteSize(request.bytes, 'socket');
          return this.dispatch(request.action, request.body);
        },
        (outcome) => this.profileEvent(request, outcome),
      );
      if (r !== undefined) this.output(okResponse(r, data));
    } catch (error) {
      const { status, message } = errorStatus(error);
      if (status === 'internal_error') {
        this.log.error(`${this.database.name} ${request.action} failed: ${errorText(error)}`);
      } else {
        this.log.debug(`${this.database.name} ${request.action}: ${status} ${message}`);
      }
      if (r !== undefined) this.output(responseMessage(r, status, message));
    }
  }

  /**
   * The connection is gone (clean close, network loss or a dead-socket timeout): drop the listens and
   * run the onDisconnect queue with the auth the connection had (docs/wire-protocol.md §10).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const namespace = this.database.name;
    this.profiler.measure(
      namespace,
      () => {
        for (const listen of this.listens.values()) listen.handle.cancel();
        this.listens.clear();
        try {
          this.onDisconnect.run(
            this.database,
            this.caller,
            (line) => this.log.info(`${namespace}: ${line}`),
            // Each onDisconnect write is reported as the write it is, after the disconnect.
            (operation, write) =>
              this.profiler.measure(namespace, write, (outcome) =>
                this.writeEvent(
                  operation.kind === 'set' ? 'realtime-write' : 'realtime-update',
                  operation.path,
                  operation.data,
                  outcome,
                ),
              ),
          );
        } catch (error) {
          this.log.error(`${namespace} onDisconnect failed: ${errorText(error)}`);
        }
      },
      () => ({ name: 'concurrent-disconnect', ...this.adminField() }),
    );
  }

  /** The profile event of one request, or null for requests that are not database operations. */
  private profileEvent(request: DataRequest, outcome: OperationOutcome<unknown>): ProfileEventInit | null {
    const body = request.body;
    const path = profilePath(body);
    switch (request.action) {
      case ClientAction.put:
        return this.writeEvent(
          typeof body[/*hash*/ 'h'] === 'string' ? 'realtime-transaction' : 'realtime-write',
          path,
          body[/*data*/ 'd'],
          outcome,
        );
      case ClientAction.merge:
        return this.writeEvent('realtime-update', path, body[/*data*/ 'd'], outcome);
      case ClientAction.get: {
        const query = isJsonObject(body['q']) && Object.keys(body['q']).length > 0 ? body['q'] : undefined;
        return {
          name: 'realtime-read',
          ...(path.length > 0 ? { path } : {}),
          ...('error' in outcome ? {} : { bytes: jsonBytes(outcome.result) }),
          ...(query ? { querySet: [profileQuery(query as QueryParams)] } : {}),
          ...outcomeFields(outcome),
          ...this.adminField(),
        };
      }
      case ClientAction.listen: {
        const query = typeof body[/*tag*/ 't'] === 'number' && isJsonObject(body['q']) ? body['q'] : undefined;
        const warnings = (outcome.result as { w?: unknown } | undefined)?.w;
        return {
          name: 'listener-listen',
          ...(path.length > 0 ? { path } : {}),
          ...('error' in outcome ? {} : { bytes: this.listenBytes }),
          ...(Array.isArray(warnings) && warnings.includes('no_index') ? { unIndexed: true } : {}),
          ...(query ? { querySet: [profileQuery(query as QueryParams)] } : {}),
          ...outcomeFields(outcome),
          ...this.adminField(),
        };
      }
      case ClientAction.unlisten:
        return { name: 'listener-unlisten', ...(path.length > 0 ? { path } : {}), ...this.adminField() };
      default:
        return null;
    }
  }

  private writeEvent(
    name: ProfileOperation,
    path: readonly string[],
    data: unknown,
    outcome: OperationOutcome<unknown>,
  ): ProfileEventInit {
    return {
      name,
      ...(path.length > 0 ? { path: [...path] } : {}),
      bytes: jsonBytes(data),
      ...outcomeFields(outcome),
      ...this.adminField(),
    };
  }

  private adminField(): { admin?: true } {
    return this.admin ? { admin: true } : {};
  }

  private dispatch(action: string, body: JsonObject): unknown {
    switch (action) {
      case ClientAction.stats:
      case ClientAction.appCheck:
      case ClientAction.unAppCheck:
      case ClientAction.unAppCheckMisspelled:
        // Stats are only logged by the client. DIFFERENCE FROM PRODUCTION: App Check is not enforced
        // (any token is accepted), as in the official emulator.
        return '';
      case ClientAction.auth:
      case ClientAction.gauth:
        return this.authenticate(body);
      case ClientAction.unauth:
        this.admin = false;
        this.setCaller(UNAUTHENTICATED);
        return '';
      case ClientAction.listen:
        return this.listen(body);
      case ClientAction.unlisten:
        this.unlisten(body);
        return '';
      case ClientAction.get:
        return this.database.get(this.caller, requestPath(body), requestQuery(body['q']));
      case ClientAction.put: {
        const hash = body[/*hash*/ 'h'];
        const options = typeof hash === 'string' ? { hash } : undefined;
        this.database.set(this.caller, requestPath(body), body[/*data*/ 'd'] ?? null, options);
        return '';
      }
      case ClientAction.merge:
        this.database.update(this.caller, requestPath(body), requestChildren(body));
        return '';
      case ClientAction.onDisconnectPut: {
        const path = requestPath(body);
        const value = body[/*data*/ 'd'] ?? null;
        // docs/wire-protocol.md §10: checked against the rules now, and again when it runs.
        this.database.checkSet(this.caller, path, value);
        this.onDisconnect.set(path, value);
        return '';
      }
      case ClientAction.onDisconnectMerge: {
        const path = requestPath(body);
        const children = requestChildren(body);
        this.database.checkUpdate(this.caller, path, children);
        this.onDisconnect.update(path, children);
        return '';
      }
      case ClientAction.onDisconnectCancel:
        this.onDisconnect.cancel(requestPath(body));
        return '';
      default:
        // DIFFERENCE FROM PRODUCTION (possible): production's reply to an unknown action is not public;
        // no SDK sends one.
        throw new DatabaseError('bad_request', `Unknown action: ${action}`);
    }
  }

  private authenticate(body: JsonObject): unknown {
    const credential = body[/*credential*/ 'cred'];
    if (typeof credential !== 'string') throw new DatabaseError('invalid_token', 'Missing auth credential.');
    const caller = callerFromCredential(credential, body['authvar'], body['noauth']);
    this.admin = credential === OWNER_CREDENTIAL;
    this.setCaller(caller);
    // The client ignores `d` on success; the real server describes the auth there.
    // DIFFERENCE FROM PRODUCTION (possible): production's exact reply body is not public.
    return { auth: caller.kind === 'user' ? caller.auth : null, expires: credentialExpiry(credential) };
  }

  /**
   * Auth changed on a live connection: every listen is re-checked, denied ones are revoked (docs/wire-protocol.md
   * §9.2).
   */
  private setCaller(caller: Caller): void {
    this.caller = caller;
    for (const listen of [...this.listens.values()]) listen.handle.setCaller(caller);
  }

  private listen(body: JsonObject): unknown {
    const path = requestPath(body);
    // DIFFERENCE FROM PRODUCTION (possible): the client's hash `h` of what it has cached is not used to
    // skip unchanged data; the current data is always sent (docs/wire-protocol.md §5.4 item 6).
    const tag = body[/*tag*/ 't'];
    // docs/wire-protocol.md §5.1: only queries with a start, end or limit are sent with `q` and a tag.
    const tagged = typeof tag === 'number';
    const query = tagged ? requestQuery(body[/*query*/ 'q']) : undefined;
    const key = listenKey(path, tagged ? body['q'] : undefined);
    this.listens.get(key)?.handle.cancel();
    this.listens.delete(key);
    const pathString = pathToString(path);
    // The entry exists before the handle: the database may revoke during listen() itself.
    const active: { handle?: ListenHandle } = {};
    // The listen's first data is part of the listen; every later push is a broadcast.
    let initial = true;
    const namespace = this.database.name;
    this.listenBytes = 0;
    const handle = this.database.listen(this.caller, path, query, {
      data: (dataPath, value) => {
        if (this.closed) return;
        const push = (): void => this.output(dataUpdatePush(pathToString(dataPath), value, tagged ? tag : undefined));
        if (initial) {
          if (this.profiler.isActive(namespace)) this.listenBytes = jsonBytes(value);
          push();
          return;
        }
        this.profiler.measure(namespace, push, () => ({
          name: 'listener-broadcast',
          ...(dataPath.length > 0 ? { path: [...dataPath] } : {}),
          bytes: jsonBytes(value),
          ...this.adminField(),
        }));
      },
      revoked: () => {
        if (this.listens.get(key) === active) this.listens.delete(key);
        if (!this.closed) this.output(listenRevokedPush(pathString, tagged ? (body['q'] as QueryParams) : undefined));
      },
    });
    initial = false;
    active.handle = handle;
    this.listens.set(key, active as ActiveListen);
    // docs/wire-protocol.md §5.4 item 7: `{"w": ["no_index"]}` makes the client log the ".indexOn" warning.
    return handle.warnings.length > 0 ? { w: [...handle.warnings] } : {};
  }

  private unlisten(body: JsonObject): void {
    const path = requestPath(body);
    const key = listenKey(path, typeof body[/*tag*/ 't'] === 'number' ? body['q'] : undefined);
    this.listens.get(key)?.handle.cancel();
    this.listens.delete(key);
  }
}

function listenKey(path: readonly string[], query: unknown): string {
  return query === undefined ? `${pathToString(path)}|default` : `${pathToString(path)}|${queryKey(query)}`;
}

function requestPath(body: JsonObject): string[] {
  const path = body[/*path*/ 'p'];
  if (typeof path !== 'string') throw new DatabaseError('invalid_path', 'Invalid path: missing "p".');
  return parsePath(path);
}

/** `q` of a listen or get; `{}` (a get of a default query) means no query. */
function requestQuery(query: unknown): QueryParams | undefined {
  if (query === undefined || query === null) return undefined;
  if (!isJsonObject(query)) throw new DatabaseError('invalid_query', 'Invalid query: "q" must be an object.');
  return Object.keys(query).length === 0 ? undefined : (query as QueryParams);
}

function requestChildren(body: JsonObject): Record<string, unknown> {
  const children = body[/*data*/ 'd'];
  if (!isJsonObject(children)) throw new DatabaseError('invalid_data', 'Invalid data: update must be an object.');
  return children;
}

/** The request's path for its profile event; an invalid path (the request failed) is reported as given. */
function profilePath(body: JsonObject): string[] {
  const path = body[/*path*/ 'p'];
  if (typeof path !== 'string') return [];
  try {
    return parsePath(path);
  } catch {
    return path.split('/').filter((segment) => segment.length > 0);
  }
}

/** `allowed` (false only when the rules denied it) and, for a failed operation, its status. */
function outcomeFields(outcome: OperationOutcome<unknown>): { allowed?: boolean; error?: string } {
  if (!('error' in outcome)) return { allowed: true };
  const { status } = errorStatus(outcome.error);
  return status === 'permission_denied' ? { allowed: false, error: status } : { error: status };
}
