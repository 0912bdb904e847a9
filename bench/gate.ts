/**
 * The device gate (`deviceGate` from `@device-limit/functions`) in front of an Express app, against
 * our database emulator in its own process, over real sockets. Three measures, with the goals of
 * issue 14:
 * 1. **Eviction → first refused request**: a device polls the API back to back; another connection
 *    writes a force login (docs/protocol.md §5.1) that evicts it; the time from just before that write
 *    is sent to the first 403 the device gets. Goal: p99 under 1 s.
 * 2. **Database reads per 1,000 requests**: counted by the emulator itself (its profiler stream,
 *    `GET /.settings/profile.json`, bench/profile-client.ts): each `listener-listen` is one read of a
 *    user's presence (the listener's first value); what follows is pushed (`listener-broadcast`).
 *    Goal: at most one read per user per listener lifetime, not one per request.
 * 3. **Overhead per request when warm**: `gate.check()` timed in-process (what the middleware adds
 *    before `next()`), and the HTTP latency of the same handler with and without the middleware.
 *    Goal: p99 under 1 ms.
 *
 * ID tokens: the gate is given a verifier that looks tokens up in a table, so the numbers are the
 * gate's own work. In production `verifyIdToken` also checks an RS256 signature with Google's cached
 * public keys; that cost is measured alone (node:crypto on a real RS256 token) and reported beside.
 *
 * Run: `npm run bench -- --only gate`, or after `npm run build`: `node bench/dist/gate.js`.
 */
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import type { DecodedIdToken } from 'firebase-admin/auth';
import { getDatabase, ServerValue } from 'firebase-admin/database';
import { deviceGate, type DeviceGateMiddleware } from '@device-limit/functions';
import { startProfile, summarizeProfile } from './profile-client';
import { spawnEmulator } from './spawn-emulator';

export interface GateBenchOptions {
  /** Users, each with one device holding a slot; default 200. */
  readonly users?: number;
  /** Requests of the read-counting phase, spread over the users; default 20,000. */
  readonly requests?: number;
  /** Requests in flight in the read-counting phase; default 32. */
  readonly concurrency?: number;
  /** Eviction trials (one user each); default all the users. */
  readonly evictions?: number;
  /** Timed `gate.check()` calls and HTTP requests of the overhead phase; default 20,000. */
  readonly overheadRequests?: number;
  /** "host:port" of a running emulator; default: spawn the built emulator on a free port. */
  readonly emulatorHost?: string;
  readonly log?: (line: string) => void;
}

export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface GateBenchResult {
  readonly users: number;
  readonly eviction: Percentiles & { readonly unit: 'ms'; readonly underOneSecond: number };
  readonly reads: {
    readonly requests: number;
    readonly users: number;
    /** `listener-listen` events of the gate's connection on presence paths (the emulator's count). */
    readonly listens: number;
    /** Reads of another kind by the gate's connection (`realtime-read`, `rest-read`); should be 0. */
    readonly otherReads: number;
    /** Values pushed to the gate (`listener-broadcast`), first values excluded by the emulator. */
    readonly broadcasts: number;
    readonly readsPer1000Requests: number;
    /** Lease renewals written by other connections meanwhile (each pushed to the gate, not read). */
    readonly renewals: number;
    /** Listener lifetimes as the gate counts them (`stats.attaches`). */
    readonly lifetimes: number;
    readonly readsPerLifetime: number;
  };
  /** The same workload with `maxUsers` at half the users: the view churns (a sizing mistake). */
  readonly undersized: { readonly maxUsers: number; readonly requests: number; readonly readsPer1000Requests: number };
  readonly overhead: {
    readonly check: Percentiles & { readonly unit: 'µs' };
    readonly httpWithout: Percentiles & { readonly unit: 'ms' };
    readonly httpWith: Percentiles & { readonly unit: 'ms' };
    readonly rs256Verify: Percentiles & { readonly unit: 'µs' };
  };
}

const PROJECT = 'demo-gate-bench';
const AUTH_TIME = Math.floor(Date.now() / 1000) - 60;

function percentiles(values: number[], digits = 2): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  const round = (n: number) => Math.round(n * 10 ** digits) / 10 ** digits;
  return { n: sorted.length, p50: round(at(50)), p99: round(at(99)), max: round(sorted.at(-1) ?? 0) };
}

function adminApp(name: string, host: string, ns: string): App {
  return initializeApp(
    {
      projectId: PROJECT,
      databaseURL: `http://${host}/?ns=${ns}`,
      // The emulator takes the "owner" credential; this keeps firebase-admin from looking for ADC.
      credential: { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) },
    },
    name,
  );
}

const uidOf = (i: number) => `user${String(i).padStart(5, '0')}`;
const deviceOf = (i: number) => `device-${String(i).padStart(5, '0')}`;
const tokenOf = (i: number) => `token-${uidOf(i)}`;

function deviceEntry(now: number, generation = 0) {
  return { claimedAt: now, lastSeen: now, generation, platform: 'web', label: 'bench' };
}

/** Tokens looked up in a table: the gate's own cost, without signature checks (see the file comment). */
function tableVerifier(users: number) {
  const tokens = new Map<string, DecodedIdToken>();
  for (let i = 0; i < users; i++) {
    const uid = uidOf(i);
    tokens.set(tokenOf(i), { uid, sub: uid, auth_time: AUTH_TIME, aud: PROJECT } as unknown as DecodedIdToken);
  }
  return {
    verifyIdToken: async (token: string): Promise<DecodedIdToken> => {
      const decoded = tokens.get(token);
      if (!decoded) throw Object.assign(new Error('unknown token'), { code: 'auth/argument-error' });
      return decoded;
    },
  };
}

async function listen(middleware: DeviceGateMiddleware): Promise<{ server: Server; url: string }> {
  const app = express();
  app.get('/plain', (_req, res) => void res.json({ ok: true }));
  app.get('/api', middleware, (req, res) => void res.json({ uid: req.deviceLimit?.uid }));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function call(url: string, i: number): Promise<Response> {
  return fetch(`${url}/api`, { headers: { Authorization: `Bearer ${tokenOf(i)}`, 'X-Device-Id': deviceOf(i) } });
}

/** `requests` requests over `users` users (a fixed shuffle), `concurrency` in flight; all must pass. */
async function requestLoad(url: string, users: number, requests: number, concurrency: number): Promise<void> {
  let next = 0;
  let seed = 12345;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const response = await call(url, Math.floor(random() * users));
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
      }
    }),
  );
}

async function countReads(
  host: string,
  ns: string,
  work: () => Promise<void>,
): Promise<{ listens: number; otherReads: number; broadcasts: number }> {
  const profile = await startProfile({ host, namespace: ns });
  await work();
  const events = await profile.stop(100);
  // Only the gate's reads of presence: the admin connection, on /presence/{uid}.
  const gateEvents = events.filter((e) => e.admin === true && e.path?.[0] === 'presence');
  const summary = summarizeProfile(gateEvents);
  return {
    listens: summary.byOperation['listener-listen']?.count ?? 0,
    otherReads: (summary.byOperation['realtime-read']?.count ?? 0) + (summary.byOperation['rest-read']?.count ?? 0),
    broadcasts: summary.byOperation['listener-broadcast']?.count ?? 0,
  };
}

/** What `verifyIdToken` adds in production: one RS256 signature check of an ID-token-sized JWT. */
function rs256Reference(iterations: number): number[] {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${b64({ alg: 'RS256', kid: 'k', typ: 'JWT' })}.${b64({
    iss: `https://securetoken.google.com/${PROJECT}`,
    aud: PROJECT,
    auth_time: now,
    user_id: 'u',
    sub: 'u',
    iat: now,
    exp: now + 3600,
    email: 'ada@example.com',
    firebase: { identities: { email: ['ada@example.com'] }, sign_in_provider: 'password' },
  })}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey);
  const micros: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const began = performance.now();
    const ok = createVerify('RSA-SHA256').update(signingInput).verify(publicKey, signature);
    JSON.parse(Buffer.from(signingInput.split('.')[1] as string, 'base64url').toString());
    micros.push((performance.now() - began) * 1000);
    if (!ok) throw new Error('RS256 reference: the signature did not verify');
  }
  return micros;
}

export async function runGateBench(options: GateBenchOptions = {}): Promise<GateBenchResult> {
  const users = options.users ?? 200;
  const requests = options.requests ?? 20_000;
  const concurrency = options.concurrency ?? 32;
  const evictions = Math.min(options.evictions ?? users, users);
  const overheadRequests = options.overheadRequests ?? 20_000;
  const log = options.log ?? ((): void => undefined);
  const spawned = options.emulatorHost ? null : await spawnEmulator();
  const host = options.emulatorHost ?? spawned?.host ?? '';
  process.env.FIREBASE_DATABASE_EMULATOR_HOST = host;
  const ns = `gate-bench-${Date.now().toString(36)}`;
  const writerApp = adminApp('gate-bench-writer', host, ns);
  const gateApp = adminApp('gate-bench-gate', host, ns);
  const undersizedApp = adminApp('gate-bench-undersized', host, ns);
  const writer = getDatabase(writerApp);
  const middleware = deviceGate({ database: getDatabase(gateApp), auth: tableVerifier(users) });
  const undersized = deviceGate({
    database: getDatabase(undersizedApp),
    auth: tableVerifier(users),
    maxUsers: Math.max(1, Math.floor(users / 2)),
  });
  const servers: Server[] = [];
  try {
    const now = Date.now();
    const seed: Record<string, unknown> = {};
    for (let i = 0; i < users; i++) seed[uidOf(i)] = { count: 1, devices: { [deviceOf(i)]: deviceEntry(now) } };
    await writer.ref('presence').set(seed);
    const { server, url } = await listen(middleware);
    servers.push(server);

    log(`gate: reads (${requests} requests over ${users} users, ${concurrency} in flight)`);
    // Meanwhile devices renew their leases (docs/protocol.md §4.4), as they would: pushes, not reads.
    let renewing = true;
    let renewals = 0;
    const renewalLoop = (async () => {
      for (let i = 0; renewing; i = (i + 7) % users, renewals++) {
        await writer.ref(`presence/${uidOf(i)}/devices/${deviceOf(i)}/lastSeen`).set(ServerValue.TIMESTAMP);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const counted = await countReads(host, ns, async () => {
      await requestLoad(url, users, requests, concurrency);
      renewing = false;
      await renewalLoop;
    });
    const lifetimes = middleware.gate.stats.attaches;

    log(`gate: undersized view (maxUsers ${Math.floor(users / 2)} for ${users} users)`);
    const small = await listen(undersized);
    servers.push(small.server);
    const smallRequests = Math.min(requests, 5_000);
    const churn = await countReads(host, ns, () => requestLoad(small.url, users, smallRequests, concurrency));
    undersized.gate.close();

    log(`gate: overhead (${overheadRequests} warm checks, then HTTP with and without the gate)`);
    const checkMicros: number[] = [];
    for (let n = 0; n < overheadRequests; n++) {
      const i = n % users;
      const began = performance.now();
      const result = await middleware.gate.check(`Bearer ${tokenOf(i)}`, deviceOf(i));
      checkMicros.push((performance.now() - began) * 1000);
      if (!result.allowed) throw new Error(`overhead phase: ${uidOf(i)} was refused`);
    }
    const httpWithout: number[] = [];
    const httpWith: number[] = [];
    const httpRounds = Math.min(overheadRequests, 5_000);
    for (let n = 0; n < httpRounds; n++) {
      // Alternate, so both see the same machine load.
      let began = performance.now();
      await (await fetch(`${url}/plain`)).arrayBuffer();
      httpWithout.push(performance.now() - began);
      began = performance.now();
      const response = await call(url, n % users);
      await response.arrayBuffer();
      httpWith.push(performance.now() - began);
    }
    const rs256 = rs256Reference(2_000);

    log(`gate: eviction to first refused request (${evictions} trials)`);
    const evictionMs: number[] = [];
    for (let i = 0; i < evictions; i++) {
      const first = await call(url, i);
      await first.arrayBuffer();
      if (first.status !== 200) throw new Error(`eviction trial ${i}: the device was refused before the eviction`);
      let stop = false;
      let refusedAt = 0;
      const poller = (async () => {
        while (!stop) {
          const response = await call(url, i);
          await response.arrayBuffer();
          if (response.status === 403) {
            refusedAt = performance.now();
            return;
          }
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 5)); // the poller is running
      const other = `other-${String(i).padStart(5, '0')}`;
      const evictedAt = performance.now();
      // docs/protocol.md §5.1, as the forceLogin transaction writes it for the caller `other`.
      await writer.ref(`presence/${uidOf(i)}`).update({
        count: 1,
        op: other,
        generation: 1,
        notBefore: AUTH_TIME,
        [`devices/${deviceOf(i)}`]: null,
        [`devices/${other}`]: deviceEntry(Date.now(), 1),
        [`evicted/${deviceOf(i)}`]: { reason: 'force-login', at: ServerValue.TIMESTAMP, generation: 1 },
      });
      const timeout = setTimeout(() => (stop = true), 10_000);
      await poller;
      clearTimeout(timeout);
      stop = true;
      if (refusedAt === 0) throw new Error(`eviction trial ${i}: still allowed 10 s after the eviction`);
      evictionMs.push(refusedAt - evictedAt);
    }

    const eviction = percentiles(evictionMs);
    return {
      users,
      eviction: {
        ...eviction,
        unit: 'ms',
        underOneSecond: evictionMs.filter((ms) => ms < 1000).length / Math.max(1, evictionMs.length),
      },
      reads: {
        requests,
        users,
        ...counted,
        readsPer1000Requests: Math.round(((counted.listens + counted.otherReads) / requests) * 1000 * 100) / 100,
        renewals,
        lifetimes,
        readsPerLifetime: Math.round(((counted.listens + counted.otherReads) / Math.max(1, lifetimes)) * 100) / 100,
      },
      undersized: {
        maxUsers: Math.floor(users / 2),
        requests: smallRequests,
        readsPer1000Requests: Math.round(((churn.listens + churn.otherReads) / smallRequests) * 1000 * 100) / 100,
      },
      overhead: {
        check: { ...percentiles(checkMicros, 1), unit: 'µs' },
        httpWithout: { ...percentiles(httpWithout, 3), unit: 'ms' },
        httpWith: { ...percentiles(httpWith, 3), unit: 'ms' },
        rs256Verify: { ...percentiles(rs256, 1), unit: 'µs' },
      },
    };
  } finally {
    middleware.gate.close();
    undersized.gate.close();
    await Promise.all(servers.map((server) => closeServer(server)));
    await Promise.all([writerApp, gateApp, undersizedApp].map((app) => deleteApp(app)));
    spawned?.child.kill('SIGTERM');
  }
}

export function formatGateBench(result: GateBenchResult): string {
  const { eviction, reads, undersized, overhead } = result;
  const p = (x: Percentiles & { unit: string }) => `${x.p50} / ${x.p99} / ${x.max} ${x.unit}`;
  return [
    `device gate (${result.users} users, one device each; Express on loopback, emulator in its own process)`,
    '',
    '| measure | p50 / p99 / max, or count | goal |',
    '| --- | --- | --- |',
    `| eviction → first refused request (${eviction.n} trials) | ${p(eviction)}; ${Math.round(eviction.underOneSecond * 100)}% under 1 s | p99 < 1 s |`,
    `| database reads per 1,000 requests (${reads.requests} requests, ${reads.users} users, ${reads.renewals} lease renewals meanwhile) | ${reads.readsPer1000Requests} (${reads.listens} listens, ${reads.otherReads} other reads; ${reads.broadcasts} pushes) | at most 1 per user per listener lifetime |`,
    `| reads per listener lifetime (${reads.lifetimes} lifetimes) | ${reads.readsPerLifetime} | 1 |`,
    `| reads per 1,000 requests with maxUsers ${undersized.maxUsers} < ${reads.users} users | ${undersized.readsPer1000Requests} | (a view sized below its users churns) |`,
    `| gate.check() when warm, in-process (${overhead.check.n} calls) | ${p(overhead.check)} | p99 < 1 ms |`,
    `| HTTP GET without the gate (${overhead.httpWithout.n}) | ${p(overhead.httpWithout)} | |`,
    `| HTTP GET with the gate (${overhead.httpWith.n}) | ${p(overhead.httpWith)} | |`,
    `| reference: one RS256 verify (verifyIdToken's signature check) | ${p(overhead.rs256Verify)} | |`,
  ].join('\n');
}

if (require.main === module) {
  runGateBench({ log: (line) => process.stderr.write(`${line}\n`) })
    .then((result) => {
      process.stdout.write(`${formatGateBench(result)}\n`);
      if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    });
}
