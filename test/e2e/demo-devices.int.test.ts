/**
 * Issue 7, "Done when": the demo app (demo/) in a real browser. Three browser contexts are three
 * devices of one user (each context has its own localStorage, so its own deviceId, and its own Auth
 * session); the default limit is 2 (docs/protocol.md §2). The tests run in order on the same devices:
 * two become active, the third sees the limit with the device list, force login from the third signs
 * the first two out within 2 s, closing a browser frees its slot, and the tabs of one browser share
 * one slot. It runs on the local stack `npm start` runs (test/helpers/local-stack.ts), which serves
 * the demo. Screenshots and page logs go to test-artifacts/e2e/.
 *
 * Needs /usr/bin/chromium (Debian's package; `.ci/run` installs it). Without it the suite is reported
 * as a todo with the reason — except in CI (env CI set), where that is a failure.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REJOIN_WINDOW_MS } from '../../client-sdk/src';
import { artifactsDir, chromiumAvailability, launchChromium, screenshot } from '../helpers/browser';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import {
  DemoBrowser,
  eventually,
  eventuallyHeldBy as heldBy,
  expectVisibleText,
  listedLabels,
  onlyUid,
  presenceOf,
  signIn as signInAs,
  STATE_TIMEOUT_MS,
  waitForDeviceCount,
  waitForStatus,
  type DemoDevice as Device,
  type PresenceJson,
} from './support';

const availability = chromiumAvailability();
/** Issue 7: "force login from the third shows the first two as signed out within 2 s". */
const FORCE_LOGIN_VISIBLE_WITHIN_MS = 2_000;

const EMAIL = 'ada@example.com';

describe('demo app in Chromium: three devices of one user, limit 2', () => {
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

  const artifacts = artifactsDir('e2e');
  let stack: TestStack;
  let browser: Browser;
  let demo: DemoBrowser;
  let uid = '';
  const devices: Record<'laptop' | 'phone' | 'tablet', Device | null> = { laptop: null, phone: null, tablet: null };

  beforeAll(async () => {
    // The local stack `npm start` runs, with the demo it serves (test/helpers/local-stack.ts).
    stack = await startTestStack({ demo: true });
    browser = await launchChromium();
    demo = new DemoBrowser(browser, stack.demoUrl as string);
  }, 240_000);

  afterAll(async () => {
    await demo?.saveArtifacts(artifacts);
    if (stack) writeFileSync(path.join(artifacts, 'local-stack.log'), stack.output());
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  const openDevice = (label: string) => demo.openDevice(label);
  const openTab = (device: Device) => demo.openTab(device);

  function need(device: Device | null): Device {
    if (!device) throw new Error('an earlier step did not open this device');
    return device;
  }

  const signIn = (page: Page, label: string, mode: 'Sign in' | 'Create account' = 'Sign in') =>
    signInAs(page, EMAIL, label, mode);

  const presence = (): Promise<PresenceJson> => presenceOf(stack, uid);

  async function presenceLabels(): Promise<string[]> {
    return Object.values((await presence()).devices ?? {})
      .map((entry) => entry.label)
      .sort();
  }

  const eventuallyHeldBy = (labels: string[], timeoutMs = STATE_TIMEOUT_MS) => heldBy(stack, uid, labels, timeoutMs);

  test('two devices become active; two tabs of one browser share one slot', async () => {
    const laptop = (devices.laptop = await openDevice('Laptop'));
    const [laptopTab1] = laptop.pages as [Page];
    await signIn(laptopTab1, 'Laptop', 'Create account');
    await waitForStatus(laptopTab1, 'active');
    uid = await onlyUid(stack);
    expect(uid).not.toBe('');

    // A second tab of the same browser: signed in already (Auth persists per browser), it mirrors
    // the tab that holds the slot instead of claiming another one.
    const laptopTab2 = await openTab(laptop);
    await waitForStatus(laptopTab2, 'active');

    const phone = (devices.phone = await openDevice('Phone'));
    const [phoneTab] = phone.pages as [Page];
    await signIn(phoneTab, 'Phone');
    await waitForStatus(phoneTab, 'active');

    await eventuallyHeldBy(['Laptop', 'Phone']);
    for (const page of [laptopTab1, laptopTab2, phoneTab]) {
      await waitForDeviceCount(page, 2);
      expect(await listedLabels(page)).toEqual(['Laptop', 'Phone']);
    }
    expect(await laptopTab2.locator('.device[data-current="true"] .device-label').textContent()).toBe('Laptop');
    expect(await phoneTab.locator('.device[data-current="true"] .device-label').textContent()).toBe('Phone');
    await expectVisibleText(phoneTab, 'This device is signed in');
    await expectVisibleText(phoneTab, 'You are using 2 of 2 device slots.');

    await screenshot(laptopTab1, artifacts, '01-laptop-active');
    await screenshot(laptopTab2, artifacts, '01-laptop-second-tab-active');
    await screenshot(phoneTab, artifacts, '01-phone-active');
  }, 60_000);

  test('the third device shows limit reached with the device list', async () => {
    const tablet = (devices.tablet = await openDevice('Tablet'));
    const [tabletTab] = tablet.pages as [Page];
    await signIn(tabletTab, 'Tablet');
    await waitForStatus(tabletTab, 'limit-reached');

    await expectVisibleText(tabletTab, 'Device limit reached');
    await expectVisibleText(tabletTab, 'your account allows 2');
    expect(await listedLabels(tabletTab)).toEqual(['Laptop', 'Phone']);
    for (const name of ['Laptop', 'Phone']) {
      expect(await tabletTab.getByRole('button', { name: `Sign out ${name}` }).isVisible()).toBe(true);
    }
    expect(await tabletTab.getByRole('button', { name: 'Sign out all other devices' }).isVisible()).toBe(true);
    expect(await presenceLabels()).toEqual(['Laptop', 'Phone']);
    expect((await presence()).count).toBe(2);

    await screenshot(tabletTab, artifacts, '02-tablet-limit-reached');
  }, 60_000);

  test('force login from the third device signs the first two out within 2 s', async () => {
    const laptop = need(devices.laptop);
    const phone = need(devices.phone);
    const [tabletTab] = need(devices.tablet).pages as [Page];
    const signedOut = [...laptop.pages, ...phone.pages];

    const started = Date.now();
    const seen = signedOut.map((page) =>
      page
        .waitForSelector('#notice[data-notice="evicted-force-login"]', {
          timeout: FORCE_LOGIN_VISIBLE_WITHIN_MS + 1_000,
        })
        .then(() => Date.now() - started),
    );
    await tabletTab.getByRole('button', { name: 'Sign out all other devices' }).click();
    const elapsed = await Promise.all(seen);
    for (const ms of elapsed) expect(ms).toBeLessThan(FORCE_LOGIN_VISIBLE_WITHIN_MS);

    for (const page of signedOut) {
      await page.waitForSelector('#app[data-view="sign-in"]', { timeout: STATE_TIMEOUT_MS });
      await expectVisibleText(page, 'This device was signed out');
    }
    await waitForStatus(tabletTab, 'active');
    await waitForDeviceCount(tabletTab, 1);
    expect(await listedLabels(tabletTab)).toEqual(['Tablet']);
    await eventuallyHeldBy(['Tablet']);

    await screenshot(laptop.pages[0] as Page, artifacts, '03-laptop-signed-out-by-force-login');
    await screenshot(phone.pages[0] as Page, artifacts, '03-phone-signed-out-by-force-login');
    await screenshot(tabletTab, artifacts, '03-tablet-active-after-force-login');
  }, 60_000);

  test('closing a browser frees its slot', async () => {
    const laptop = need(devices.laptop);
    const phone = need(devices.phone);
    const [tabletTab] = need(devices.tablet).pages as [Page];
    const [phoneTab] = phone.pages as [Page];
    const [laptopTab1, laptopTab2] = laptop.pages as [Page, Page];

    await signIn(phoneTab, 'Phone');
    await waitForStatus(phoneTab, 'active');
    await eventuallyHeldBy(['Phone', 'Tablet']);

    await signIn(laptopTab1, 'Laptop');
    await waitForStatus(laptopTab1, 'limit-reached');
    await waitForStatus(laptopTab2, 'limit-reached');
    await screenshot(laptopTab1, artifacts, '04-laptop-limit-reached-again');

    // The phone's browser goes away without signing out: its socket closes, and the server runs the
    // onDisconnect release the client registered (docs/protocol.md §4.6). The slot stays the phone's
    // for the rejoin window (docs/protocol.md §4.11: it could have been one tab of several), then the laptop, waiting
    // at the limit, takes it.
    devices.phone = null;
    await phone.context.close();
    const afterRejoin = REJOIN_WINDOW_MS + STATE_TIMEOUT_MS;
    await eventuallyHeldBy(['Laptop', 'Tablet'], afterRejoin);
    await waitForStatus(laptopTab1, 'active', afterRejoin);
    await waitForStatus(laptopTab2, 'active');
    await waitForDeviceCount(tabletTab, 2);
    expect(await listedLabels(tabletTab)).toEqual(['Laptop', 'Tablet']);

    await screenshot(laptopTab1, artifacts, '04-laptop-active-after-phone-closed');
    await screenshot(tabletTab, artifacts, '04-tablet-sees-phone-gone');
  }, 90_000);

  test('when the tab holding the slot closes, another tab of the browser keeps the one slot', async () => {
    const laptop = need(devices.laptop);
    const [laptopTab1, laptopTab2] = laptop.pages as [Page, Page];
    const [tabletTab] = need(devices.tablet).pages as [Page];
    const before = Object.keys((await presence()).devices ?? {}).sort();

    // Closing the tab closes its socket, and the server's onDisconnect gives the slot back; the
    // remaining tab is elected (Web Locks) and holds the slot again: it claims or resumes, and either
    // writes a fresh `lastSeen` (docs/protocol.md §4.2, §4.3).
    const closedAt = Date.now();
    await laptopTab1.close();
    laptop.pages.splice(0, 1);
    await eventually(async () => {
      const entries = Object.values((await presence()).devices ?? {});
      return entries.some((entry) => entry.label === 'Laptop' && entry.lastSeen >= closedAt);
    }, 'the remaining tab to hold the slot again');
    await waitForStatus(laptopTab2, 'active');
    await eventuallyHeldBy(['Laptop', 'Tablet']);
    // The same install: the same deviceId holds the slot, not a second one.
    expect(Object.keys((await presence()).devices ?? {}).sort()).toEqual(before);
    await waitForDeviceCount(tabletTab, 2);

    await screenshot(laptopTab2, artifacts, '05-laptop-remaining-tab-active');
  }, 60_000);

  test('signing out one device from the list signs it out there', async () => {
    const [laptopTab] = need(devices.laptop).pages as [Page];
    const [tabletTab] = need(devices.tablet).pages as [Page];

    await tabletTab.getByRole('button', { name: 'Sign out Laptop' }).click();
    await laptopTab.waitForSelector('#notice[data-notice="evicted-signed-out-remotely"]', {
      timeout: STATE_TIMEOUT_MS,
    });
    await expectVisibleText(laptopTab, 'It was signed out from another of your devices.');
    await waitForDeviceCount(tabletTab, 1);
    await eventuallyHeldBy(['Tablet']);

    await screenshot(laptopTab, artifacts, '06-laptop-signed-out-remotely');
  }, 60_000);

  test('signing out gives the slot back', async () => {
    const [tabletTab] = need(devices.tablet).pages as [Page];

    await tabletTab.getByRole('button', { name: 'Sign out', exact: true }).click();
    await tabletTab.waitForSelector('#notice[data-notice="signed-out"]', { timeout: STATE_TIMEOUT_MS });
    await eventuallyHeldBy([]);

    await screenshot(tabletTab, artifacts, '07-tablet-signed-out');
  }, 60_000);
});
