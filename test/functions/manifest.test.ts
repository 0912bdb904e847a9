/**
 * Deployability: the endpoints `firebase deploy` would create, discovered offline the way
 * firebase-tools does it. firebase-tools' Node delegate (src/deploy/functions/runtimes/node/index.ts,
 * `serveAdmin`) spawns the SDK's `firebase-functions` bin on the functions source with `PORT` and
 * `FUNCTIONS_CONTROL_API=true` and reads `GET /__/functions.yaml`, then calls `/__/quitquitquit`;
 * newer firebase-tools can instead pass `FUNCTIONS_MANIFEST_OUTPUT_PATH` and read the file the bin
 * writes. Both routes run here against the built `functions/lib`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { SWEEP_SCHEDULE } from '@device-limit/contract';
import { freePort } from '../helpers/ports';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const FUNCTIONS_DIR = path.join(ROOT, 'functions');
const BIN = path.join(ROOT, 'node_modules/.bin/firebase-functions');

interface Manifest {
  specVersion: string;
  params?: Array<Record<string, unknown>>;
  endpoints: Record<string, Record<string, unknown>>;
  requiredAPIs: Array<{ api: string; reason: string }>;
}

/** The environment firebase-tools gives the bin (serveAdmin), nothing inherited from jest. */
function discoveryEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { HOME: process.env.HOME, PATH: process.env.PATH, NODE_ENV: process.env.NODE_ENV, ...extra };
}

beforeAll(() => {
  // Discovery loads `main` (functions/lib/index.js): build it from the current sources first.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'functions'], { cwd: ROOT });
}, 120_000);

async function discoverOverHttp(): Promise<Manifest> {
  const port = await freePort();
  const child: ChildProcess = spawn(BIN, [FUNCTIONS_DIR], {
    cwd: FUNCTIONS_DIR,
    env: discoveryEnv({ PORT: String(port), FUNCTIONS_CONTROL_API: 'true' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/__/functions.yaml`);
        if (response.status !== 200) throw new Error(`discovery answered ${response.status}: ${await response.text()}`);
        // Despite the name, the body is JSON (a subset of YAML), as firebase-tools expects.
        return (await response.json()) as Manifest;
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('discovery answered')) throw error;
        if (Date.now() > deadline) throw new Error(`the firebase-functions bin did not answer: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await fetch(`http://127.0.0.1:${port}/__/quitquitquit`).catch(() => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** `params`: what firebase-tools would have loaded from the .env files into discovery's environment. */
function discoverToFile(params: Record<string, string> = {}): Manifest {
  const dir = mkdtempSync(path.join(tmpdir(), 'functions-manifest-'));
  try {
    const output = path.join(dir, 'functions.yaml');
    execFileSync(BIN, [FUNCTIONS_DIR], {
      cwd: FUNCTIONS_DIR,
      env: discoveryEnv({ ...params, FUNCTIONS_MANIFEST_OUTPUT_PATH: output }),
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    });
    return JSON.parse(readFileSync(output, 'utf8')) as Manifest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * docs/protocol.md §5: no function runs for a claim, a renewal or a release. The only database
 * triggers are on `/limits/{uid}` (admin limit changes) and on the creation of an audit event.
 */
const EXPECTED_ENDPOINTS = [
  'enforceDeviceLimit',
  'forceLogin',
  'repairPresence',
  'setDeviceLimit',
  'signOutDevice',
  'sweepStalePresence',
  'trimPresenceEvents',
];

function expectDeployableManifest(manifest: Manifest): void {
  expect(manifest.specVersion).toBe('v1alpha1');
  expect(Object.keys(manifest.endpoints).sort()).toEqual(EXPECTED_ENDPOINTS);
  const endpoint = (name: string) => manifest.endpoints[name] as Record<string, unknown>;
  for (const name of Object.keys(manifest.endpoints)) {
    expect(endpoint(name)).toMatchObject({ platform: 'gcfv2', entryPoint: name });
  }
  expect(endpoint('enforceDeviceLimit').eventTrigger).toEqual({
    eventType: 'google.firebase.database.ref.v1.written',
    eventFilters: {},
    eventFilterPathPatterns: { ref: 'limits/{uid}', instance: '*' },
    retry: true,
  });
  expect(endpoint('trimPresenceEvents').eventTrigger).toEqual({
    eventType: 'google.firebase.database.ref.v1.created',
    eventFilters: {},
    eventFilterPathPatterns: { ref: 'presenceEvents/{uid}/{eventId}', instance: '*' },
    retry: true,
  });
  // Nothing listens under /presence: a claim, a renewal or a release fires no function.
  const databaseRefs = Object.values(manifest.endpoints).flatMap((e) => {
    const trigger = e.eventTrigger as { eventFilterPathPatterns?: { ref?: string } } | undefined;
    return trigger?.eventFilterPathPatterns?.ref === undefined ? [] : [trigger.eventFilterPathPatterns.ref];
  });
  expect(databaseRefs.filter((ref) => ref.startsWith('presence/') || ref === 'presence')).toEqual([]);
  expect(endpoint('sweepStalePresence').scheduleTrigger).toMatchObject({ schedule: SWEEP_SCHEDULE });
  expect(SWEEP_SCHEDULE).toBe('every 15 minutes');
  for (const name of ['forceLogin', 'signOutDevice', 'setDeviceLimit', 'repairPresence']) {
    expect(endpoint(name).callableTrigger).toEqual({});
    expect(endpoint(name)).not.toHaveProperty('eventTrigger');
  }
  expect(manifest.requiredAPIs.map((api) => api.api)).toEqual(['cloudscheduler.googleapis.com']);
  // docs/protocol.md §10: the instances users are spread over, empty by default (the default database);
  // and the configuration of docs/adopt.md, "Configuration", each with the contract's value as default.
  expect(manifest.params?.map(({ name, type, default: value }) => ({ name, type, default: value }))).toEqual(
    expect.arrayContaining([
      { name: 'PRESENCE_INSTANCES', type: 'string', default: '' },
      // docs/protocol.md §10.3: a shard map in migration (its epoch and the list before), none by default.
      { name: 'PRESENCE_INSTANCES_EPOCH', type: 'string', default: '' },
      { name: 'PRESENCE_INSTANCES_PREVIOUS', type: 'string', default: '' },
      { name: 'DEVICE_LIMIT_PRESENCE_PATH', type: 'string', default: 'presence' },
      { name: 'DEVICE_LIMIT_LIMITS_PATH', type: 'string', default: 'limits' },
      { name: 'DEVICE_LIMIT_EVENTS_PATH', type: 'string', default: 'presenceEvents' },
      { name: 'DEVICE_LIMIT_DEFAULT', type: 'int', default: 2 },
      { name: 'DEVICE_LIMIT_PLATFORMS', type: 'string', default: 'web,ios,android,macos,windows,linux,other' },
    ]),
  );
  expect(manifest.params).toHaveLength(8);
}

test('the control API (FUNCTIONS_CONTROL_API, GET /__/functions.yaml) lists exactly the deployable endpoints', async () => {
  expectDeployableManifest(await discoverOverHttp());
}, 60_000);

test('the manifest file (FUNCTIONS_MANIFEST_OUTPUT_PATH) lists the same endpoints', () => {
  expectDeployableManifest(discoverToFile());
}, 60_000);

/** What test/config/configured.int.test.ts deploys: the rules generated with the same values. */
const CONFIGURED = {
  DEVICE_LIMIT_PRESENCE_PATH: 'sessions',
  DEVICE_LIMIT_LIMITS_PATH: 'deviceLimits',
  DEVICE_LIMIT_EVENTS_PATH: 'sessionEvents',
  DEVICE_LIMIT_DEFAULT: '3',
  DEVICE_LIMIT_PLATFORMS: 'web,tv',
};

test('with the path parameters in the environment (.env), the triggers listen at the configured roots', () => {
  const manifest = discoverToFile(CONFIGURED);
  const refOf = (name: string) =>
    (manifest.endpoints[name]?.eventTrigger as { eventFilterPathPatterns: { ref: string } }).eventFilterPathPatterns
      .ref;
  expect(refOf('enforceDeviceLimit')).toBe('deviceLimits/{uid}');
  expect(refOf('trimPresenceEvents')).toBe('sessionEvents/{uid}/{eventId}');
  // Still nothing under the presence root, whatever it is called.
  const refs = Object.values(manifest.endpoints).map(
    (e) => (e.eventTrigger as { eventFilterPathPatterns?: { ref?: string } } | undefined)?.eventFilterPathPatterns?.ref,
  );
  expect(refs.filter((ref) => ref?.split('/')[0] === 'sessions')).toEqual([]);
}, 60_000);

test('an invalid parameter fails discovery (so `firebase deploy`) with a message naming it', () => {
  let stderr = '';
  try {
    discoverToFile({ ...CONFIGURED, DEVICE_LIMIT_LIMITS_PATH: 'device/limits' });
  } catch (error) {
    stderr = String((error as { stderr?: Buffer }).stderr ?? '');
  }
  expect(stderr).toContain('DEVICE_LIMIT_LIMITS_PATH must be one database key');
  expect(stderr).toContain('"device/limits"');
}, 60_000);

test('functions/.env gives every parameter a value, so `firebase deploy` from this repository does not prompt', () => {
  const declared = (discoverToFile().params ?? []).map((param) => param.name as string).sort();
  const env = readFileSync(path.join(FUNCTIONS_DIR, '.env'), 'utf8');
  const given = [...env.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]).sort();
  expect(given).toEqual(declared);
  // With the contract's defaults, which are the values database.rules.json was generated with.
  expect(env).toMatch(/^DEVICE_LIMIT_DEFAULT=2$/m);
  expect(env).toMatch(/^DEVICE_LIMIT_PRESENCE_PATH=presence$/m);
}, 60_000);
