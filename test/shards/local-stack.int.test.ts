/**
 * `npm start -- --instances 3` as a user runs it (the launcher, stack/dist/cli.js, on ports of its
 * own): three database instances — namespaces `<project>-default-rtdb`, `<project>-presence-1`,
 * `<project>-presence-2` of our emulator — with the rules loaded in each, triggers delivered from all
 * of them to the unmodified functions in firebase-tools' Functions emulator, the functions configured
 * to see all three (`PRESENCE_INSTANCES` from the generated folder's .env), the sweep over all three,
 * and the demo app in Chromium putting its user on their instance.
 *
 * Everything is read over REST as the owner, on all three namespaces, so a write to the wrong instance
 * shows. Needs the packages built (`npm test` builds first); no network, no Java.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { shardFor, STALE_AFTER_MS } from '@device-limit/contract';
import type { Browser } from 'playwright-core';
import { artifactsDir, chromiumAvailability, launchChromium, openPage, PageLog } from '../helpers/browser';
import { freePorts, type LaunchedStack, launchStack, REPO, type StackService, waitForReady } from '../stack/launcher';

const PROJECT = `demo-shards-${randomBytes(3).toString('hex')}`;
const INSTANCES = [`${PROJECT}-default-rtdb`, `${PROJECT}-presence-1`, `${PROJECT}-presence-2`];
/** firebase-tools needs 20-40 s to start and load the functions on a busy 2-core machine, vite ~10 s. */
const START_TIMEOUT_MS = 120_000;
const CONVERGE_TIMEOUT_MS = 25_000;
const browserAvailability = chromiumAvailability();

let ports: Record<StackService, number>;
let stack: LaunchedStack | undefined;

beforeAll(async () => {
  ports = await freePorts();
  const portList = Object.entries(ports)
    .map(([service, port]) => `${service}=${port}`)
    .join(',');
  const demo = browserAvailability.available ? [] : ['--no-demo'];
  stack = launchStack([
    '--project',
    PROJECT,
    '--instances',
    '3',
    '--ports',
    portList,
    '--schedule-every',
    '2s',
    ...demo,
  ]);
  await waitForReady(stack, START_TIMEOUT_MS);
}, START_TIMEOUT_MS + 5_000);

afterAll(async () => {
  await stack?.interrupt(20_000);
}, 30_000);

async function owner(method: 'GET' | 'PUT', instance: string, at: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${ports.database}/${at}.json?ns=${instance}`, {
    method,
    headers: { Authorization: 'Bearer owner' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${at} on ${instance}: ${response.status} ${await response.text()}`);
  return (await response.json()) as unknown;
}

/** `/<at>` on every instance: instance → value. */
async function everywhere(at: string): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const instance of INSTANCES) values[instance] = await owner('GET', instance, at);
  return values;
}

/** The value on `uid`'s home instance, after checking that the two others hold nothing for them. */
async function onHomeOnly(uid: string): Promise<Presence | null> {
  const home = shardFor(uid, INSTANCES);
  for (const root of ['presence', 'limits', 'presenceEvents']) {
    const values = await everywhere(`${root}/${uid}`);
    for (const instance of INSTANCES)
      if (instance !== home)
        expect({ instance, root, value: values[instance] }).toEqual({ instance, root, value: null });
  }
  return (await owner('GET', home, `presence/${uid}`)) as Presence | null;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${CONVERGE_TIMEOUT_MS} ms; last ${JSON.stringify(value)}\n${stack?.output ?? ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    value = await read();
  }
  return value;
}

interface Presence {
  count?: number;
  generation?: number;
  devices?: Record<string, { label?: string }>;
  evicted?: Record<string, { reason?: string }>;
}

function entry(at: number, label = 'stack test'): Record<string, unknown> {
  return { claimedAt: at, lastSeen: at, generation: 0, platform: 'web', label };
}

/** A uid the shard map puts on `instance`. */
function uidOn(instance: string, prefix: string): string {
  for (let i = 0; ; i++) {
    const uid = `${prefix}-${randomBytes(3).toString('hex')}-${i}`;
    if (shardFor(uid, INSTANCES) === instance) return uid;
  }
}

it('prints the three instances in the banner', () => {
  const output = stack?.output ?? '';
  expect(output).toContain(`http://127.0.0.1:${ports.database}/?ns=${INSTANCES[0]}`);
  expect(output).toContain(`Instances  ${INSTANCES.join(', ')}`);
  expect(output.match(/Local stack ready/g)).toHaveLength(1);
});

it('loads the rules into every instance', async () => {
  const rules = readFileSync(path.join(REPO, 'database.rules.json'), 'utf8');
  for (const instance of INSTANCES) {
    const installed = await fetch(`http://127.0.0.1:${ports.database}/.settings/rules.json?ns=${instance}`, {
      headers: { Authorization: 'Bearer owner' },
    });
    expect({ instance, rules: await installed.text() }).toEqual({ instance, rules });
    // And they apply: a read without auth is refused (`.read: false` at the root).
    expect((await fetch(`http://127.0.0.1:${ports.database}/presence.json?ns=${instance}`)).status).toBe(401);
  }
});

it(
  'delivers enforceDeviceLimit from every instance, and it writes back to the instance that fired',
  async () => {
    const now = Date.now();
    const uids = INSTANCES.map((instance) => uidOn(instance, 'lowered'));
    for (const [index, uid] of uids.entries()) {
      const instance = INSTANCES[index] as string;
      await owner('PUT', instance, `presence/${uid}`, {
        count: 2,
        lastActive: now,
        devices: { 'device-aaaaaaaa': entry(now - 1_000), 'device-cccccccc': entry(now) },
      });
      await owner('PUT', instance, `limits/${uid}`, 1);
    }
    for (const uid of uids) {
      const enforced = await eventually(
        () => onHomeOnly(uid),
        (presence) => Object.keys(presence?.devices ?? {}).length === 1,
        `the limit enforcement for ${uid}`,
      );
      expect(enforced).toMatchObject({ count: 1, devices: { 'device-aaaaaaaa': {} } });
      expect(enforced?.evicted?.['device-cccccccc']?.reason).toBe('limit-lowered');
    }
  },
  CONVERGE_TIMEOUT_MS * 3 + 5_000,
);

it(
  'the scheduled sweep runs over every instance',
  async () => {
    const quiet = Date.now() - STALE_AFTER_MS - 5 * 60_000;
    const uids = INSTANCES.map((instance) => uidOn(instance, 'stale'));
    for (const [index, uid] of uids.entries()) {
      await owner('PUT', INSTANCES[index] as string, `presence/${uid}`, {
        count: 1,
        lastActive: quiet,
        devices: { 'device-bbbbbbbb': entry(quiet) },
      });
    }
    for (const uid of uids) {
      const swept = await eventually(
        () => onHomeOnly(uid),
        (presence) => presence?.devices === undefined,
        `the sweep of ${uid}`,
      );
      expect(swept?.evicted?.['device-bbbbbbbb']?.reason).toBe('swept');
      expect(swept?.count ?? 0).toBe(0);
    }
  },
  CONVERGE_TIMEOUT_MS * 3 + 5_000,
);

/** A user of the Auth emulator, signed up over its REST API as the client SDK would. */
async function signUp(): Promise<{ uid: string; idToken: string }> {
  const response = await fetch(
    `http://127.0.0.1:${ports.auth}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-api-key`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ returnSecureToken: true }),
    },
  );
  const body = (await response.json()) as { localId: string; idToken: string };
  return { uid: body.localId, idToken: body.idToken };
}

it('the callables in the Functions emulator act on the caller’s instance (PRESENCE_INSTANCES from the .env)', async () => {
  // Auth emulator uids are random: sign up until every instance has a user.
  const callers = new Map<string, { uid: string; idToken: string }>();
  for (let i = 0; i < 60 && callers.size < INSTANCES.length; i++) {
    const user = await signUp();
    callers.set(shardFor(user.uid, INSTANCES), user);
  }
  expect([...callers.keys()].sort()).toEqual([...INSTANCES].sort());
  for (const [instance, { uid, idToken }] of callers) {
    const response = await fetch(`http://127.0.0.1:${ports.functions}/${PROJECT}/us-central1/forceLogin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${idToken}` },
      body: JSON.stringify({ data: { deviceId: 'device-forced1', platform: 'web', label: 'Forced' } }),
    });
    expect({ instance, status: response.status, body: await response.text() }).toMatchObject({ instance, status: 200 });
    expect(await onHomeOnly(uid)).toMatchObject({
      count: 1,
      generation: 1,
      devices: { 'device-forced1': { label: 'Forced' } },
    });
  }
}, 60_000);

describe('the demo app in Chromium', () => {
  if (!browserAvailability.available) {
    if (process.env.CI) {
      it('Chromium is installed (CI must run the browser test)', () => {
        throw new Error(`The browser test cannot run: ${browserAvailability.reason}.`);
      });
    } else {
      it.todo(`the demo with --instances 3 in Chromium: ${browserAvailability.reason}`);
    }
    return;
  }

  let browser: Browser | undefined;
  const log = new PageLog('shards-demo');
  afterAll(async () => {
    log.save(artifactsDir('shards'));
    await browser?.close();
  });

  it('config.json names the three instances, and a new account holds its slot on its own instance', async () => {
    const config = (await (await fetch(`http://127.0.0.1:${ports.demo}/config.json`)).json()) as {
      databaseInstances?: string[];
    };
    expect(config.databaseInstances).toEqual(INSTANCES);

    browser = await launchChromium();
    const context = await browser.newContext();
    const page = await openPage(context, log, `http://127.0.0.1:${ports.demo}/`);
    await page.waitForSelector('#app[data-view="sign-in"]', { timeout: 15_000 });
    await page.getByLabel('Email').fill(`shards-${randomBytes(3).toString('hex')}@example.com`);
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByLabel('Name of this device').fill('Sharded laptop');
    await page.getByRole('button', { name: 'Create account', exact: true }).click();
    await page.waitForSelector('#app[data-session-status="active"]', { timeout: 15_000 });
    // Which user: the one whose entry carries this label, on whichever instance holds it.
    let uid: string | undefined;
    for (const instance of INSTANCES) {
      const users = ((await owner('GET', instance, 'presence')) ?? {}) as Record<string, Presence>;
      uid ??= Object.keys(users).find((id) =>
        Object.values(users[id]?.devices ?? {}).some((device) => device.label === 'Sharded laptop'),
      );
    }
    expect(uid).toBeDefined();
    expect(await onHomeOnly(uid as string)).toMatchObject({ count: 1 });
  }, 60_000);
});

it('Ctrl-C stops everything', async () => {
  const running = stack as LaunchedStack;
  expect(await running.interrupt(30_000)).toBe(0);
  expect(running.output).toContain('stack: stopped');
}, 45_000);
