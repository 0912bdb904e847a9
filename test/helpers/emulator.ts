/**
 * Where the database under test is, and a fresh namespace per test file (isolation without
 * restarting the emulator). Works the same against the official emulator.
 */
import { randomBytes } from 'node:crypto';

export interface EmulatorAddress {
  readonly host: string;
  readonly port: number;
  /** "host:port" */
  readonly hostAndPort: string;
}

export function emulatorAddress(): EmulatorAddress {
  const value = process.env.FIREBASE_DATABASE_EMULATOR_HOST;
  if (!value) throw new Error('FIREBASE_DATABASE_EMULATOR_HOST is not set: run the tests with `npm test`.');
  const colon = value.lastIndexOf(':');
  const host = value.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host, port: Number(value.slice(colon + 1)), hostAndPort: value };
}

/** A namespace name valid for the emulator and unique to this call, e.g. `demo-rules-1a2b3c4d`. */
export function freshNamespace(prefix = 'demo-test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The REST URL of `path` in namespace `ns`: `http://HOST:PORT/<path>.json?ns=<ns>&<params>`. */
export function restUrl(path: string, ns: string, params: Record<string, string> = {}): string {
  const { hostAndPort } = emulatorAddress();
  const query = new URLSearchParams({ ns, ...params });
  const clean = path.replace(/^\/+/, '');
  return `http://${hostAndPort}/${clean}.json?${query.toString()}`;
}
