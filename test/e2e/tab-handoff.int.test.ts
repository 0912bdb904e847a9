/**
 * Issue 12, the tab handoff, in Chromium on the real local stack: device A (a browser context) has two
 * tabs of the demo, device B is active, device C waits at "limit reached" (limit 2). The tab of A that
 * holds the slot closes: its socket's onDisconnect release frees the slot, and before the fix C's
 * claim took it before A's other tab could. Now the release leaves the rejoin reservation
 * (docs/protocol.md §4.11): for REJOIN_WINDOW_MS only A may take that slot back, and A's remaining tab,
 * elected with Web Locks, claims it at once (client-sdk/README.md, "Tabs").
 *
 * The scenario runs HANDOFFS times in one run, each time closing the tab that holds A's slot and
 * opening a new one; every round must end with A's remaining tab active on the same deviceId (never a
 * second slot), B active, C at the limit, and C must never have claimed (the audit trail records every
 * claim in the same write, §6). Then the same without a device waiting.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PRESENCE_EVENTS_MAX } from '@device-limit/contract';
import { artifactsDir, chromiumAvailability, launchChromium, screenshot } from '../helpers/browser';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import {
  auditTrail,
  DemoBrowser,
  deviceIdOf,
  eventually,
  labelsOf,
  presenceOf,
  presenceUids,
  shown,
  signIn,
  waitForStatus,
  type DemoDevice,
} from './support';

/** Issue 12, "Done when": the scenario passes 20 of 20 runs. */
const HANDOFFS = Number(process.env.TAB_HANDOFFS ?? 20);
const availability = chromiumAvailability();

describe('tab handoff in Chromium: a browser keeps its slot when the tab that holds it closes', () => {
  if (!availability.available) {
    if (process.env.CI) {
      test('Chromium is installed (CI must run the browser end-to-end test)', () => {
        throw new Error(`The browser end-to-end test cannot run: ${availability.reason}.`);
      });
    } else {
      console.warn(`test/e2e skipped: ${availability.reason}.`);
      test.todo(`runs the tab handoff in Chromium when available: ${availability.reason}`);
    }
    return;
  }

  const artifacts = artifactsDir('e2e-tab-handoff');
  let stack: TestStack;
  let browser: Browser;
  let demo: DemoBrowser;

  beforeAll(async () => {
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

  /** A device of `email` signed in on its first tab, at `status`. */
  async function signedIn(email: string, label: string, status: string, create = false): Promise<DemoDevice> {
    const device = await demo.openDevice(label);
    const [tab] = device.pages as [Page];
    await signIn(tab, email, label, create ? 'Create account' : 'Sign in');
    await waitForStatus(tab, status);
    return device;
  }

  /** A new tab of `device`: signed in already (Auth persists per browser), it mirrors the leading tab. */
  async function secondTab(device: DemoDevice): Promise<Page> {
    const tab = await demo.openTab(device);
    await waitForStatus(tab, 'active');
    return tab;
  }

  /**
   * Closes the tab that holds `device`'s slot (its oldest: Web Locks grant the lock in request order),
   * waits until the server has run that tab's onDisconnect release (its `released` event, reason
   * `disconnected`), then until the browser's entry is back with a `lastSeen` after that release
   * (claimed back by the new leading tab), and the remaining tab shows it active.
   */
  async function closeHoldingTab(device: DemoDevice, uid: string, deviceId: string): Promise<Page> {
    const holding = device.pages.shift() as Page;
    const closedAt = Date.now();
    await holding.close();
    const remaining = device.pages[0] as Page;
    let releasedAt = 0;
    try {
      await eventually(async () => {
        const release = (await auditTrail(stack, uid)).find(
          (event) =>
            event.type === 'released' &&
            event.reason === 'disconnected' &&
            event.deviceId === deviceId &&
            event.at >= closedAt,
        );
        releasedAt = release?.at ?? 0;
        return release !== undefined;
      }, `the release of ${device.label}'s closed tab`);
      await eventually(
        async () => ((await presenceOf(stack, uid)).devices?.[deviceId]?.lastSeen ?? 0) >= releasedAt,
        `${device.label}'s remaining tab to hold the slot again`,
      );
    } catch (error) {
      throw new Error(`${String(error)}; the remaining tab shows ${await shown(remaining)}`, { cause: error });
    }
    await waitForStatus(remaining, 'active');
    return remaining;
  }

  test(
    `with a device waiting at the limit, ${HANDOFFS} handoffs in a row`,
    async () => {
      const email = `ada-${Date.now()}@example.com`;
      const known = new Set(await presenceUids(stack));
      const laptop = await signedIn(email, 'Laptop', 'active', true);
      const uid = (await presenceUids(stack)).find((id) => !known.has(id)) as string;
      expect(uid).toBeDefined();
      const phone = await signedIn(email, 'Phone', 'active');
      const tablet = await signedIn(email, 'Tablet', 'limit-reached');
      const start = await presenceOf(stack, uid);
      expect(labelsOf(start)).toEqual(['Laptop', 'Phone']);
      const laptopId = deviceIdOf(start, 'Laptop') as string;
      const phoneId = deviceIdOf(start, 'Phone') as string;
      const [phoneTab] = phone.pages as [Page];
      const [tabletTab] = tablet.pages as [Page];

      const results: string[] = [];
      for (let round = 1; round <= HANDOFFS; round++) {
        await secondTab(laptop);
        const remaining = await closeHoldingTab(laptop, uid, laptopId);

        const presence = await presenceOf(stack, uid);
        expect({ round, labels: labelsOf(presence), count: presence.count }).toEqual({
          round,
          labels: ['Laptop', 'Phone'],
          count: 2,
        });
        expect({ round, laptop: deviceIdOf(presence, 'Laptop') }).toEqual({ round, laptop: laptopId });
        await waitForStatus(tabletTab, 'limit-reached');
        await waitForStatus(phoneTab, 'active');
        await waitForStatus(remaining, 'active');
        results.push(`round ${round}: ok`);
      }

      // Every claim of the run was the laptop's or the phone's: the tablet never took a slot, and the
      // laptop never took a second one.
      const trail = await auditTrail(stack, uid);
      expect(trail.length).toBeLessThan(PRESENCE_EVENTS_MAX); // none trimmed yet: the trail is complete
      const claims = trail.filter((event) => event.type === 'claimed');
      expect([...new Set(claims.map((event) => event.deviceId))].sort()).toEqual([laptopId, phoneId].sort());
      // …although it did try: each freed slot made the waiting demo claim (demo/src/main.ts
      // claimIfSlotFreed), and each of those claims settled at the limit with a `denied` event.
      const tries = trail.filter((event) => event.type === 'denied' && ![laptopId, phoneId].includes(event.deviceId));
      results.push(`the waiting tablet tried to claim ${tries.length} times and never got a slot`);
      writeFileSync(path.join(artifacts, 'handoff-rounds.txt'), `${results.join('\n')}\n`);
      expect(tries.length).toBeGreaterThanOrEqual(HANDOFFS / 2);
      await screenshot(laptop.pages[0] as Page, artifacts, 'laptop-remaining-tab-active');
      await screenshot(tabletTab, artifacts, 'tablet-still-at-limit');

      for (const device of [laptop, phone, tablet]) await device.context.close();
    },
    60_000 + HANDOFFS * 30_000,
  );

  test('without a device waiting, the remaining tab keeps the one slot', async () => {
    const email = `bob-${Date.now()}@example.com`;
    const known = new Set(await presenceUids(stack));
    const laptop = await signedIn(email, 'Desktop', 'active', true);
    const uid = (await presenceUids(stack)).find((id) => !known.has(id)) as string;
    const deviceId = deviceIdOf(await presenceOf(stack, uid), 'Desktop') as string;

    for (let round = 1; round <= 3; round++) {
      await secondTab(laptop);
      await closeHoldingTab(laptop, uid, deviceId);
      const presence = await presenceOf(stack, uid);
      expect({ round, count: presence.count, ids: Object.keys(presence.devices ?? {}) }).toEqual({
        round,
        count: 1,
        ids: [deviceId],
      });
    }

    // The last tab closing gives the slot back (its release, kept for it during the rejoin window).
    await (laptop.pages[0] as Page).close();
    await eventually(async () => ((await presenceOf(stack, uid)).count ?? 0) === 0, 'the slot given back');
    expect((await presenceOf(stack, uid)).rejoin?.deviceId).toBe(deviceId);
    await laptop.context.close();
  }, 120_000);
});
