/**
 * Small HTTP helpers shared by the REST routes: bounded body reading and replies in production form
 * (`{"error": "..."}` bodies, CORS open as the production REST API is).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WRITE_TOO_BIG_MESSAGE } from '../database';

/** "Size of a single write request to the database: 256 MB from the REST API" (limits page). */
export const MAX_REST_BODY_BYTES = 256 * 1024 * 1024; /* 256 MiB */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, PUT, POST, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers':
    'Authorization, Content-Type, X-Firebase-ETag, If-Match, X-HTTP-Method-Override, X-Firebase-GMPID',
  'Access-Control-Expose-Headers': 'ETag',
};

/** Reads the whole body as UTF-8 text; 413 beyond `limit` (the rest of the upload is discarded). */
export function readBody(request: IncomingMessage, limit = MAX_REST_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    // Refused before reading: the client learns at once, and the upload is not buffered.
    request.resume();
    return Promise.reject(new HttpError(413, WRITE_TOO_BIG_MESSAGE));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(413, WRITE_TOO_BIG_MESSAGE));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', (error) => {
      if (!failed) {
        failed = true;
        reject(error);
      }
    });
  });
}

export function sendText(
  response: ServerResponse,
  status: number,
  body: string,
  contentType = 'application/json; charset=utf-8',
  headers: Readonly<Record<string, string>> = {},
): void {
  if (response.headersSent || response.writableEnded) return;
  response.writeHead(status, {
    ...CORS_HEADERS,
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-cache',
    ...headers,
  });
  response.end(body);
}

export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  options: { pretty?: boolean; headers?: Readonly<Record<string, string>> } = {},
): void {
  const body = options.pretty ? JSON.stringify(value ?? null, null, 2) : JSON.stringify(value ?? null);
  sendText(response, status, body, 'application/json; charset=utf-8', options.headers);
}

/** Errors in production form: `{"error": "<message>"}`. */
export function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendJson(response, status, { error: message }, { headers });
}

export function sendNoContent(response: ServerResponse, headers: Readonly<Record<string, string>> = {}): void {
  if (response.headersSent || response.writableEnded) return;
  response.writeHead(204, { ...CORS_HEADERS, ...headers });
  response.end();
}

/** Decodes the percent-encoded pathname into a database path string; 400 if it is not decodable. */
export function decodePathname(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, 'Invalid path: Invalid token in path');
  }
}
