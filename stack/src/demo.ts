/**
 * The demo app: `demo/dist` (Vite's build) served as static files, plus the `config.json` the app
 * reads at start (demo/src/config.ts) generated from this run's project and ports, so one build works
 * with any ports. The build runs first when `demo/dist` is missing or older than the demo's sources.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';

/** The file the demo fetches beside index.html (demo/src/config.ts CONFIG_FILE). */
export const DEMO_CONFIG_FILE = 'config.json';

export interface DemoConfig {
  readonly firebase: { apiKey: string; projectId: string; databaseURL: string; authDomain: string };
  /** With several instances (`--instances`): all of them, for the client's shard list. */
  readonly databaseInstances?: readonly string[];
  readonly emulators: { auth: string; database: string; functions: string };
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export class DemoBuildError extends Error {
  readonly code = 'demo_build_failed';
  constructor(message: string) {
    super(message);
    this.name = 'DemoBuildError';
  }
}

/** Newest modification time under `dir` (skipping node_modules and dist). */
function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

/**
 * The demo bundles the workspace packages it imports as they are built (`@device-limit/client` and
 * `@device-limit/contract` resolve to their `dist/esm`), so a rebuilt package makes the bundle stale
 * just as an edit in demo/ does: otherwise `npm start` after a change to the client would serve the
 * old client.
 */
const BUNDLED_PACKAGES = ['client-sdk/dist/esm', 'contract/dist/esm'];

export function demoNeedsBuild(demoDir: string): boolean {
  const built = path.join(demoDir, 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const sources = [
    ...['src', 'index.html', 'vite.config.ts', 'package.json'].map((name) => path.join(demoDir, name)),
    ...BUNDLED_PACKAGES.map((dir) => path.join(demoDir, '..', dir)),
  ].map((target) => newestMtime(target));
  return Math.max(...sources) > statSync(built).mtimeMs;
}

/** `vite build` in demo/ (its own `build` script), with Vite from the repository's node_modules. */
export async function buildDemo(demoDir: string, viteBin: string, log: (line: string) => void): Promise<void> {
  log('demo: building demo/dist (vite build)…');
  const child = spawn(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], {
    cwd: demoDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new DemoBuildError(`vite build in ${demoDir} failed (exit ${String(code)}):\n${output}`);
}

/** Serves `distDir` and the generated config on `host:port`; resolves once listening. */
export async function serveDemo(distDir: string, config: DemoConfig, host: string, port: number): Promise<Server> {
  const root = path.resolve(distDir);
  const configJson = JSON.stringify(config, null, 2);
  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      if (pathname === `/${DEMO_CONFIG_FILE}`) {
        response.writeHead(200, { 'content-type': CONTENT_TYPES['.json'] as string, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : configJson);
        return;
      }
      const file = path.resolve(root, `.${pathname.endsWith('/') ? `${pathname}index.html` : pathname}`);
      if (file !== root && !file.startsWith(`${root}${path.sep}`)) {
        response.writeHead(404).end();
        return;
      }
      try {
        const body = await readFile(file);
        response.writeHead(200, {
          'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
        });
        response.end(request.method === 'HEAD' ? undefined : body);
      } catch {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`Not found: ${pathname}\n`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
