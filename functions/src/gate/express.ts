/**
 * `deviceGate(options)`: the gate as Connect/Express middleware. It speaks plain `node:http`
 * (`IncomingMessage`, `ServerResponse`), which Express, Cloud Functions' `onRequest` and Cloud Run
 * servers all hand to middleware, so it has no dependency on Express itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DeviceGate, type DeviceGateContext, type DeviceGateOptions } from './device-gate';
import { refusalBody, type GateRefusal } from './refusal';

declare global {
  // Express's documented way to type what middleware adds to `req`
  // (https://expressjs.com/en/guide/using-middleware.html); merges with @types/express when present.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `deviceGate()` on requests it let through. */
      deviceLimit?: DeviceGateContext;
    }
  }
}

export type DeviceGateRequest = IncomingMessage & { deviceLimit?: DeviceGateContext };

export interface DeviceGateMiddleware {
  (req: DeviceGateRequest, res: ServerResponse, next: (error?: unknown) => void): void;
  /** The gate behind the middleware: `stats`, `close()`. */
  readonly gate: DeviceGate;
}

/**
 * Lets a request through only when its ID token is valid and the device named by its `X-Device-Id`
 * header holds a slot; the handler then finds `{ uid, deviceId, token }` on `req.deviceLimit`.
 * Otherwise it answers 401, 400 or 403 with `{ "error": { "status", "code", "message" } }`. When it
 * cannot decide (database or Auth unreachable) it calls `next(error)` with a
 * `DeviceGateUnavailableError`, for the app's error handler.
 */
export function deviceGate(options: DeviceGateOptions = {}): DeviceGateMiddleware {
  const gate = new DeviceGate(options);
  const middleware = (req: DeviceGateRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    gate.check(req.headers.authorization, req.headers[gate.deviceIdHeader]).then(
      (result) => {
        if (result.allowed) {
          req.deviceLimit = result.context;
          next();
        } else {
          sendRefusal(res, result.refusal);
        }
      },
      (error: unknown) => next(error),
    );
  };
  return Object.assign(middleware, { gate });
}

export function sendRefusal(res: ServerResponse, refusal: GateRefusal): void {
  const body = JSON.stringify(refusalBody(refusal));
  res.statusCode = refusal.httpStatus;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  // RFC 6750 docs/protocol.md §3: a 401 for a bearer-token resource names the scheme (and why, when a token was sent).
  if (refusal.httpStatus === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="device-limit"');
  res.end(body);
}
