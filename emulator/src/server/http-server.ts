/**
 * The one HTTP server of the emulator (docs/wire-protocol.md §1.2, docs/wire-protocol.md §14,
 * docs/wire-protocol.md §12, docs/wire-protocol.md §16): WebSocket upgrades at `/.ws`, long polling at
 * `/.lp`, the tooling endpoints, and the data REST API. Every failure is answered (or closes that one
 * connection); nothing a client sends can take the process down.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NamespaceRegistry } from '../database';
import { LONG_POLL_PATH, WEBSOCKET_PATH } from '../protocol/constants';
import { handleAdminRequest } from './admin-routes';
import { CORS_HEADERS, decodePathname, HttpError, sendError } from './http';
import { errorText } from '../log';
import type { ServerLog } from '../log';
import { namespaceFromParams } from './namespace';
import type { RealtimeServer } from './realtime';
import { handleDataRequest } from './rest';
import type { RestContext } from './rest';
import type { RulesRegistry } from '../rules';
import type { FunctionTriggerRegistry } from '../triggers';
import { errorStatus, httpStatusForCode } from './status';

export interface HttpServerContext extends RestContext {
  readonly registry: NamespaceRegistry;
  readonly rules: RulesRegistry;
  readonly functionTriggers: FunctionTriggerRegistry;
  readonly realtime: RealtimeServer;
  readonly log: ServerLog;
}

export function createEmulatorHttpServer(context: HttpServerContext): Server {
  const server = createServer((request, response) => {
    route(context, request, response).catch((error: unknown) => replyWithError(context, response, error));
  });
  server.on('upgrade', (request: IncomingMessage, socket, head: Buffer) => {
    try {
      context.realtime.handleUpgrade(request, socket, head);
    } catch (error) {
      context.log.error(`upgrade failed: ${errorText(error)}`);
      socket.destroy();
    }
  });
  // A garbled request line or headers: answer 400 on that socket only.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  // Long polls are held up to 20 s and the dframe request for the whole session.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  return server;
}

async function route(context: HttpServerContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://localhost');
  } catch {
    throw new HttpError(400, 'Invalid URL');
  }
  const method = (request.method ?? 'GET').toUpperCase();
  if (method === 'OPTIONS') {
    response.writeHead(204, CORS_HEADERS);
    response.end();
    return;
  }
  const pathname = url.pathname;
  if (pathname === LONG_POLL_PATH) {
    context.realtime.handleLongPoll(request, response, url);
    return;
  }
  if (pathname === WEBSOCKET_PATH) throw new HttpError(400, 'The /.ws endpoint only accepts WebSocket upgrades.');
  const namespace = namespaceFromParams(url.searchParams);
  if (namespace === null) throw new HttpError(400, 'Invalid namespace in "ns".');
  if (await handleAdminRequest(context, namespace, pathname, request, response, url)) return;
  // Unknown tooling endpoints (`/.settings/x.json`, `/.info/…`) and paths without `.json` do not exist.
  if (!pathname.endsWith('.json') || (pathname.startsWith('/.') && pathname !== '/.json')) {
    throw new HttpError(404, 'Not Found');
  }
  const databasePath = decodePathname(pathname.slice(0, -'.json'.length));
  await handleDataRequest(context, namespace, databasePath, request, response, url);
}

function replyWithError(context: HttpServerContext, response: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) {
    sendError(response, error.status, error.message, error.headers);
    return;
  }
  const { status, message } = errorStatus(error);
  if (status === 'internal_error') context.log.error(`REST request failed: ${errorText(error)}`);
  sendError(response, httpStatusForCode(status), message);
}
