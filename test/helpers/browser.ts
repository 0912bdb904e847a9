/**
 * A real browser for the end-to-end tests: Debian's `chromium` driven by playwright-core (playwright's
 * own browser download does not work here; `.ci/run` installs chromium with apt). Also a static file
 * server for built web apps and the artifacts (screenshots, page logs) written to test-artifacts/.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Where Debian's package puts it; CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags that work in containers without a display or a user namespace sandbox. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export type BrowserAvailability = { readonly available: true } | { readonly available: false; readonly reason: string };

export function chromiumAvailability(): BrowserAvailability {
  if (!existsSync(CHROMIUM_PATH)) {
    return {
      available: false,
      reason: `${CHROMIUM_PATH} is missing (install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH)`,
    };
  }
  try {
    require.resolve('playwright-core');
  } catch {
    return { available: false, reason: 'playwright-core is not installed (run `npm install`)' };
  }
  return { available: true };
}

export async function launchChromium(): Promise<Browser> {
  // Loaded lazily so that a machine without the browser still loads the test file and says why.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export const ARTIFACTS_DIR = path.resolve(__dirname, '../../test-artifacts');

/** `test-artifacts/<suite>/`, created on first use. */
export function artifactsDir(suite: string): string {
  const dir = path.join(ARTIFACTS_DIR, suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Everything a page printed and threw, kept so a failing run can be read afterwards. */
export class PageLog {
  readonly lines: string[] = [];

  constructor(readonly name: string) {}

  attach(page: Page): void {
    page.on('console', (message) => this.lines.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => this.lines.push(`[pageerror] ${error.stack ?? error.message}`));
    page.on('requestfailed', (request) =>
      this.lines.push(`[requestfailed] ${request.method()} ${request.url()}: ${request.failure()?.errorText ?? ''}`),
    );
    page.on('response', (response) => {
      if (response.status() >= 400)
        this.lines.push(`[http ${response.status()}] ${response.request().method()} ${response.url()}`);
    });
    page.on('websocket', (socket) => {
      this.lines.push(`[websocket] open ${socket.url()}`);
      socket.on('close', () => this.lines.push(`[websocket] closed ${socket.url()}`));
      socket.on('socketerror', (error) => this.lines.push(`[websocket] error ${socket.url()}: ${error}`));
    });
  }

  save(dir: string): void {
    writeFileSync(path.join(dir, `${this.name}.log`), this.lines.join('\n') + '\n');
  }
}

/** A screenshot of the whole page, `test-artifacts/<suite>/<name>.png`. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
  return file;
}

/** Opens a page in `context` with its log attached. */
export async function openPage(context: BrowserContext, log: PageLog, url: string): Promise<Page> {
  const page = await context.newPage();
  log.attach(page);
  page.setDefaultTimeout(10_000);
  await page.goto(url, { timeout: 15_000 });
  return page;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface StaticServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `root` (a built web app) on 127.0.0.1 and a free port, plus `extra` files from memory (e.g. a
 * generated `config.json`). No directory listing, nothing outside `root`.
 */
export async function serveStatic(root: string, extra: Readonly<Record<string, string>> = {}): Promise<StaticServer> {
  const base = path.resolve(root);
  const server: Server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
    const generated = extra[relative];
    if (generated !== undefined) {
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(relative)] ?? 'text/plain',
        'cache-control': 'no-store',
      });
      response.end(generated);
      return;
    }
    const file = path.resolve(base, relative);
    if (!file.startsWith(base + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
