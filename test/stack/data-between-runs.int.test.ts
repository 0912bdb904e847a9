/**
 * Data between runs, as a user does it (docs/local-stack.md "Data between runs"): `npm start` with the
 * demo app and `--export-on-exit <dir>`, open the demo, sign up in the Auth emulator and write some
 * data, Ctrl-C; then `npm start -- --import <dir>` and find the account and the data again.
 *
 * Everything goes through the URLs the banner prints: the demo server, the Auth emulator's REST API
 * (`identitytoolkit.googleapis.com/v1/accounts:*`, `key` is not checked by the emulator) and the
 * database's REST API as the owner. Needs the packages built and firebase-tools installed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePorts, isListening, type LaunchedStack, launchStack, REPO, waitForReady } from './launcher';

const PROJECT = `demo-data-${randomBytes(3).toString('hex')}`;
const NAMESPACE = `${PROJECT}-default-rtdb`;
/** firebase-tools needs 20-40 s to start and load the functions on a busy 2-core machine. */
const START_TIMEOUT_MS = 75_000;
/** The launcher waits up to 20 s for firebase-tools' export on exit (stack/src/stack.ts FIREBASE_STOP_MS). */
const STOP_GRACE_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
const EMAIL = 'returning-user@example.com';
const PASSWORD = 'correct horse battery staple';
const DATA_PATH = `dataBetweenRuns/${randomBytes(3).toString('hex')}`;

let parent: string;
/** The export folder: it does not exist before the first run's Ctrl-C. */
let dataDir: string;
let stack: LaunchedStack | undefined;
const allPorts: number[] = [];
/** The first run's account, from `accounts:signUp`. */
let localId = '';

interface Banner {
  demo?: string;
  database: { port: number; namespace: string };
  auth: number;
  functions: number;
}

/** Starts the launcher on free ports of its own and reads the URLs back from its banner. */
async function start(args: readonly string[]): Promise<Banner> {
  const ports = await freePorts();
  allPorts.push(...Object.values(ports));
  const portList = Object.entries(ports)
    .map(([service, port]) => `${service}=${port}`)
    .join(',');
  stack = launchStack(['--project', PROJECT, '--ports', portList, ...args]);
  await waitForReady(stack, START_TIMEOUT_MS);
  // The banner is printed in one write; wait for its last row to be safe against a split chunk.
  await stack.waitForOutput(/ {2}Triggers /, 5_000);
  const output = stack.output;
  const match = (pattern: RegExp): RegExpExecArray => {
    const found = pattern.exec(output);
    if (!found) throw new Error(`no ${String(pattern)} in the banner:\n${output}`);
    return found;
  };
  const database = match(/ {2}Database +http:\/\/127\.0\.0\.1:(\d+)\/\?ns=(\S+)/);
  const banner: Banner = {
    database: { port: Number(database[1]), namespace: database[2] as string },
    auth: Number(match(/ {2}Auth +http:\/\/127\.0\.0\.1:(\d+)\//)[1]),
    functions: Number(match(/ {2}Functions +http:\/\/127\.0\.0\.1:(\d+)\//)[1]),
  };
  const demo = / {2}Demo app +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
  if (demo !== undefined) banner.demo = demo;
  // The banner shows the ports asked for (a mismatch would send a user elsewhere).
  expect(banner).toMatchObject({ database: { port: ports.database, namespace: NAMESPACE }, auth: ports.auth });
  return banner;
}

async function request(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The Auth emulator's REST API, as the JS SDK calls it (`/identitytoolkit.googleapis.com/v1/...`). */
async function accounts(banner: Banner, method: 'signUp' | 'signInWithPassword'): Promise<Record<string, unknown>> {
  const response = await request(
    `http://127.0.0.1:${banner.auth}/identitytoolkit.googleapis.com/v1/accounts:${method}?key=fake`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD, returnSecureToken: true }),
    },
  );
  return json(response, `accounts:${method}`);
}

function databaseUrl(banner: Banner, at: string): string {
  return `http://127.0.0.1:${banner.database.port}/${at}.json?ns=${banner.database.namespace}`;
}

async function ownerGet(banner: Banner, at: string): Promise<unknown> {
  const response = await request(databaseUrl(banner, at), { headers: { Authorization: 'Bearer owner' } });
  if (!response.ok) throw new Error(`GET ${at}: ${response.status} ${await response.text()}`);
  return (await response.json()) as unknown;
}

/** Ctrl-C, then every port this file used must be free again (as local-stack.int.test.ts checks). */
async function stopAndCheckPorts(): Promise<void> {
  const running = stack as LaunchedStack;
  const exit = await running.interrupt(STOP_GRACE_MS);
  expect({ exit, stopped: running.output.includes('stack: stopped') }).toEqual({ exit: 0, stopped: true });
  const listening = [];
  for (const port of allPorts) if (await isListening(port)) listening.push(port);
  expect(listening).toEqual([]);
}

beforeAll(() => {
  parent = mkdtempSync(path.join(tmpdir(), 'device-limit-data-test-'));
  dataDir = path.join(parent, 'data');
});

afterAll(async () => {
  // Bounded: a second Ctrl-C after the grace kills every child group, SIGKILL last (launcher.ts).
  await stack?.interrupt(STOP_GRACE_MS);
  rmSync(parent, { recursive: true, force: true });
  const listening = [];
  for (const port of allPorts) if (await isListening(port)) listening.push(port);
  if (listening.length > 0) throw new Error(`ports still listening after the test: ${listening.join(', ')}`);
}, STOP_GRACE_MS + 10_000);

const seed = { label: 'written before Ctrl-C', count: 3, nested: { ok: true } };

it(
  "the first run serves the demo pointed at the banner's emulators; an account and data are created",
  async () => {
    const banner = await start(['--export-on-exit', dataDir]);
    expect(stack?.output).toContain(`export on exit to ${dataDir}`);

    // The demo app: Vite's build, and the generated config naming this run's hosts and namespace.
    expect(banner.demo).toBeDefined();
    const page = await request(banner.demo as string);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toBe(readFileSync(path.join(REPO, 'demo/dist/index.html'), 'utf8'));
    const config = await json(await request(new URL('config.json', banner.demo).href), 'GET /config.json');
    expect(config).toMatchObject({
      firebase: { projectId: PROJECT, databaseURL: `https://${banner.database.namespace}.firebaseio.com` },
      emulators: {
        database: `127.0.0.1:${banner.database.port}`,
        auth: `127.0.0.1:${banner.auth}`,
        functions: `127.0.0.1:${banner.functions}`,
      },
    });

    const signedUp = await accounts(banner, 'signUp');
    expect(signedUp).toMatchObject({ email: EMAIL, localId: expect.any(String), idToken: expect.any(String) });
    localId = signedUp.localId as string;

    const written = await request(databaseUrl(banner, DATA_PATH), {
      method: 'PUT',
      headers: { Authorization: 'Bearer owner' },
      body: JSON.stringify({ ...seed, uid: localId }),
    });
    expect(written.status).toBe(200);
    expect(await ownerGet(banner, DATA_PATH)).toEqual({ ...seed, uid: localId });
  },
  START_TIMEOUT_MS + 30_000,
);

it(
  "Ctrl-C writes the export folder in firebase-tools' layout and frees every port",
  async () => {
    await stopAndCheckPorts();
    expect(stack?.output).toMatch(/Exported auth and 1 database namespace\(s\) to /);
    const metadata = JSON.parse(readFileSync(path.join(dataDir, 'firebase-export-metadata.json'), 'utf8')) as unknown;
    expect(metadata).toMatchObject({ auth: { path: 'auth_export' }, database: { path: 'database_export' } });
    const accountsFile = path.join(dataDir, 'auth_export', 'accounts.json');
    expect(existsSync(accountsFile)).toBe(true);
    expect(readFileSync(accountsFile, 'utf8')).toContain(EMAIL);
    const tree = JSON.parse(
      readFileSync(path.join(dataDir, 'database_export', `${NAMESPACE}.json`), 'utf8'),
    ) as unknown;
    const [top, key] = DATA_PATH.split('/') as [string, string];
    expect(tree).toMatchObject({ [top]: { [key]: { ...seed, uid: localId } } });
  },
  STOP_GRACE_MS + 15_000,
);

it(
  'a second run with --import has the account and the data back, then stops cleanly',
  async () => {
    expect(localId).not.toBe(''); // the first run created the account
    const banner = await start(['--import', dataDir]);
    expect(stack?.output).toContain(`import ${dataDir}`);
    expect(await ownerGet(banner, DATA_PATH)).toEqual({ ...seed, uid: localId });
    const signedIn = await accounts(banner, 'signInWithPassword');
    expect(signedIn).toMatchObject({ email: EMAIL, localId, registered: true });
    await stopAndCheckPorts();
  },
  START_TIMEOUT_MS + STOP_GRACE_MS + 20_000,
);
