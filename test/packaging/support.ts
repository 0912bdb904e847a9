/**
 * Helpers for the packaging and deploy suites: npm and Node run as child processes exactly as a user or
 * Cloud Build would run them, never through npm's programmatic API.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** npm on Windows is npm.cmd, which execFile only runs through a shell. */
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The environment for a child npm: ours without the `npm_*` variables that the `npm test` around jest
 * exports (`npm_config_local_prefix`, `npm_package_*`, `npm_lifecycle_*`, …), which would describe this
 * repository to an npm working on a temporary folder. The cache stays, so installs work offline from it.
 * The folder of the Node that runs jest comes first on PATH, so npm and every `#!/usr/bin/env node` bin
 * it starts run on that Node.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) || /^npm_config_(cache|registry|userconfig)$/i.test(key)) env[key] = value;
  }
  env.PATH = [path.dirname(process.execPath), process.env.PATH].join(path.delimiter);
  // Installs take what the cache holds (every package here came through `npm ci`) without asking the
  // registry whether something newer exists.
  env.npm_config_prefer_offline = 'true';
  env.npm_config_audit = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_update_notifier = 'false';
  return { ...env, ...extra };
}

/** Runs npm in `cwd`; a failure throws with npm's own output, which names what went wrong. */
export function npm(args: readonly string[], cwd: string, timeoutMs = 240_000): string {
  const result = spawnSync(NPM, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: timeoutMs });
  if (result.status !== 0) {
    throw new Error(
      `npm ${args.join(' ')} (in ${cwd}) failed with ${result.error?.message ?? `exit ${result.status}`}:\n` +
        `${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** Runs `node` (the given binary) and returns stdout; a failure throws with its stderr. */
export function runNode(node: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(node, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${node} ${args.join(' ')} (in ${cwd}) failed with exit ${result.status}:\n${result.stderr}`);
  }
  return result.stdout;
}

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The major version a `nodejsNN` Cloud Functions runtime name stands for. */
export function runtimeMajor(runtime: string): number {
  const match = /^nodejs(\d+)$/.exec(runtime);
  if (!match?.[1]) throw new Error(`"${runtime}" is not a Node.js runtime name (nodejsNN)`);
  return Number(match[1]);
}

/**
 * A Node binary whose major version is `major`: the one running jest, the one npm installed in
 * node_modules/.bin, or the first `node` on PATH. Throws naming every candidate's version otherwise.
 */
export function nodeBinaryForMajor(major: number): string {
  const candidates = [process.execPath, path.join(ROOT, 'node_modules/.bin/node'), 'node'];
  const seen: string[] = [];
  for (const candidate of candidates) {
    if (candidate !== 'node' && !existsSync(candidate)) continue;
    const result = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const version = result.status === 0 ? result.stdout.trim() : `unusable (${result.error?.message ?? result.status})`;
    seen.push(`${candidate}: ${version}`);
    if (Number(version.split('.')[0]) === major) return candidate === 'node' ? candidate : realpathSync(candidate);
  }
  throw new Error(`no Node ${major} binary to run the functions with; found ${seen.join(', ')}`);
}

/** The files in an npm tarball, without the leading `package/`. */
export function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''));
}

/** `npm pack`'s file name for a package: `@scope/name` 1.0.0 → `scope-name-1.0.0.tgz`. */
export function tarballName(pkg: { name: string; version: string }): string {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}
