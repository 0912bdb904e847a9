/**
 * `npm start` as a user runs it: the launcher starts our database emulator, firebase-tools' Auth and
 * Functions emulators (running the unmodified functions/), trigger delivery and the scheduler, here on
 * ports of its own. Then:
 * - a limit an admin lowers by hand is enforced by the real `enforceDeviceLimit`, delivered by our
 *   emulator on the write of `/limits/{uid}` (no function listens under `/presence`);
 * - a quiet user's stale entry is swept by the real `sweepStalePresence`, run on a short schedule;
 * - a broken rules edit is refused and the last good rules stay;
 * - Ctrl-C stops everything and leaves no port listening.
 *
 * The database here is the launcher's own (the one the functions use), reached over REST as the owner.
 * Needs the packages built (`npm test` builds first) and firebase-tools installed; no network, no Java.
 */
import { randomBytes } from 'node:crypto';
import { STALE_AFTER_MS } from '@device-limit/contract';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  freePorts,
  isListening,
  type LaunchedStack,
  launchStack,
  REPO,
  type StackService,
  waitForReady,
} from './launcher';

const PROJECT = `demo-stack-${randomBytes(3).toString('hex')}`;
const NAMESPACE = `${PROJECT}-default-rtdb`;
/** firebase-tools needs 20-40 s to start and load the functions on a busy 2-core machine. */
const START_TIMEOUT_MS = 75_000;
const CONVERGE_TIMEOUT_MS = 25_000;

let ports: Record<StackService, number>;
let dir: string;
let rulesFile: string;
let goodRules: string;
let stack: LaunchedStack | undefined;

beforeAll(async () => {
  ports = await freePorts();
  dir = mkdtempSync(path.join(tmpdir(), 'device-limit-stack-test-'));
  // A copy: the rules test edits it.
  rulesFile = path.join(dir, 'database.rules.json');
  goodRules = readFileSync(path.join(REPO, 'database.rules.json'), 'utf8');
  writeFileSync(rulesFile, goodRules);
  const portList = Object.entries(ports)
    .map(([service, port]) => `${service}=${port}`)
    .join(',');
  stack = launchStack([
    '--project',
    PROJECT,
    '--ports',
    portList,
    '--rules',
    rulesFile,
    '--schedule-every',
    '2s',
    '--no-demo',
  ]);
  await waitForReady(stack, START_TIMEOUT_MS);
}, START_TIMEOUT_MS + 5_000);

afterAll(async () => {
  await stack?.interrupt(20_000);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

function url(at: string): string {
  return `http://127.0.0.1:${ports.database}/${at}.json?ns=${NAMESPACE}`;
}

async function ownerGet(at: string): Promise<unknown> {
  const response = await fetch(url(at), { headers: { Authorization: 'Bearer owner' } });
  if (!response.ok) throw new Error(`GET ${at}: ${response.status} ${await response.text()}`);
  return (await response.json()) as unknown;
}

async function ownerPut(at: string, value: unknown): Promise<void> {
  const response = await fetch(url(at), {
    method: 'PUT',
    headers: { Authorization: 'Bearer owner' },
    body: JSON.stringify(value),
  });
  if (!response.ok) throw new Error(`PUT ${at}: ${response.status} ${await response.text()}`);
}

/** Polls `read` until `done` holds for its value; returns that value, or fails with the last one. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not happen within ${CONVERGE_TIMEOUT_MS} ms; last value ${JSON.stringify(value)}\n${stack?.output ?? ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    value = await read();
  }
  return value;
}

interface Presence {
  count?: number;
  lastActive?: number;
  devices?: Record<string, unknown>;
  evicted?: Record<string, { reason?: string }>;
}

function device(lastSeen: number): Record<string, unknown> {
  return { claimedAt: lastSeen, lastSeen, generation: 0, platform: 'web', label: 'stack test' };
}

it('prints one banner with every URL', () => {
  const output = stack?.output ?? '';
  expect(output).toContain(`http://127.0.0.1:${ports.database}/?ns=${NAMESPACE}`);
  expect(output).toContain(`http://127.0.0.1:${ports.auth}/`);
  expect(output).toContain(`http://127.0.0.1:${ports.functions}/${PROJECT}/us-central1/`);
  expect(output).toMatch(/enforceDeviceLimit on \/limits\/\{uid\}/);
  // docs/protocol.md §5: no function runs for a claim, a renewal or a release.
  expect(output).not.toMatch(/ on \/presence\//);
  expect(output.match(/Local stack ready/g)).toHaveLength(1);
});

it('gives every functions parameter a value, so the Functions emulator prompts for none', () => {
  // A prompted answer would be saved into functions/.env.local, in the user's own folder.
  expect(stack?.output ?? '').not.toMatch(/Prompting for parameters/);
  expect(existsSync(path.resolve(__dirname, '../../functions/.env.local'))).toBe(false);
});

it("runs the functions on the launcher's Node, the major of firebase.json's runtime", () => {
  // firebase-tools runs the emulated functions with its own process.execPath when that Node's major is
  // the runtime's, and says so; the launcher starts firebase-tools with its own Node (jest's, here).
  const runtime = (
    JSON.parse(readFileSync(path.join(REPO, 'firebase.json'), 'utf8')) as {
      functions: Array<{ runtime: string }>;
    }
  ).functions[0]?.runtime;
  const major = process.versions.node.split('.')[0];
  expect(runtime).toBe(`nodejs${major}`);
  expect(stack?.output ?? '').toContain(`Using node@${major} from host`);
});

it(
  'a limit an admin lowers by hand is enforced by enforceDeviceLimit running in the Functions emulator',
  async () => {
    const uid = `lowered-${randomBytes(3).toString('hex')}`;
    const now = Date.now();
    await ownerPut(`presence/${uid}`, {
      count: 2,
      lastActive: now,
      devices: { 'device-aaaaaaaa': device(now - 1_000), 'device-cccccccc': device(now) },
    });
    await ownerPut(`limits/${uid}`, 1);
    const enforced = await eventually(
      async () => (await ownerGet(`presence/${uid}`)) as Presence | null,
      (presence) => Object.keys(presence?.devices ?? {}).length === 1,
      'the limit enforcement',
    );
    // The most recently claimed device goes, with its notice in the same write (docs/protocol.md §5.5).
    expect(enforced).toMatchObject({ count: 1, devices: { 'device-aaaaaaaa': { label: 'stack test' } } });
    expect(enforced?.evicted?.['device-cccccccc']?.reason).toBe('limit-lowered');
  },
  CONVERGE_TIMEOUT_MS + 5_000,
);

it(
  "a quiet user's stale entry is swept by sweepStalePresence, run on its (shortened) schedule",
  async () => {
    const uid = `stale-${randomBytes(3).toString('hex')}`;
    // A user none of whose devices renewed a lease for STALE_AFTER_MS (3 h): found by `lastActive`.
    const lastSeen = Date.now() - STALE_AFTER_MS - 5 * 60_000;
    await ownerPut(`presence/${uid}`, {
      count: 1,
      lastActive: lastSeen,
      devices: { 'device-bbbbbbbb': device(lastSeen) },
    });
    const swept = await eventually(
      async () => (await ownerGet(`presence/${uid}`)) as Presence | null,
      (presence) => presence?.devices?.['device-bbbbbbbb'] === undefined,
      'the sweep',
    );
    expect(swept?.evicted?.['device-bbbbbbbb']?.reason).toBe('swept');
    expect(swept?.count ?? 0).toBe(0);
    // No entry remains, so lastActive went with it: the user is not visited again (docs/protocol.md §5.3).
    expect(swept).not.toHaveProperty('lastActive');
  },
  CONVERGE_TIMEOUT_MS + 5_000,
);

it('a rules edit is reloaded, and a broken one is refused while the last good rules stay', async () => {
  const probe = async (): Promise<number> => (await fetch(url('probe'))).status;
  expect(await probe()).toBe(401); // `.read: false` at the root

  const opened = goodRules.replace('"rules": {', '"rules": {\n    "probe": { ".read": true },');
  expect(opened).not.toBe(goodRules);
  let from = stack?.output.length ?? 0;
  writeFileSync(rulesFile, opened);
  await stack?.waitForOutput(/rules: reloaded/, 10_000, from);
  expect(await probe()).toBe(200);

  from = stack?.output.length ?? 0;
  writeFileSync(rulesFile, '{ "rules": { "probe": ');
  await stack?.waitForOutput(/rules: .* NOT loaded, keeping the last good rules/, 10_000, from);
  expect(await probe()).toBe(200);
  const installed = await fetch(`http://127.0.0.1:${ports.database}/.settings/rules.json?ns=${NAMESPACE}`, {
    headers: { Authorization: 'Bearer owner' },
  });
  expect(await installed.text()).toBe(opened);
}, 25_000);

it('Ctrl-C stops everything and leaves no port listening', async () => {
  const running = stack as LaunchedStack;
  const exit = await running.interrupt(30_000);
  expect(running.output).toContain('stack: stopped');
  expect(exit).toBe(0);
  const listening = [];
  for (const [service, port] of Object.entries(ports))
    if (await isListening(port)) listening.push(`${service}:${port}`);
  expect(listening).toEqual([]);
}, 45_000);
