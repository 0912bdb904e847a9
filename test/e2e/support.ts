/**
 * The demo app in headless Chromium on the real local stack (test/helpers/local-stack.ts): a browser
 * context is a device (its own localStorage, so its own deviceId, and its own Auth session), a page
 * is a tab. Finds the page's parts the way a person does (labels, roles, visible text), and reads
 * what the page shows from the attributes the demo sets for that purpose (`data-view`,
 * `data-session-status`, `data-notice`; demo/src/view.ts).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openPage, PageLog, screenshot } from '../helpers/browser';
import { ownerGet, type TestStack } from '../helpers/local-stack';

/** Bound for every wait on the page: a claim is a few round trips to local emulators. */
export const STATE_TIMEOUT_MS = 15_000;
export const PASSWORD = 'correct-horse-battery';

export interface DemoDevice {
  readonly label: string;
  readonly context: BrowserContext;
  /** Its tabs, oldest first. */
  readonly pages: Page[];
}

export interface PresenceJson {
  count?: number;
  rejoin?: { deviceId: string; at: number };
  devices?: Record<string, { label: string; platform: string; lastSeen: number; claimedAt: number }>;
  evicted?: Record<string, { reason: string; at: number }>;
}

export interface AuditEventJson {
  type: string;
  deviceId: string;
  at: number;
  reason?: string;
}

/** Opens devices and tabs on the demo, keeping their logs for the artifacts folder. */
export class DemoBrowser {
  readonly logs: PageLog[] = [];
  readonly pageNames = new Map<Page, string>();

  constructor(
    readonly browser: Browser,
    readonly url: string,
  ) {}

  async openDevice(label: string): Promise<DemoDevice> {
    const context = await this.browser.newContext({ viewport: { width: 720, height: 760 } });
    const device: DemoDevice = { label, context, pages: [] };
    await this.openTab(device);
    return device;
  }

  async openTab(device: DemoDevice): Promise<Page> {
    const log = new PageLog(
      `${device.label.toLowerCase()}-tab${this.logs.filter((l) => l.name.startsWith(device.label.toLowerCase())).length + 1}`,
    );
    this.logs.push(log);
    const page = await openPage(device.context, log, this.url);
    device.pages.push(page);
    this.pageNames.set(page, log.name);
    return page;
  }

  /** Saves every page log, and a screenshot of every page still open (after a failure, look here first). */
  async saveArtifacts(dir: string): Promise<void> {
    for (const log of this.logs) log.save(dir);
    for (const [page, name] of this.pageNames) {
      if (!page.isClosed()) await screenshot(page, dir, `final-${name}`).catch(() => undefined);
    }
  }
}

/** Fills the sign-in form as a person would, finding the fields by their labels. */
export async function signIn(
  page: Page,
  email: string,
  label: string,
  mode: 'Sign in' | 'Create account' = 'Sign in',
  password = PASSWORD,
): Promise<void> {
  await page.waitForSelector('#app[data-view="sign-in"]', { timeout: STATE_TIMEOUT_MS });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Name of this device').fill(label);
  await page.getByRole('button', { name: mode, exact: true }).click();
}

export async function waitForStatus(page: Page, status: string, timeout = STATE_TIMEOUT_MS): Promise<void> {
  try {
    await page.waitForSelector(`#app[data-session-status="${status}"]`, { timeout });
  } catch (error) {
    throw new Error(`${page.url()} did not reach "${status}" within ${timeout} ms; it shows ${await shown(page)}`, {
      cause: error,
    });
  }
}

/** What the page shows, in one line, for failure messages. */
export async function shown(page: Page): Promise<string> {
  const app = page.locator('#app');
  return `view=${await app.getAttribute('data-view')} status=${await app.getAttribute(
    'data-session-status',
  )}: ${(await app.innerText()).replace(/\s+/g, ' ')}`;
}

/** The device list on `page` shows `count` devices (the database pushes changes to every device). */
export async function waitForDeviceCount(page: Page, count: number): Promise<void> {
  await page.waitForFunction(`document.querySelectorAll('#devices .device').length === ${count}`, undefined, {
    timeout: STATE_TIMEOUT_MS,
  });
}

export async function listedLabels(page: Page): Promise<string[]> {
  return (await page.locator('#devices .device-label').allTextContents()).sort();
}

export async function expectVisibleText(page: Page, text: string): Promise<void> {
  await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout: STATE_TIMEOUT_MS });
}

/** The uids that have a presence node on the stack. */
export async function presenceUids(stack: TestStack): Promise<string[]> {
  return Object.keys(((await ownerGet(stack.namespace, 'presence')) ?? {}) as Record<string, unknown>);
}

/** The uid of the only user of a fresh stack (the one the test signed up). */
export async function onlyUid(stack: TestStack): Promise<string> {
  return (await presenceUids(stack))[0] ?? '';
}

export async function presenceOf(stack: TestStack, uid: string): Promise<PresenceJson> {
  return ((await ownerGet(stack.namespace, `presence/${uid}`)) ?? {}) as PresenceJson;
}

export async function auditTrail(stack: TestStack, uid: string): Promise<AuditEventJson[]> {
  const events = ((await ownerGet(stack.namespace, `presenceEvents/${uid}`)) ?? {}) as Record<string, AuditEventJson>;
  return Object.keys(events)
    .sort()
    .map((key) => events[key] as AuditEventJson);
}

export function labelsOf(presence: PresenceJson): string[] {
  return Object.values(presence.devices ?? {})
    .map((entry) => entry.label)
    .sort();
}

/** The deviceId whose entry carries `label`. */
export function deviceIdOf(presence: PresenceJson, label: string): string | undefined {
  return Object.entries(presence.devices ?? {}).find(([, entry]) => entry.label === label)?.[0];
}

/** Polls `condition` every 100 ms, for at most `timeoutMs`. */
export async function eventually(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = STATE_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls the database (as the owner) until the device entries carry exactly `labels`. */
export async function eventuallyHeldBy(
  stack: TestStack,
  uid: string,
  labels: readonly string[],
  timeoutMs = STATE_TIMEOUT_MS,
): Promise<PresenceJson> {
  let seen: PresenceJson = {};
  try {
    await eventually(
      async () => {
        seen = await presenceOf(stack, uid);
        return JSON.stringify(labelsOf(seen)) === JSON.stringify([...labels].sort()) && seen.count === labels.length;
      },
      `slots held by ${JSON.stringify(labels)}`,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`slots held by ${JSON.stringify(labelsOf(seen))}, expected ${JSON.stringify(labels)}`, {
      cause: error,
    });
  }
  return seen;
}
