/**
 * The real `firebase database:profile` (firebase-tools 15) against the emulator, raw and as a report.
 *
 * firebase-tools does not mean this command to run against an emulator, and four things in its source
 * stand in the way; the test does what a user must (emulator/README.md, "Profiling"):
 * - `FIREBASE_DATABASE_EMULATOR_HOST` needs the scheme, `http://127.0.0.1:<port>`: the command's
 *   `populateInstanceDetails` falls back to the emulator with `new URL("127.0.0.1:<port>")`, which
 *   throws "Invalid URL" (`lib/management/database.js`, `lib/utils.js` `getDatabaseUrl`);
 * - it requires a login (`requirePermissions` → `requireAuth`), so a throwaway `FIREBASE_TOKEN` is
 *   given: the permission check and the instance lookup then fail against Google (or on no network),
 *   both errors are caught, and the request to the emulator carries `Bearer owner` anyway;
 * - it warns that it "does not support running against the Database Emulator" and asks to continue
 *   (`warnEmulatorNotSupported`, a prompt that even `--non-interactive` does not skip): "y" on stdin;
 * - `lib/profiler.js` requests only the URL's path and drops `?ns=<instance>`, so the emulator streams
 *   every namespace to a profile request without `ns`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ref, set } from 'firebase/database';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { adminDatabase, deleteAllApps, rest, webDatabase } from '../helpers/sdk';

const ns = freshNamespace('demo-profile-cli');
/** A top-level key no other test writes, so our rows are ours in a stream of every namespace. */
const root = `profile-cli-${ns.slice(-8)}`;
const home = mkdtempSync(path.join(tmpdir(), 'profile-cli-'));

afterAll(async () => {
  await deleteAllApps();
  rmSync(home, { recursive: true, force: true });
});

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runProfileCommand(extraArgs: readonly string[]): Promise<CliRun> {
  const cli = require.resolve('firebase-tools/lib/bin/firebase.js');
  const args = ['database:profile', '--project', 'demo-x', '--instance', ns, '--duration', '3', ...extraArgs];
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: home,
    env: {
      ...process.env,
      FIREBASE_DATABASE_EMULATOR_HOST: `http://${emulatorAddress().hostAndPort}`,
      FIREBASE_TOKEN: 'not-a-real-token',
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      METADATA_SERVER_DETECTION: 'none',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // The answer to "Do you want to continue?".
  child.stdin.end('y\n');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`firebase database:profile did not finish in 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('firebase database:profile --raw and the report show the operations', async () => {
  const runs = Promise.all([runProfileCommand(['--raw']), runProfileCommand([])]);
  let finished = false;
  void runs.finally(() => (finished = true));
  // The CLI takes a second or two to start streaming: keep operating until both runs are over.
  const web = webDatabase(ns, { mockUserToken: { sub: 'alice' } });
  const admin = adminDatabase(ns);
  for (let n = 0; !finished; n++) {
    await set(ref(web, `${root}/web`), n);
    await admin.ref(`${root}/admin`).set({ n });
    await rest('GET', `${root}/web`, ns);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const [raw, report] = await runs;

  expect(raw.code).toBe(0);
  const events = raw.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const ours = events.filter((event) => Array.isArray(event['path']) && event['path'][0] === root);
  expect(ours.length).toBeGreaterThanOrEqual(3);
  expect(ours).toContainEqual({
    name: 'realtime-write',
    path: [root, 'web'],
    bytes: expect.any(Number),
    allowed: true,
    timestamp: expect.any(Number),
    millis: expect.any(Number),
  });
  expect(ours).toContainEqual({
    name: 'realtime-write',
    path: [root, 'admin'],
    bytes: expect.any(Number),
    allowed: true,
    admin: true,
    timestamp: expect.any(Number),
    millis: expect.any(Number),
  });
  expect(ours).toContainEqual(expect.objectContaining({ name: 'rest-read', path: [root, 'web'], admin: true }));

  expect(report.code).toBe(0);
  const text = report.stdout;
  expect(text).toMatch(/Report operations collected from \d{4}-\d\d-\d\dT.* over \d+ ms\./);
  const section = (title: string, next: string): string => text.slice(text.indexOf(title), text.indexOf(next));
  expect(section('Read Speed', 'Write Speed')).toContain(`/${root}/web`);
  expect(section('Write Speed', 'Broadcast Speed')).toContain(`/${root}/admin`);
  expect(section('Uploaded Bytes', 'Unindexed Queries')).toContain(`/${root}/web`);
  expect(section('Downloaded Bytes', 'Uploaded Bytes')).toContain(`/${root}/web`);
}, 90_000);
