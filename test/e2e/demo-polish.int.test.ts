/**
 * Issue 12, "Demo polish", in Chromium on the real local stack: what a person sees when a sign-in
 * fails, when a device name is long, when the device limit is lowered under them, and when a device
 * comes back online after it lost its slot. The last one runs the device's database connection through
 * the fault proxy (test/helpers/tcp-proxy.ts): its context gets a config.json naming the proxy.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REJOIN_WINDOW_MS } from '../../client-sdk/src';
import { artifactsDir, chromiumAvailability, launchChromium, screenshot } from '../helpers/browser';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { TcpProxy } from '../helpers/tcp-proxy';
import {
  DemoBrowser,
  deviceIdOf,
  eventually,
  presenceOf,
  presenceUids,
  signIn,
  STATE_TIMEOUT_MS,
  waitForStatus,
  type DemoDevice,
} from './support';

const availability = chromiumAvailability();

describe('demo app in Chromium: messages and layout', () => {
  if (!availability.available) {
    if (process.env.CI) {
      test('Chromium is installed (CI must run the browser end-to-end test)', () => {
        throw new Error(`The browser end-to-end test cannot run: ${availability.reason}.`);
      });
    } else {
      console.warn(`test/e2e skipped: ${availability.reason}.`);
      test.todo(`runs the demo in Chromium when available: ${availability.reason}`);
    }
    return;
  }

  const artifacts = artifactsDir('e2e-demo-polish');
  let stack: TestStack;
  let browser: Browser;
  let demo: DemoBrowser;
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ demo: true });
    browser = await launchChromium();
    demo = new DemoBrowser(browser, stack.demoUrl as string);
  }, 240_000);

  afterAll(async () => {
    await demo?.saveArtifacts(artifacts);
    if (stack) writeFileSync(path.join(artifacts, 'local-stack.log'), stack.output());
    await browser?.close();
    for (const proxy of proxies) await proxy.close();
    await stack?.stop();
  }, 60_000);

  /** A new account on a new device, active; returns the device and the user's uid. */
  async function newAccount(label: string, email: string): Promise<{ device: DemoDevice; uid: string }> {
    const known = new Set(await presenceUids(stack));
    const device = await demo.openDevice(label);
    await signIn(device.pages[0] as Page, email, label, 'Create account');
    await waitForStatus(device.pages[0] as Page, 'active');
    const uid = (await presenceUids(stack)).find((id) => !known.has(id)) as string;
    return { device, uid };
  }

  async function signedIn(label: string, email: string, status: string, timeout = STATE_TIMEOUT_MS): Promise<Page> {
    const device = await demo.openDevice(label);
    const [tab] = device.pages as [Page];
    await signIn(tab, email, label);
    await waitForStatus(tab, status, timeout);
    return tab;
  }

  async function owner(method: 'PUT', at: string, body: unknown): Promise<void> {
    const response = await fetch(`http://${stack.databaseHost}/${at}.json?ns=${stack.namespace}`, {
      method,
      headers: { Authorization: 'Bearer owner' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${at}: ${response.status} ${await response.text()}`);
  }

  /** A device whose database connection runs through a proxy of its own. */
  async function proxiedDevice(label: string): Promise<{ context: BrowserContext; page: Page; link: TcpProxy }> {
    const [host, port] = stack.databaseHost.split(':') as [string, string];
    const link = await TcpProxy.start({ host, port: Number(port) });
    proxies.push(link);
    const served = (await (await fetch(`${stack.demoUrl}config.json`)).json()) as {
      emulators: Record<string, string>;
    };
    const config = { ...served, emulators: { ...served.emulators, database: `127.0.0.1:${link.port}` } };
    const device = await demo.openDevice(label); // opened on the served config; re-routed below
    await device.context.route('**/config.json', (route) =>
      route.fulfill({ contentType: 'application/json', body: JSON.stringify(config) }),
    );
    const page = device.pages[0] as Page;
    await page.reload();
    return { context: device.context, page, link };
  }

  test('a wrong password says so in words, and the notice of the last session is gone', async () => {
    const email = `wrong-${Date.now()}@example.com`;
    const { device } = await newAccount('Laptop', email);
    const [tab] = device.pages as [Page];
    await tab.getByRole('button', { name: 'Sign out', exact: true }).click();
    await tab.waitForSelector('#notice[data-notice="signed-out"]', { timeout: STATE_TIMEOUT_MS });

    await signIn(tab, email, 'Laptop', 'Sign in', 'not-the-password');
    const error = tab.locator('#sign-in-error');
    await error.waitFor({ state: 'visible', timeout: STATE_TIMEOUT_MS });
    expect(await error.textContent()).toBe('The email or password is not right. Check them and try again.');
    expect(await tab.locator('#notice').isHidden()).toBe(true);
    expect(await tab.locator('#app').innerText()).not.toContain('Firebase');
    await screenshot(tab, artifacts, 'wrong-password');
    await device.context.close();
  });

  test('a 64-character device name without a space stays inside its card', async () => {
    const label = 'W'.repeat(64);
    const { device } = await newAccount(label, `long-${Date.now()}@example.com`);
    const [tab] = device.pages as [Page];
    await tab.waitForSelector('#devices .device', { timeout: STATE_TIMEOUT_MS });
    // A string: the test compiles without the DOM types, the page evaluates it.
    const layout = (await tab.evaluate(`(() => {
      const card = document.querySelector('#devices .device');
      const name = card.querySelector('.device-label');
      const list = document.querySelector('#devices');
      const right = (element) => element.getBoundingClientRect().right;
      return {
        label: name.textContent,
        nameInCard: right(name) <= right(card) + 0.5,
        cardInList: right(card) <= right(list) + 0.5,
        pageScrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth,
      };
    })()`)) as Record<string, unknown>;
    expect(layout).toEqual({ label, nameInCard: true, cardInList: true, pageScrolls: false });
    await screenshot(tab, artifacts, 'long-label');
    await device.context.close();
  });

  test('a lowered limit evicts without signing out, and the device can claim again', async () => {
    const email = `lowered-${Date.now()}@example.com`;
    const { device: first, uid } = await newAccount('Desk', email);
    const second = await signedIn('Tablet', email, 'active');

    // An admin lowers the limit (the enforceDeviceLimit trigger evicts the newest, `limit-lowered`).
    await owner('PUT', `limits/${uid}`, 1);
    await waitForStatus(second, 'evicted', 30_000);
    expect(await second.locator('#app').getAttribute('data-view')).toBe('session'); // still signed in
    await second.getByText('Your device limit was lowered').first().waitFor({ timeout: STATE_TIMEOUT_MS });
    const claim = second.getByRole('button', { name: 'Use this device' });
    expect(await claim.isVisible()).toBe(true);
    await screenshot(second, artifacts, 'limit-lowered');

    await owner('PUT', `limits/${uid}`, 2);
    await claim.click();
    await waitForStatus(second, 'active');
    await waitForStatus(first.pages[0] as Page, 'active');
    await first.context.close();
    await second.context().close();
  }, 90_000);

  test('back online after it was swept, the device says it was signed out while offline', async () => {
    const email = `offline-${Date.now()}@example.com`;
    const { uid } = await newAccount('Phone', email);
    const laptop = await proxiedDevice('Laptop');
    await signIn(laptop.page, email, 'Laptop');
    await waitForStatus(laptop.page, 'active');
    const laptopId = deviceIdOf(await presenceOf(stack, uid), 'Laptop') as string;

    // The laptop's network drops without the server noticing (a half-open connection): it shows
    // offline, and cannot answer when the tablet needs a slot.
    laptop.link.refuse();
    laptop.link.halfOpen();
    await waitForStatus(laptop.page, 'offline');
    // The tablet is active once its liveness check (10 s) swept the silent laptop.
    const tablet = await signedIn('Tablet', email, 'active', REJOIN_WINDOW_MS + STATE_TIMEOUT_MS);
    expect((await presenceOf(stack, uid)).evicted?.[laptopId]?.reason).toBe('swept');

    laptop.link.allow();
    await waitForStatus(laptop.page, 'evicted', 30_000);
    const notice = laptop.page.locator('#notice');
    await notice.waitFor({ state: 'visible', timeout: STATE_TIMEOUT_MS });
    expect(await notice.innerText()).toContain('This device was signed out while offline (swept)');
    await screenshot(laptop.page, artifacts, 'swept-while-offline');
    laptop.link.endStale();
    await tablet.context().close();
    await laptop.context.close();
  }, 90_000);

  test('back online after its freed slot was taken, the device says why it is at the limit', async () => {
    const email = `taken-${Date.now()}@example.com`;
    const { uid } = await newAccount('Phone', email);
    const laptop = await proxiedDevice('Laptop');
    await signIn(laptop.page, email, 'Laptop');
    await waitForStatus(laptop.page, 'active');
    const tablet = await signedIn('Tablet', email, 'limit-reached');

    // The laptop drops cleanly: the server releases its slot, keeps it for the rejoin window, and the
    // waiting tablet takes it after that.
    laptop.link.refuse();
    laptop.link.cut();
    await waitForStatus(laptop.page, 'offline');
    await waitForStatus(tablet, 'active', REJOIN_WINDOW_MS + STATE_TIMEOUT_MS);
    await eventually(async () => (await presenceOf(stack, uid)).count === 2, 'the tablet in the freed slot');

    laptop.link.allow();
    await waitForStatus(laptop.page, 'limit-reached', 30_000);
    const notice = laptop.page.locator('#notice');
    await notice.waitFor({ state: 'visible', timeout: STATE_TIMEOUT_MS });
    expect(await notice.innerText()).toContain('This device lost its slot while it was offline');
    await screenshot(laptop.page, artifacts, 'slot-taken-while-offline');
    await tablet.context().close();
    await laptop.context.close();
  }, 90_000);
});
