/**
 * `GET /.settings/profile.json`: the database profiler's stream, as `firebase database:profile`
 * reads it (firebase-tools `lib/profiler.js`): a `text/event-stream` with one `event: log` /
 * `data: <JSON>` entry per operation, until the client goes away. docs/wire-protocol.md §17.
 *
 * Router only: it subscribes the response to the Profiler and writes what it is given.
 */
import type { ServerResponse } from 'node:http';
import { UrlParam } from '../protocol/constants';
import type { ProfileEvent } from '../profiler/events';
import type { Profiler } from '../profiler/profiler';
import { CORS_HEADERS, HttpError } from './http';
import type { ServerLog } from '../log';
import { isValidNamespace } from '../database';

/**
 * A profile stream whose client has not read this much is not keeping up: it is closed rather than
 * buffered without bound. DIFFERENCE FROM PRODUCTION: an emulator limit.
 */
export const MAX_PROFILE_BUFFER_BYTES = 16 * 1024 * 1024; /* 16 MiB */

export interface ProfileRouteContext {
  readonly profiler: Profiler;
  readonly log: ServerLog;
}

export function handleProfileRequest(
  context: ProfileRouteContext,
  method: string,
  response: ServerResponse,
  url: URL,
): void {
  if (method !== 'GET') throw new HttpError(405, `Method ${method} not allowed.`);
  const ns = url.searchParams.get(UrlParam.namespace);
  if (ns !== null && ns !== '' && !isValidNamespace(ns)) throw new HttpError(400, 'Invalid namespace in "ns".');
  // DIFFERENCE FROM PRODUCTION: production profiles the database the request's host names. A request
  // without `ns` would be the default namespace `fake-server` everywhere else in the emulator, but here
  // it streams every namespace: firebase-tools' profiler requests only the URL's path and drops the
  // `?ns=` it built (`lib/profiler.js`), so `firebase database:profile --instance <ns>` against an
  // emulator never names the namespace it means.
  const namespace = ns === null || ns === '' ? null : ns;

  response.writeHead(200, {
    ...CORS_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  let open = true;
  const unsubscribe = context.profiler.subscribe(namespace, (event: ProfileEvent) => {
    if (!open) return;
    if (response.writableLength > MAX_PROFILE_BUFFER_BYTES) {
      context.log.warn(
        `profile stream: the client is not reading (${response.writableLength} bytes queued); closing it`,
      );
      finish();
      response.destroy();
      return;
    }
    response.write(`event: log\ndata: ${JSON.stringify(event)}\n\n`);
  });
  const finish = (): void => {
    if (!open) return;
    open = false;
    unsubscribe();
  };
  // The response never ends by itself, so its `close` means the client went away (or the emulator stopped).
  response.on('close', finish);
  response.on('error', finish);
  // The headers go out now: the client knows the profile is running before the first operation.
  response.flushHeaders();
  context.log.info(`profile stream opened for ${namespace ?? 'every namespace'}`);
}
