/**
 * The real browser SDK (firebase's own ES module build, served locally) in Chromium, started on long polling as a
 * browser does after a failed WebSocket (`previous_websocket_failure` in localStorage, docs/wire-protocol.md §1.4): it
 * must connect, work, and upgrade to WebSocket (docs/wire-protocol.md §14.2); with WebSocket unavailable it must keep
 * working on long polling alone, across held polls.
 *
 * Needs Debian's chromium (test/helpers/browser.ts); without it the suite says why, and fails under CI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumAvailability, launchChromium } from '../helpers/browser';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { rest } from '../helpers/sdk';

/** The page's globals, as the test's functions see them inside the browser. */
interface PageGlobals {
  values: unknown[];
  transports: string[];
  write?: (value: unknown) => Promise<void>;
}
const FIREBASE_DIR = path.dirname(require.resolve('firebase/package.json'));
const availability = chromiumAvailability();

/** Serves the page and firebase's browser modules, with their gstatic imports pointed back here. */
function pageServer(page: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(page);
      return;
    }
    const file = path.join(FIREBASE_DIR, path.basename(request.url ?? ''));
    if (!/^\/firebase-(app|database)\.js$/.test(request.url ?? '') || !existsSync(file)) {
      response.writeHead(404);
      response.end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/javascript' });
    response.end(readFileSync(file, 'utf8').replace(/https:\/\/www\.gstatic\.com\/firebasejs\/[\d.]+\//g, '/'));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function appPage(ns: string, disableWebSocket: boolean): string {
  const { host, port } = emulatorAddress();
  return `<html><body><script type="module">
    localStorage.setItem('firebase:previous_websocket_failure', 'true');
    ${disableWebSocket ? 'window.WebSocket = undefined;' : ''}
    const { initializeApp } = await import('/firebase-app.js');
    const db = await import('/firebase-database.js');
    window.transports = [];
    db.enableLogging((line) => { if (/long-poll|Websocket connecting|promoting/.test(line)) window.transports.push(line); });
    const app = initializeApp({ projectId: 'demo-browser', databaseURL: 'http://${host}:${port}?ns=${ns}' });
    const database = db.getDatabase(app);
    db.connectDatabaseEmulator(database, '${host}', ${port});
    window.values = [];
    db.onValue(db.ref(database, 'browser/x'), (s) => window.values.push(s.val()));
    window.write = (v) => db.set(db.ref(database, 'browser/x'), v);
  </script></body></html>`;
}

describe('browser SDK on long polling', () => {
  if (!availability.available) {
    // CI must run it (.ci/run installs chromium); elsewhere it is a todo that says why, not a silent pass.
    if (process.env.CI) {
      test('Chromium is installed (CI must run the browser tests)', () => {
        throw new Error(`The browser long-polling test cannot run: ${availability.reason}.`);
      });
    } else {
      test.todo(`runs in Chromium when available: ${availability.reason}`);
    }
    return;
  }
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  test.each([
    ['starts on long polling and upgrades to WebSocket', false],
    ['works on long polling alone when WebSocket is unavailable', true],
  ])(
    '%s',
    async (_name, disableWebSocket) => {
      const ns = freshNamespace('demo-browser');
      const server = await pageServer(appPage(ns, disableWebSocket));
      const page = await browser.newPage();
      try {
        await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        // Functions passed to the page run in the browser: they may only use what they are given.
        await page.waitForFunction(() => typeof (globalThis as unknown as PageGlobals).write === 'function');
        for (let i = 1; i <= 5; i++)
          await page.evaluate((v: number) => (globalThis as unknown as PageGlobals).write?.(v), i);
        await page.waitForFunction(() => (globalThis as unknown as PageGlobals).values.includes(5), null, {
          timeout: 15_000,
        });
        await rest('PUT', 'browser/x', ns, { body: 'from rest' });
        await page.waitForFunction(() => (globalThis as unknown as PageGlobals).values.includes('from rest'), null, {
          timeout: 15_000,
        });
        const transports = await page.evaluate(() => (globalThis as unknown as PageGlobals).transports.join('\n'));
        expect(transports).toMatch(/Connecting via long-poll/);
        if (disableWebSocket) expect(transports).not.toMatch(/promoting/);
        else {
          const promoted = () =>
            (globalThis as unknown as PageGlobals).transports.some((line) => /promoting/.test(line));
          await page.waitForFunction(promoted, null, { timeout: 20_000 });
        }
      } finally {
        await page.close();
        server.close();
      }
    },
    60_000,
  );
});
