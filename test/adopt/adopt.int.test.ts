/**
 * docs/adopt.md, followed on the example existing app of test/adopt/fixture: the real
 * `device-limit rules merge` binary merges our rules into the app's commented rules file; then, on
 * the emulator, the app's own rules tests and our presence scenarios both pass on the merged file;
 * and firebase-functions' manifest discovery (as `firebase deploy` runs it) lists the app's own
 * function next to every device-limit function its entry point re-exports. The merge refuses apps
 * whose root rules would override ours.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { assertFails, assertSucceeds, initializeTestEnvironment } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { DEFAULT_DEVICE_LIMIT } from '@device-limit/contract';
import { parseJsonc, parseJsoncValue } from '../../contract/src/merge/jsonc';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';
import { claim, newDeviceId, newUid, presenceOf, presenceRef, release } from '../helpers/presence';
import { describeAppRules } from './fixture/test/app-rules';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = path.join(__dirname, 'fixture');
/** The `device-limit` bin as @device-limit/contract declares it. */
const CLI = path.join(
  ROOT,
  'contract',
  (JSON.parse(readFileSync(path.join(ROOT, 'contract/package.json'), 'utf8')) as { bin: Record<string, string> }).bin[
    'device-limit'
  ] as string,
);
const TSC = require.resolve('typescript/bin/tsc');
const DISCOVER = path.join(ROOT, 'node_modules/.bin/firebase-functions');

/** The app's folder for this run: its rules file and its built functions codebase. */
let app: string;

function deviceLimit(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: app, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

type Run = ReturnType<typeof deviceLimit>;
/** The two commands of docs/adopt.md step 1, run once before every check so no test sees the rules unmerged. */
let check: Run;
let write: Run;
const original = readFileSync(path.join(FIXTURE, 'database.rules.json'), 'utf8');
let afterCheck: string;

beforeAll(() => {
  // The CLI is contract/dist; the app's functions load functions/lib.
  execFileSync(process.execPath, [TSC, '-b', 'contract', 'functions'], { cwd: ROOT, stdio: 'pipe' });
  app = mkdtempSync(path.join(tmpdir(), 'adopt-app-'));
  copyFileSync(path.join(FIXTURE, 'database.rules.json'), path.join(app, 'database.rules.json'));
  check = deviceLimit('rules', 'merge', 'database.rules.json', '--check');
  afterCheck = readFileSync(path.join(app, 'database.rules.json'), 'utf8');
  write = deviceLimit('rules', 'merge', 'database.rules.json', '--write');
}, 180_000);

afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

describe('step 1: rules merge on the app rules', () => {
  test('--check says where our rules would go, and writes nothing', () => {
    expect(check).toMatchObject({ status: 0, stderr: '' });
    expect(check.stdout).toMatch(/^database\.rules\.json: the merge would insert the device-limit rules/);
    expect(afterCheck).toBe(original);
  });

  test('--write adds our rules and keeps the app rules and comments as they were', () => {
    expect(write.status).toBe(0);
    expect(write.stderr).toMatch(/^database\.rules\.json: added the device-limit rules \(lines \d+-\d+\)\.\n$/);
    const merged = readFileSync(path.join(app, 'database.rules.json'), 'utf8');
    const comments = parseJsonc(merged).comments.map((c) => c.text);
    for (const comment of parseJsonc(original).comments) expect(comments).toContain(comment.text);
    const before = (parseJsoncValue(original) as { rules: Record<string, unknown> }).rules;
    const after = (parseJsoncValue(merged) as { rules: Record<string, unknown> }).rules;
    for (const key of Object.keys(before)) expect(after[key]).toEqual(before[key]);
    expect(Object.keys(after)).toEqual([...Object.keys(before), 'presence', 'limits', 'presenceEvents', 'shardEpoch']);
    // docs/adopt.md step 4: the sweep's index comes with the rules.
    expect((after.presence as Record<string, unknown>)['.indexOn']).toEqual(['lastActive']);
  });

  test('running it again finds nothing to change', () => {
    const merged = readFileSync(path.join(app, 'database.rules.json'), 'utf8');
    expect(deviceLimit('rules', 'merge', 'database.rules.json', '--check').stdout).toMatch(/are up to date/);
    expect(deviceLimit('rules', 'merge', 'database.rules.json', '--write').status).toBe(0);
    expect(readFileSync(path.join(app, 'database.rules.json'), 'utf8')).toBe(merged);
  });
});

const mergedRules = () => readFileSync(path.join(app, 'database.rules.json'), 'utf8');

describeAppRules('the example app rules, after the merge', mergedRules);

describe('our presence scenarios on the merged rules', () => {
  let env: RulesTestEnvironment;

  beforeAll(async () => {
    const { host, port } = emulatorAddress();
    env = await initializeTestEnvironment({
      projectId: freshNamespace('demo-adopt-presence'),
      database: { host, port, rules: mergedRules() },
    });
  });
  afterAll(async () => {
    await env.cleanup();
  });

  test('claim: the device takes a slot', async () => {
    const uid = newUid();
    const id = newDeviceId();
    await assertSucceeds(claim(env.authenticatedContext(uid).database(), uid, id));
    const state = await presenceOf(env, uid);
    expect(state.count).toBe(1);
    expect(Object.keys(state.devices ?? {})).toEqual([id]);
  });

  test('limit reached: one device more than the default limit is refused', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    for (let i = 0; i < DEFAULT_DEVICE_LIMIT; i++) await assertSucceeds(claim(db, uid, newDeviceId()));
    await assertFails(claim(db, uid, newDeviceId()));
    expect((await presenceOf(env, uid)).count).toBe(DEFAULT_DEVICE_LIMIT);
  });

  test('release: the slot is given back and can be claimed again', async () => {
    const uid = newUid();
    const db = env.authenticatedContext(uid).database();
    const ids = Array.from({ length: DEFAULT_DEVICE_LIMIT }, () => newDeviceId());
    for (const id of ids) await assertSucceeds(claim(db, uid, id));
    await assertSucceeds(release(db, uid, ids[0] as string));
    expect((await presenceOf(env, uid)).count).toBe(DEFAULT_DEVICE_LIMIT - 1);
    await assertSucceeds(claim(db, uid, newDeviceId()));
    await assertFails(release(db, uid, ids[0] as string)); // already released: count is not moved twice
  });

  test("another user neither reads nor writes a user's presence", async () => {
    const uid = newUid();
    await claim(env.authenticatedContext(uid).database(), uid, newDeviceId());
    const other = env.authenticatedContext(newUid()).database();
    await assertFails(presenceRef(other, uid).get());
    await assertFails(presenceRef(other, uid).child('count').set(0));
  });
});

interface Manifest {
  endpoints: Record<string, { eventTrigger?: { eventFilterPathPatterns?: { ref?: string } } }>;
}

/** firebase-functions' discovery in file mode (FUNCTIONS_MANIFEST_OUTPUT_PATH), as test/functions/manifest.test.ts runs it. */
function discover(functionsDir: string): Manifest {
  const output = path.join(app, `manifest-${path.basename(path.dirname(functionsDir))}.json`);
  execFileSync(DISCOVER, [functionsDir], {
    cwd: functionsDir,
    env: { HOME: process.env.HOME, PATH: process.env.PATH, FUNCTIONS_MANIFEST_OUTPUT_PATH: output },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 30_000,
  });
  return JSON.parse(readFileSync(output, 'utf8')) as Manifest;
}

describe('step 2: the app functions export ours', () => {
  test('discovery lists the app function and every device-limit function', () => {
    // The app's codebase as it would be installed: its package.json, its compiled sources, and
    // node_modules where `npm install @device-limit/functions` would have put our package.
    const functions = path.join(app, 'functions');
    mkdirSync(functions);
    copyFileSync(path.join(FIXTURE, 'functions/package.json'), path.join(functions, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(functions, 'node_modules'), 'dir');
    const tsconfig = path.join(FIXTURE, 'functions/tsconfig.json');
    execFileSync(process.execPath, [TSC, '-p', tsconfig, '--outDir', path.join(functions, 'lib')], { stdio: 'pipe' });

    const ours = Object.keys(discover(path.join(ROOT, 'functions')).endpoints);
    expect(ours).toEqual(expect.arrayContaining(['forceLogin', 'sweepStalePresence', 'trimPresenceEvents']));
    const theirs = discover(functions);
    expect(Object.keys(theirs.endpoints).sort()).toEqual([...ours, 'stampPost'].sort());
    expect(theirs.endpoints.stampPost?.eventTrigger?.eventFilterPathPatterns?.ref).toBe('posts/{postId}');
  }, 120_000);
});

describe('the merge refuses an app whose root rules would override ours', () => {
  test.each<[string, string, string]>([
    ['root-write-true.rules.json', '/.write', '5:15'],
    ['root-read-auth.rules.json', '/.read', '4:14'],
  ])('%s: exit 1, the path named, the file untouched', (file, rulePath, position) => {
    const original = readFileSync(path.join(__dirname, 'refused', file), 'utf8');
    copyFileSync(path.join(__dirname, 'refused', file), path.join(app, file));
    for (const mode of ['--check', '--write']) {
      const result = deviceLimit('rules', 'merge', file, mode);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`${file}:${position}: "${rulePath}" is `);
      expect(result.stderr).toContain('Read and write rules cascade');
      expect(result.stderr).toContain('[rules-merge/cascade-override]');
      expect(readFileSync(path.join(app, file), 'utf8')).toBe(original);
    }
  });
});
