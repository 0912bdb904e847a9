/**
 * The backend of the end-to-end test, started by the test itself on free ports so it depends on
 * nothing else running (not on `npm start`): our database emulator is the one jest's global setup
 * started (FIREBASE_DATABASE_EMULATOR_HOST), with database.rules.json loaded into a fresh namespace;
 * firebase-tools' Auth and Functions emulators run the unmodified functions/ for a fresh `demo-`
 * project (firebase-tools treats `demo-*` projects as offline: no credentials, no network).
 * The demo is built with Vite into a temporary folder and served with a generated config.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../helpers/ports';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { emulatorAddress } from '../helpers/emulator';

const REPO = path.resolve(__dirname, '../..');
const FIREBASE_BIN = path.join(REPO, 'node_modules/firebase-tools/lib/bin/firebase.js');
const VITE_BIN = path.join(REPO, 'node_modules/vite/bin/vite.js');
/** firebase-tools needs this long on a busy 2-core machine to start and load the functions. */
const FIREBASE_START_TIMEOUT_MS = 90_000; /* 90 s */
const FIREBASE_STOP_TIMEOUT_MS = 15_000; /* 15 s */
const BUILD_TIMEOUT_MS = 60_000; /* 60 s */
/** firebase-tools' banner once every emulator listens (src/emulator/controller.ts). */
const READY_LINE = /All emulators ready/;

/** The config.json the demo reads (demo/src/config.ts). */
export interface DemoConfigJson {
  firebase: { apiKey: string; projectId: string; databaseURL: string; authDomain: string };
  emulators: { auth: string; database: string; functions: string };
}

export interface E2eStack {
  readonly projectId: string;
  /** The database namespace: the project's default instance as the functions' admin app sees it. */
  readonly namespace: string;
  readonly authHost: string;
  readonly functionsHost: string;
  readonly demoDist: string;
  readonly demoConfig: DemoConfigJson;
  /** firebase-tools' output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** `vite build` of demo/ into `outDir`. */
export async function buildDemo(outDir: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [VITE_BIN, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: path.join(REPO, 'demo'),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await exitWithin(child, BUILD_TIMEOUT_MS);
  if (code !== 0) throw new Error(`vite build of demo/ failed (exit ${String(code)}):\n${output}`);
}

function exitWithin(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${child.spawnfile} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Loads database.rules.json into `ns` as the owner, as firebase-tools does for the official emulator. */
export async function loadRules(ns: string): Promise<void> {
  const { hostAndPort } = emulatorAddress();
  const response = await fetch(`http://${hostAndPort}/.settings/rules.json?ns=${ns}`, {
    method: 'PUT',
    headers: { Authorization: 'Bearer owner' },
    body: readFileSync(path.join(REPO, 'database.rules.json'), 'utf8'),
  });
  if (!response.ok) throw new Error(`loading the rules failed: ${response.status} ${await response.text()}`);
}

/** An owner read over REST (rules bypassed), for the test's own checks. */
export async function ownerGet(ns: string, at: string): Promise<unknown> {
  const { hostAndPort } = emulatorAddress();
  const response = await fetch(`http://${hostAndPort}/${at}.json?ns=${ns}`, {
    headers: { Authorization: 'Bearer owner' },
  });
  if (!response.ok) throw new Error(`GET ${at}: ${response.status} ${await response.text()}`);
  return (await response.json()) as unknown;
}

/**
 * Starts firebase-tools' Auth and Functions emulators for a fresh demo project, in a temporary
 * project folder whose firebase.json points at this repository's functions/ and at free ports.
 */
export async function startE2eStack(): Promise<E2eStack> {
  const projectId = `demo-e2e-${randomBytes(3).toString('hex')}`;
  // firebase-tools gives a `demo-*` project the default database URL `https://<project>.firebaseio.com`
  // (src/emulator/adminSdkConfig.ts, constructDefaultAdminSdkConfig), so the functions' default admin
  // app reads and writes namespace `<project>`; the demo must use the same one.
  const namespace = projectId;
  const dir = mkdtempSync(path.join(tmpdir(), 'device-limit-e2e-'));
  const [auth, functions, hub, logging, eventarc, tasks] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const at = (port: number | undefined) => ({ host: '127.0.0.1', port });
  writeFileSync(
    path.join(dir, 'firebase.json'),
    JSON.stringify(
      {
        // firebase-tools resolves `source` against the folder of firebase.json, and refuses absolute paths.
        functions: [{ source: path.relative(dir, path.join(REPO, 'functions')), codebase: 'default' }],
        emulators: {
          auth: at(auth),
          functions: at(functions),
          // Every port fixed, so two runs (or `npm start`) on one machine never collide.
          hub: at(hub),
          logging: at(logging),
          eventarc: at(eventarc),
          tasks: at(tasks),
          ui: { enabled: false },
          singleProjectMode: true,
        },
      },
      null,
      2,
    ),
  );

  const { hostAndPort: databaseHost } = emulatorAddress();
  // The Functions emulator passes its environment to the functions: firebase-admin inside them finds
  // our database emulator through this variable (docs/local-stack.md).
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FIREBASE_DATABASE_EMULATOR_HOST: databaseHost,
    // Plain text in failure messages and in test-artifacts/e2e/firebase-emulators.log (colorette and
    // chalk both honour NO_COLOR; colorette turns colour on for any FORCE_COLOR, even "0").
    NO_COLOR: '1',
  };
  delete env.FORCE_COLOR;
  delete env.FIREBASE_AUTH_EMULATOR_HOST;
  delete env.FUNCTIONS_EMULATOR;
  const child = spawn(
    process.execPath,
    [FIREBASE_BIN, 'emulators:start', '--only', 'auth,functions', '--project', projectId, '--config', 'firebase.json'],
    // Its own process group: firebase-tools starts function workers, and stop() ends them all.
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // A detached group outlives the test process unless ended: if jest exits without running
  // afterAll (a crash, a forced exit), end it anyway.
  const killOnExit = () => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL');
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      signalGroup(child.pid, 'SIGINT');
      const timer = setTimeout(() => signalGroup(child.pid as number, 'SIGKILL'), FIREBASE_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const functionsHost = `127.0.0.1:${functions}`;
  try {
    await waitFor(
      () => READY_LINE.test(output),
      child,
      FIREBASE_START_TIMEOUT_MS,
      () => output,
    );
    await waitForCallable(functionsHost, projectId, 'forceLogin', () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    projectId,
    namespace,
    authHost: `127.0.0.1:${auth}`,
    functionsHost,
    demoDist: path.join(dir, 'demo-dist'),
    demoConfig: {
      firebase: {
        apiKey: 'demo-api-key',
        projectId,
        authDomain: `${projectId}.firebaseapp.com`,
        databaseURL: `https://${namespace}.firebaseio.com`,
      },
      emulators: { auth: `127.0.0.1:${auth}`, database: databaseHost, functions: functionsHost },
    },
    output: () => output,
    stop,
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitFor(
  condition: () => boolean,
  child: ChildProcess,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`firebase emulators:start exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    if (Date.now() > deadline)
      throw new Error(`firebase emulators:start not ready within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What firebase-tools prints when the functions cannot be loaded or crash while loading. */
const FUNCTIONS_LOAD_FAILURE = /Failed to load function|Cannot find module|Your function was killed/;

/**
 * Calls the callable without credentials until the Functions emulator answers as the function would
 * (`UNAUTHENTICATED`). This waits for the definitions to load, and warms the function's worker so the
 * test's timings measure the product, not the emulator's cold start.
 */
async function waitForCallable(host: string, projectId: string, name: string, output: () => string): Promise<void> {
  const deadline = Date.now() + FIREBASE_START_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline && !FUNCTIONS_LOAD_FAILURE.test(output())) {
    try {
      const response = await fetch(`http://${host}/${projectId}/us-central1/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: {} }),
        signal: AbortSignal.timeout(5_000),
      });
      last = `${response.status} ${await response.text()}`;
      if (/UNAUTHENTICATED/.test(last)) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const cause = FUNCTIONS_LOAD_FAILURE.test(output())
    ? 'the Functions emulator could not load functions/'
    : `the Functions emulator does not serve ${name} within ${FIREBASE_START_TIMEOUT_MS} ms (last answer: ${last})`;
  throw new Error(`${cause}; firebase emulators:start printed:\n${output()}`);
}
